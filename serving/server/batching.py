"""Dynamic batching: concurrent calls to one signature merged into one model call.

With TensorFlow Serving's parameters and their meaning: a task (one
request's inputs) waits in a bounded queue; up to `num_batch_threads` batches
run at once, each taking queued tasks up to `max_batch_size` rows, waiting at
most `batch_timeout_micros` after the oldest one arrived; inputs are
concatenated along dimension 0, the signature runs once and the outputs are
split back. A full queue answers RESOURCE_EXHAUSTED. The batches run in the
request threads themselves (leader/follower, see `BatchScheduler`).
"""

import collections
import dataclasses
import os
import re
import threading
import time

import grpc
import numpy as np

from serving.server import status
from serving.server.request_limits import unbatched_output

_FIELDS = ("max_batch_size", "batch_timeout_micros", "max_enqueued_batches", "num_batch_threads")


@dataclasses.dataclass
class BatchingOptions:
    """TensorFlow Serving's `BatchingParameters` that this scheduler honours.

    Args:
        max_batch_size: most rows merged into one model call.
        batch_timeout_micros: longest wait for a batch to fill after its first task.
        max_enqueued_batches: queue bound, in batches of `max_batch_size` rows.
        num_batch_threads: batches run at the same time.
    """

    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 10
    num_batch_threads: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)

    def __post_init__(self):
        for field in _FIELDS:
            if getattr(self, field) < (0 if field == "batch_timeout_micros" else 1):
                raise status.invalid_argument(
                    f"batching parameter {field} must be positive, got {getattr(self, field)}"
                )


def parse_batching_parameters(text, source="batching parameters"):
    """Parses TensorFlow Serving's text-format `BatchingParameters`.

    Uses TensorFlow Serving's proto when the installed package has it (the
    pip package does not ship `session_bundle_config_pb2`), else reads the same
    text format: `max_batch_size { value: 32 }`. Fields this scheduler does not
    implement are refused, so a setting never silently does nothing.
    """
    try:
        from tensorflow_serving.servables.tensorflow import session_bundle_config_pb2
    except ImportError:
        values = _parse_wrapped_fields(text, source)
    else:  # pragma: no cover - not shipped by tensorflow-serving-api 2.21
        from google.protobuf import text_format

        proto = session_bundle_config_pb2.BatchingParameters()
        text_format.Parse(text, proto)
        values = {}
        for descriptor, value in proto.ListFields():
            values[descriptor.name] = getattr(value, "value", value)
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise status.invalid_argument(
            f"{source}: batching parameter(s) {unknown} are not supported by this server; "
            f"supported: {list(_FIELDS)}"
        )
    return BatchingOptions(**values)


_WRAPPED_FIELD = re.compile(r"(\w+)\s*:?\s*\{\s*value\s*:\s*(-?\d+)\s*\}")
_BARE_FIELD = re.compile(r"(\w+)\s*:\s*([^\s{}]+)")


def _parse_wrapped_fields(text, source):
    text = re.sub(r"#[^\n]*", "", text)
    values = {}
    for name, value in _WRAPPED_FIELD.findall(text):
        values[name] = int(value)
    rest = _WRAPPED_FIELD.sub(" ", text)
    for name, value in _BARE_FIELD.findall(rest):
        values[name] = value
    leftover = _BARE_FIELD.sub(" ", rest).strip()
    if leftover:
        raise status.invalid_argument(
            f"{source}: cannot parse {leftover[:60]!r} as BatchingParameters"
        )
    return values


class _Task:
    __slots__ = (
        "arrays",
        "size",
        "key",
        "deadline",
        "arrival",
        "wake",
        "done",
        "finished",
        "promoted",
        "result",
        "error",
    )

    def __init__(self, arrays, size, key, deadline):
        self.arrays = arrays
        self.size = size
        self.key = key
        self.deadline = deadline
        self.arrival = time.monotonic()
        # Set when the task's result is ready or when it is promoted to leader.
        self.wake = threading.Event()
        self.done = threading.Event()
        self.finished = False
        self.promoted = False
        self.result = None
        self.error = None


class BatchScheduler:
    """Merges concurrent calls of one signature.

    Leader/follower: there are no batch threads of its own. The request at
    the head of the queue, when one of the `num_batch_threads` slots is free,
    becomes the leader: it waits for the batch to fill (at most
    `batch_timeout_micros` after it arrived), runs the merged batch in its own
    thread, hands each follower its rows, then passes the slot to the next
    queued request. This saves the thread hand-offs of a separate batch
    thread (each costs milliseconds on a loaded machine) while keeping
    TensorFlow Serving's parameters and their meaning.

    Args:
        runner: callable, numpy inputs (alias -> array) -> alias -> (array, dtype enum).
        options: `BatchingOptions`.
        name: for logs.
    """

    def __init__(self, runner, options, name="batcher"):
        self.runner = runner
        self.options = options
        self.name = name
        self.batches_run = 0
        self.rows_run = 0
        self._queue = collections.deque()
        self._queued_rows = 0
        self._running = 0
        self._capacity = options.max_batch_size * options.max_enqueued_batches
        self._condition = threading.Condition()
        self._closed = False

    @property
    def queued_rows(self):
        """Rows waiting in the queue, not yet taken into a batch."""
        return self._queued_rows

    def submit(self, arrays, deadline=None):
        """Queues one request's inputs and returns its share of the outputs."""
        size = None
        for array in arrays.values():
            if array.ndim == 0:
                raise status.invalid_argument(
                    "Batching Run() input tensors must have at least one dimension"
                )
            if size is None:
                size = array.shape[0]
            elif array.shape[0] != size:
                raise status.invalid_argument(
                    "Batching Run() input tensors must have equal 0th-dimension size"
                )
        size = size or 0
        if size > self.options.max_batch_size:
            raise status.invalid_argument(
                f"Task size {size} is larger than maximum input batch size "
                f"{self.options.max_batch_size}"
            )
        # Tasks merge only when their inputs agree beyond dimension 0.
        key = tuple(
            (alias, array.dtype, array.shape[1:]) for alias, array in sorted(arrays.items())
        )
        task = _Task(arrays, size, key, deadline)
        with self._condition:
            if self._closed:
                raise status.unavailable(f"servable {self.name} is unloading")
            if self._queued_rows + size > self._capacity:
                raise status.resource_exhausted(
                    "The batch scheduling queue to which this task was submitted is full"
                )
            self._queue.append(task)
            self._queued_rows += size
            lead = self._running < self.options.num_batch_threads and self._queue[0] is task
            if lead:
                self._running += 1
            else:
                # A leader waiting for its batch to fill may now have enough rows.
                self._condition.notify_all()
        if not lead:
            self._follow(task)
            if not task.promoted:
                return self._outcome(task)
        self._lead(task)
        return self._outcome(task)

    def _outcome(self, task):
        if task.error is not None:
            raise task.error
        return task.result

    def _follow(self, task):
        """Waits for the task's rows, or for its promotion to leader."""
        timeout = None if task.deadline is None else max(0.0, task.deadline - time.monotonic())
        if task.wake.wait(timeout):
            return
        with self._condition:
            if task.finished or task.promoted:
                return
            if task in self._queue:
                self._queue.remove(task)
                self._queued_rows -= task.size
        # Still queued (now removed) or inside a running batch (its rows are dropped).
        raise status.StatusError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")

    def _lead(self, task):
        """Runs batches from the head of the queue until this task's rows are done."""
        try:
            while not task.finished:
                batch = self._take_batch()
                if batch is None:
                    # Another leader took this task into its batch: wait below.
                    break
                self._run(batch)
        finally:
            with self._condition:
                # Hand the slot to the oldest waiting request, or give it back.
                if self._queue:
                    successor = self._queue[0]
                    successor.promoted = True
                    successor.wake.set()
                else:
                    self._running -= 1
        task.done.wait()

    def _take_batch(self):
        """Waits until the head's batch is due, then takes it off the queue (None if empty)."""
        with self._condition:
            if not self._queue:
                return None
            first = self._queue[0]
            due = first.arrival + self.options.batch_timeout_micros / 1e6
            while self._queued_rows < self.options.max_batch_size:
                remaining = due - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            batch, rows, kept = [], 0, collections.deque()
            while self._queue:
                queued = self._queue.popleft()
                if queued.key == first.key and rows + queued.size <= self.options.max_batch_size:
                    batch.append(queued)
                    rows += queued.size
                    self._queued_rows -= queued.size
                else:
                    kept.append(queued)
            self._queue = kept
            return batch

    def close(self):
        """Refuses new tasks; queued ones still run (their leaders hold the slots)."""
        with self._condition:
            self._closed = True

    def _run(self, batch):
        try:
            self._run_live(batch)
        finally:
            # Whatever happened, every task in the batch gets an answer.
            for task in batch:
                if task.result is None and task.error is None:
                    task.error = status.internal("batched call ended without a result")
                task.finished = True
                task.done.set()
                task.wake.set()

    def _run_live(self, batch):
        now = time.monotonic()
        live = []
        for task in batch:
            if task.deadline is not None and task.deadline <= now and not task.promoted:
                task.error = status.StatusError(
                    grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"
                )
            else:
                live.append(task)
        if not live:
            return
        try:
            if len(live) == 1:
                live[0].result = self.runner(live[0].arrays)
            else:
                total = sum(task.size for task in live)
                merged = {
                    alias: np.concatenate([task.arrays[alias] for task in live])
                    for alias in live[0].arrays
                }
                outputs = self.runner(merged)
                unbatched = unbatched_output(outputs, total)
                if unbatched is not None:
                    alias, array = unbatched
                    raise status.internal(
                        f"Batched output tensor {alias} has 0th dimension "
                        f"{array.shape[0] if array.ndim else 'none'} but the batch has "
                        f"{total} rows"
                    )
                start = 0
                for task in live:
                    end = start + task.size
                    task.result = {
                        alias: (array[start:end], dtype)
                        for alias, (array, dtype) in outputs.items()
                    }
                    start = end
            with self._condition:
                self.batches_run += 1
                self.rows_run += sum(task.size for task in live)
        except status.StatusError as error:
            for task in live:
                task.error = error
        except Exception as error:  # noqa: BLE001 - every task must get an answer
            for task in live:
                task.error = status.internal(
                    f"batched call failed: {type(error).__name__}: {error}"
                )
