"""Large requests: run in calls of at most a row limit, refused above a memory estimate.

A model's working memory grows with the rows of one call (a character CNN
over 100,000 texts ran the process out of memory and crashed it), so a
request with more rows than `max_rows_per_call` is split along dimension 0,
as TensorFlow Serving's large-batch splitting does under batching: each part
runs on its own (through the batch scheduler when batching is on), and the
parts' outputs are concatenated, so the client gets one whole answer. The
server also estimates the memory the request itself holds (its decoded
inputs, plus the outputs projected from the first part) and answers
RESOURCE_EXHAUSTED above `max_request_memory_bytes` before doing the work.

Splitting needs every input to have the same dimension 0 (the rows) and
every output to have one row per input row; a request that cannot be split
and has more rows than the limit is refused (RESOURCE_EXHAUSTED) rather than
run whole.
"""

import dataclasses
import time

import grpc
import numpy as np

from serving.server import status
from serving.server.flags import DEFAULT_MAX_REQUEST_MEMORY_BYTES, DEFAULT_MAX_ROWS_PER_CALL

# What CPython holds per `bytes` object besides its characters (header + pointer).
_BYTES_OVERHEAD = 33 + 8


@dataclasses.dataclass(frozen=True)
class RequestLimits:
    """The server's limits on one request (`--max_rows_per_model_call`, `--max_request_memory_bytes`).

    Args:
        max_rows_per_call: most rows one model call receives; 0 = no limit.
        max_request_memory_bytes: largest memory estimate answered; 0 = no limit.
    """

    max_rows_per_call: int = DEFAULT_MAX_ROWS_PER_CALL
    max_request_memory_bytes: int = DEFAULT_MAX_REQUEST_MEMORY_BYTES

    def __post_init__(self):
        for field in ("max_rows_per_call", "max_request_memory_bytes"):
            if getattr(self, field) < 0:
                raise ValueError(f"{field} must be >= 0 (0: no limit), got {getattr(self, field)}")


def estimated_bytes(arrays):
    """Memory the numpy arrays hold, strings counted as Python `bytes` objects."""
    total = 0
    for array in arrays:
        if array.dtype == object:
            flat = array.ravel()
            total += sum(map(len, flat)) + _BYTES_OVERHEAD * flat.size
        else:
            total += array.nbytes
    return total


def _dimension_0(arrays):
    """The common dimension 0 of every input, or None when they do not share one."""
    sizes = {array.shape[0] if array.ndim else None for array in arrays.values()}
    if len(sizes) == 1 and None not in sizes:
        return sizes.pop()
    return None


def _refuse_memory(estimate, limit):
    return status.resource_exhausted(
        f"the request needs an estimated {estimate} bytes of server memory, above the limit of "
        f"{limit} bytes (--max_request_memory_bytes); send fewer or shorter rows per request"
    )


def unbatched_output(outputs, rows):
    """`(alias, array)` of the first output without exactly `rows` rows along dimension 0, or None.

    Outputs are split back by rows (parts of a large request here, merged
    requests in the batch scheduler) only when each has one row per input row.
    """
    for alias, (array, _) in outputs.items():
        if array.ndim == 0 or array.shape[0] != rows:
            return alias, array
    return None


def _check_part(outputs, rows, total, chunk):
    unbatched = unbatched_output(outputs, rows)
    if unbatched is not None:
        alias, array = unbatched
        raise status.invalid_argument(
            f"a request of {total} rows is run in parts of at most {chunk} rows "
            f"(--max_rows_per_model_call), but output '{alias}' has shape {list(array.shape)} "
            f"for {rows} rows, not one row per input row; send at most {chunk} rows"
        )


def run_split(run, arrays, chunk, limits, deadline=None):
    """`run(arrays)` on the whole request, or on parts of at most `chunk` rows.

    Args:
        run: numpy inputs -> alias -> (array, dtype enum), one model call.
        arrays: the request's checked inputs.
        chunk: most rows per call (0: no limit).
        limits: `RequestLimits` (its memory limit applies here).
        deadline: monotonic time after which no further part starts.
    """
    memory_limit = limits.max_request_memory_bytes
    inputs_bytes = estimated_bytes(arrays.values())
    if memory_limit and inputs_bytes > memory_limit:
        raise _refuse_memory(inputs_bytes, memory_limit)
    rows = _dimension_0(arrays)
    if not chunk or (rows is not None and rows <= chunk):
        return run(arrays)
    if rows is None:
        largest = max((a.shape[0] for a in arrays.values() if a.ndim), default=0)
        if largest <= chunk:
            return run(arrays)
        shapes = ", ".join(f"{alias} {list(a.shape)}" for alias, a in sorted(arrays.items()))
        raise status.resource_exhausted(
            f"a request of {largest} rows is larger than one model call takes ({chunk} rows, "
            f"--max_rows_per_model_call) and cannot be split, because its inputs do not share "
            f"dimension 0 ({shapes}); send at most {chunk} rows"
        )
    parts = []
    for start in range(0, rows, chunk):
        if deadline is not None and time.monotonic() >= deadline:
            raise status.StatusError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
        end = min(start + chunk, rows)
        outputs = run({alias: array[start:end] for alias, array in arrays.items()})
        _check_part(outputs, end - start, rows, chunk)
        if not parts and memory_limit:
            per_row = estimated_bytes(array for array, _ in outputs.values()) / (end - start)
            projected = int(inputs_bytes + per_row * rows)
            if projected > memory_limit:
                raise _refuse_memory(projected, memory_limit)
        parts.append(outputs)
    return {
        alias: (np.concatenate([part[alias][0] for part in parts]), dtype)
        for alias, (_, dtype) in parts[0].items()
    }
