"""Shared by the reliability tests and bench/bench_reliability.py: version publishing,
status snapshots, a client loop that counts failures, and the bad inputs used for fuzzing.
"""

import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

import grpc
import numpy as np
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_service_pb2_grpc,
    prediction_service_pb2_grpc,
)

from tests.serving.conftest import predict_request

State = get_model_status_pb2.ModelVersionStatus.State
# How often the tests' servers poll their base paths.
POLL_SECONDS = 0.1


def publish(staging, name, base, version):
    """Copies a staged version the way exporters publish: a hidden folder, then a rename."""
    temporary = os.path.join(base, f".tmp-{version}")
    shutil.copytree(os.path.join(staging, name), temporary)
    os.rename(temporary, os.path.join(base, str(version)))
    return os.path.join(base, str(version))


def request_for(model, texts=("abc",)):
    """A small classify request for `model` (the tests' one builder, `predict_request`)."""
    return predict_request(model, texts=list(texts))


def requests_in_flight(server, model, version=None):
    """The requests an embedded server's version of `model` holds, not counting this look."""
    spec = predict_request(model, version=version).model_spec
    with server.manager.servable_handle(spec) as servable:
        return servable.in_flight - 1


def states(channel, model, version=None, state_names=True):
    """`{version: (state, error code, error message)}` from GetModelStatus.

    States are names (`"AVAILABLE"`), or the enum values with `state_names=False`.
    """
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = model
    if version is not None:
        request.model_spec.version.value = version
    response = stub.GetModelStatus(request, timeout=10)
    return {
        s.version: (
            State.Name(s.state) if state_names else s.state,
            s.status.error_code,
            s.status.error_message,
        )
        for s in response.model_version_status
    }


def wait_until(condition, timeout=30.0, message="condition not met"):
    """Polls `condition()` until it is truthy (returns that value); fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{message} within {timeout} s")


def all_rest_threads_busy(rest):
    """True when every REST request thread of `rest` (a `RestApiServer`) is taken.

    Probes the server's slot semaphore without keeping a slot.
    """
    if rest.slots.acquire(blocking=False):
        rest.slots.release()
        return False
    return True


class LogWatcher:
    """Reads a process's log (a text pipe) in a thread, so tests can wait for lines in it.

    Reading from the start also keeps a chatty process (debug logging) from
    blocking on a full pipe.
    """

    def __init__(self, stream):
        self._lines = []
        self._ended = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def count(self, text):
        """Lines read so far that contain `text`."""
        with self._changed:
            return sum(text in line for line in self._lines)

    def wait_for(self, text, count=1, timeout=30.0):
        """Waits until `count` lines contain `text`; fails if the log ends or time runs out first."""
        with self._changed:  # A re-entrant lock: `count` takes it again.
            self._changed.wait_for(lambda: self.count(text) >= count or self._ended, timeout)
            seen = self.count(text)
            if seen < count:
                ended = "the log ended" if self._ended else f"{timeout} s passed"
                tail = "".join(self._lines[-20:])
                raise AssertionError(
                    f"{ended} with {seen} of {count} lines containing {text!r}; last lines:\n{tail}"
                )

    def text(self, timeout=60.0):
        """The whole log, once the process has closed it (call after the process exits)."""
        self._thread.join(timeout=timeout)
        assert not self._thread.is_alive(), "the log was not closed"
        with self._changed:
            return "".join(self._lines)


def start_serve_process(repo_root, flags, verbose=False):
    """Runs `tfcharnlp serve --port=0 <flags>` in a subprocess (`tfcharnlp -v serve` if verbose).

    Returns `(process, "localhost:PORT", log)` once the server prints the
    port it listens on: `log` is a `LogWatcher` on the server's stderr (read
    the log there, not from `process.stderr`); the caller stops the process.
    A server that exits or prints something else first is killed and fails
    the test.
    """
    command = [sys.executable, "-m", "tfcharnlp.cli", *(["-v"] if verbose else [])]
    command += ["serve", "--port=0", *flags]
    env = dict(os.environ, PYTHONPATH=str(repo_root), TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen(
        command, cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    log = LogWatcher(process.stderr)
    try:
        line = process.stdout.readline()
        match = re.search(r"listening on (\S+):(\d+)", line)
        assert match, (line, process.poll())
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, f"localhost:{match.group(2)}", log


class ClientLoop:
    """Sends Predict in a loop on its own channel; records every failure and the versions seen."""

    def __init__(self, target, model):
        self.target, self.model = target, model
        self.failures, self.versions, self.calls = [], set(), 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        with grpc.insecure_channel(self.target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            while not self._stop.is_set():
                try:
                    response = stub.Predict(request_for(self.model), timeout=10)
                    self.versions.add(response.model_spec.version.value)
                except grpc.RpcError as error:
                    self.failures.append((error.code(), error.details()))
                self.calls += 1

    def __enter__(self):
        self._thread.start()
        wait_until(lambda: self.calls > 0)
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=30)


def tensor_proto(dtype, shape, **values):
    proto = tensor_pb2.TensorProto(dtype=dtype)
    for size in shape:
        proto.tensor_shape.dim.add(size=size)
    for field, value in values.items():
        if field == "tensor_content":
            proto.tensor_content = value
        else:
            getattr(proto, field).extend(value)
    return proto


def bad_tensors():
    unknown_rank = tensor_proto(types_pb2.DT_STRING, [])
    unknown_rank.tensor_shape.unknown_rank = True
    return {
        "int32_for_string": tensor_proto(types_pb2.DT_INT32, [2], int_val=[1, 2]),
        "float_content_for_string": tensor_proto(
            types_pb2.DT_FLOAT, [2], tensor_content=np.ones(2, np.float32).tobytes()
        ),
        "variant_dtype": tensor_proto(types_pb2.DT_VARIANT, [1]),
        "resource_dtype": tensor_proto(types_pb2.DT_RESOURCE, [1]),
        "enum_out_of_range": tensor_proto(9999, [1]),
        "rank_5": tensor_proto(types_pb2.DT_STRING, [1, 1, 1, 1, 1], string_val=[b"a"]),
        "scalar": tensor_proto(types_pb2.DT_STRING, [], string_val=[b"a"]),
        "negative_dim": tensor_proto(types_pb2.DT_STRING, [-3], string_val=[b"a"]),
        "unknown_rank": unknown_rank,
        "too_many_values": tensor_proto(types_pb2.DT_STRING, [1], string_val=[b"a", b"b", b"c"]),
        "string_tensor_content": tensor_proto(types_pb2.DT_STRING, [1], tensor_content=b"abcd"),
        # Shapes that claim more elements than memory holds, with no values.
        "shape_2_pow_62": tensor_proto(types_pb2.DT_STRING, [2**31, 2**31]),
        "shape_128_gib": tensor_proto(types_pb2.DT_FLOAT, [2**35]),
    }


def rest_bodies():
    rng = random.Random(5)
    bodies = {
        f"random_bytes_{n}": bytes(rng.getrandbits(8) for _ in range(n)) for n in (1, 33, 4000)
    }
    bodies.update(
        {
            "truncated": b'{"instances": ["abc"',
            "invalid_utf8": b'{"instances": ["\xff\xfe"]}',
            "deep_nesting": b'{"instances": ' + b"[" * 100000 + b"]" * 100000 + b"}",
            "deep_nesting_unclosed": b"[" * 200000,
            "wrong_type_number": b'{"instances": [1, 2]}',
            "wrong_type_null": b'{"instances": [null]}',
            "wrong_type_bool": b'{"inputs": true}',
            "instances_object": b'{"instances": {"text": "a"}}',
            "bad_b64": b'{"instances": [{"b64": "@@@"}]}',
            "b64_not_string": b'{"instances": [{"b64": 12}]}',
            "b64_extra_key": b'{"instances": [{"b64": "YQ==", "x": 1}]}',
            "ragged": b'{"inputs": [["a"], ["b", "c"]]}',
            "nan_literal": b'{"inputs": [NaN]}',
            "huge_number": b'{"inputs": [1e999999]}',
            "huge_int": b'{"inputs": [' + b"9" * 5000 + b"]}",
            "signature_list": b'{"signature_name": ["x"], "instances": ["a"]}',
            "empty_object": b"{}",
            "top_level_string": b'"abc"',
        }
    )
    return bodies
