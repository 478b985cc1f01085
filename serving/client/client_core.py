"""`ClientCore`: what `ServingClient` and `AsyncServingClient` share - settings, channel, requests.

A subclass names its gRPC flavour (`grpc` or `grpc.aio`) and says how a call
is made and how it waits (blocking or awaited); the settings, their checks,
the channel and stubs, the requests of every method and the reading of the
answers are here, once.
"""

import functools
import time

import grpc

from serving.client import channel, request_builders, response_readers
from serving.client.errors import error_for, error_from_rpc
from serving.client.retry import RetryPolicy
from serving.protos import import_protos
from tfcharnlp import constants

model_service_pb2_grpc, prediction_service_pb2_grpc = import_protos(
    "tensorflow_serving.apis.model_service_pb2_grpc",
    "tensorflow_serving.apis.prediction_service_pb2_grpc",
)

DEFAULT_TARGET = f"{constants.DEFAULT_HOST}:{constants.GRPC_PORT}"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 3
# Rows per request: at most serving/batching_parameters.config's max_batch_size,
# since TF Serving's batcher refuses a single request larger than a batch
# (unless large-batch splitting is switched on, which it is not by default).
DEFAULT_CHUNK_SIZE = 64
# Codes meaning "not ready yet" while waiting for a model: the server is
# starting (UNAVAILABLE) or has not loaded the model (NOT_FOUND).
_NOT_READY_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND)


class ClientCore:
    """The settings, channel and request shaping of a client for one served model.

    Args:
        target: `HOST:PORT` of the gRPC server (or `unix:/path` for a socket).
        model_name: the served model's name.
        version: serve requests from this version only (default: the latest).
        version_label: or from the version this label points at (e.g. `"stable"`).
        timeout: seconds one call may take in total, retries included; every
            method also takes its own `timeout`.
        retries: how many times a call that failed with UNAVAILABLE is tried
            again, with exponential backoff (see `RetryPolicy`).
        credentials: `grpc.ChannelCredentials` for TLS (see
            `serving.client.tls_credentials`); None: plain text.
        max_message_size: largest request and response in bytes.
        chunk_size: texts per request; longer lists are split and joined back.
        channel_options: extra `(key, value)` gRPC channel options.
    """

    # `grpc` or `grpc.aio`: whose channels the subclass calls through.
    channels = None

    def __init__(
        self,
        target=DEFAULT_TARGET,
        model_name=None,
        version=None,
        version_label=None,
        timeout=DEFAULT_TIMEOUT,
        retries=DEFAULT_RETRIES,
        credentials=None,
        max_message_size=channel.DEFAULT_MAX_MESSAGE_SIZE,
        chunk_size=DEFAULT_CHUNK_SIZE,
        channel_options=(),
    ):
        # Checked before a channel exists, so a bad argument leaks nothing.
        request_builders.model_spec(model_name, version, version_label)
        if timeout is None or timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size!r}")
        self.retry_policy = RetryPolicy(retries)
        self.target = target
        self.model_name = model_name
        self.version = version
        self.version_label = version_label
        self.timeout = timeout
        self.chunk_size = chunk_size
        self._channel = channel.open_channel(
            self.channels,
            target,
            credentials,
            channel.channel_options(max_message_size, channel_options),
        )
        self._prediction = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)
        self._input_specs = {}

    @property
    def retries(self):
        return self.retry_policy.retries

    def __repr__(self):
        return f"{type(self).__name__}(target={self.target!r}, model_name={self.model_name!r})"

    # ----------------------------------------------------------- requests

    def _spec(self, signature_name=None):
        return request_builders.model_spec(
            self.model_name, self.version, self.version_label, signature_name
        )

    def _attempts(self, method, timeout):
        return self.retry_policy.start(method, self.timeout if timeout is None else timeout)

    def _stub_method(self, method):
        """The stub's callable of an RPC (`"Predict"`, `"GetModelStatus"`, ...)."""
        return getattr(self._models if method == "GetModelStatus" else self._prediction, method)

    def _predict_request(self, inputs, output_filter=None, signature_name=None):
        return request_builders.predict_request(self._spec(signature_name), inputs, output_filter)

    def _metadata_request(self):
        return request_builders.metadata_request(self._spec())

    def _status_request(self):
        return request_builders.status_request(self._spec())

    def _classify_calls(self, texts, signature_name):
        """`(PredictRequest, read(response) -> Predictions)` per chunk of the texts."""
        texts = request_builders.as_text_list(texts)
        signature_name = signature_name or constants.SERVING_SIGNATURE
        calls = []
        for part in request_builders.chunk_slices(len(texts), self.chunk_size):
            chunk = texts[part]
            request = self._predict_request(
                request_builders.classify_inputs(chunk), signature_name=signature_name
            )
            calls.append(
                (request, functools.partial(response_readers.predictions, count=len(chunk)))
            )
        return calls

    def _generate_calls(self, prompts, controls, signature_name, input_specs):
        """`(PredictRequest, read(response) -> texts)` per chunk of the prompts."""
        calls = []
        for part in request_builders.chunk_slices(len(prompts), self.chunk_size):
            inputs = request_builders.generator_inputs(
                prompts[part], {key: values[part] for key, values in controls.items()}, input_specs
            )
            request = self._predict_request(inputs, signature_name=signature_name)
            count = len(prompts[part])
            calls.append(
                (request, functools.partial(response_readers.generated_texts, count=count))
            )
        return calls

    @staticmethod
    def _generation(prompts, length, temperature, top_k, seed, signature_name):
        """The checked prompts, their per-prompt controls, and the signature to call."""
        prompts = request_builders.as_text_list(prompts, what="prompts")
        controls = request_builders.generator_controls(
            len(prompts), length, temperature, top_k, seed
        )
        return prompts, controls, signature_name or constants.SERVING_SIGNATURE

    # -------------------------------------------------------- signatures

    def _known_inputs(self, signature_name):
        """`(known, {input key: TensorSpec} or None)` from the cache of signature inputs."""
        return signature_name in self._input_specs, self._input_specs.get(signature_name)

    def _learn_inputs(self, signature_name, metadata=None, error=None):
        """Caches the signature's inputs from `metadata`, or None when the server has no metadata.

        `error`: the `ServingError` of the GetModelMetadata call; anything but
        UNIMPLEMENTED (a server without GetModelMetadata: send the contract's
        dtypes) is raised.
        """
        if error is not None and error.code != grpc.StatusCode.UNIMPLEMENTED:
            raise error
        signature = metadata.signatures.get(signature_name) if metadata is not None else None
        self._input_specs[signature_name] = signature.inputs if signature else None
        return self._input_specs[signature_name]


class AvailabilityWait:
    """The bookkeeping of `wait_until_available`: the deadline, the last state seen, the answer.

    ```python
    wait = AvailabilityWait(client, timeout, poll_interval)
    while True:
        try:
            response = stub.GetModelStatus(request, timeout=wait.call_timeout())
        except grpc.RpcError as error:
            wait.failed(error)
        else:
            if (found := wait.answered(response)) is not None:
                return found
        time.sleep(wait.pause())
    ```
    """

    def __init__(self, client, timeout, poll_interval):
        self.client = client
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.deadline = time.monotonic() + timeout
        self.last = "no answer yet"

    def call_timeout(self):
        """The timeout of the next GetModelStatus call; DEADLINE_EXCEEDED once the wait is over."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise error_for(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"model {self.client.model_name!r} not AVAILABLE within {self.timeout:g} s; "
                f"last: {self.last}",
                method="GetModelStatus",
            )
        return min(remaining, self.client.timeout)

    def failed(self, error):
        """A failed call: not ready yet (keep waiting) or a real error (raised, typed)."""
        if error.code() not in _NOT_READY_CODES:
            raise error_from_rpc(error, "GetModelStatus") from None
        self.last = f"{error.code().name}: {error.details()}"

    def answered(self, response):
        """The available `ModelVersionStatus` of a GetModelStatus answer, or None (keep waiting)."""
        found = response_readers.statuses(response)
        available = response_readers.available_version(found, self.client.version)
        if available is None:
            self.last = response_readers.describe_statuses(found)
        return available

    def pause(self):
        """Seconds to wait before asking again."""
        return max(0.0, min(self.poll_interval, self.deadline - time.monotonic()))
