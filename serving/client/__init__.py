"""The serving client: typed calls to a TensorFlow Serving-compatible server, TensorFlow-free.

Works against `tensorflow/serving` and `tfcharnlp serve` alike, and imports
nothing from `serving.server` nor TensorFlow's runtime (only the generated
protos, see `serving.protos`; a test reads the folder's imports):

    ServingClient         blocking calls: classify, generate, predict, metadata, status
    AsyncServingClient    the same as coroutines (grpc.aio)
    ServingError, ...     one error class per gRPC status a caller handles (`errors`)
    Prediction, ...       the answers, as plain values (`results`)
    RetryPolicy           which failures are retried, and how long to wait
    tls_credentials       channel credentials for TLS and mutual TLS

`client_core` holds what the two clients share, `request_builders` and
`response_readers` the protos in and out; `query_command` is `tfcharnlp query`.
The names load lazily, so `tfcharnlp --help` does not pay for grpc.
"""

from tfcharnlp.lazy_exports import lazy_exports

_EXPORTS = {
    "ServingClient": "serving.client.sync_client",
    "AsyncServingClient": "serving.client.async_client",
    "RetryPolicy": "serving.client.retry",
    "tls_credentials": "serving.client.channel",
    "AuthenticationError": "serving.client.errors",
    "InvalidInputError": "serving.client.errors",
    "ModelNotFoundError": "serving.client.errors",
    "ResourceExhaustedError": "serving.client.errors",
    "ServingError": "serving.client.errors",
    "ServingTimeoutError": "serving.client.errors",
    "ServingUnavailableError": "serving.client.errors",
    "ModelMetadata": "serving.client.results",
    "ModelVersionStatus": "serving.client.results",
    "Prediction": "serving.client.results",
    "SignatureInfo": "serving.client.results",
    "TensorSpec": "serving.client.results",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
