"""The errors the serving client raises: one class per gRPC status a caller handles differently.

Every error keeps the server's gRPC status code (`.code`, a `grpc.StatusCode`)
and message (`.details`), so nothing TensorFlow Serving said is lost; catch
`ServingError` for all of them, or a subclass for one case:

    ServingError                  any failed call (base; also the catch-all)
    ├── ModelNotFoundError        NOT_FOUND: unknown model, version or label
    ├── InvalidInputError         INVALID_ARGUMENT / FAILED_PRECONDITION / OUT_OF_RANGE
    ├── ServingUnavailableError   UNAVAILABLE: server down or restarting (retried first)
    ├── ServingTimeoutError       DEADLINE_EXCEEDED: the call's timeout passed
    ├── ResourceExhaustedError    RESOURCE_EXHAUSTED: queue full, message too large
    └── AuthenticationError       UNAUTHENTICATED / PERMISSION_DENIED (TLS, credentials)
"""

import grpc

from tfcharnlp.errors import TfcharnlpError


class ServingError(TfcharnlpError):
    """A serving call failed; `.code` is the gRPC status, `.details` the server's message.

    Args:
        code: the `grpc.StatusCode` of the failure.
        details: the status message (TensorFlow Serving's wording, unchanged).
        method: the RPC that failed (e.g. `"Predict"`), for the message.
    """

    def __init__(self, code, details, method=None):
        self.code = code
        self.details = details or ""
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{code.name}: {self.details}")


class ModelNotFoundError(ServingError):
    """The model, version or version label is not served (NOT_FOUND)."""


class InvalidInputError(ServingError, ValueError):
    """The request does not fit the model's signature (INVALID_ARGUMENT and kin)."""


class ServingUnavailableError(ServingError):
    """The server cannot be reached or is not ready (UNAVAILABLE), after the retries."""


class ServingTimeoutError(ServingError, TimeoutError):
    """The call did not finish within its timeout (DEADLINE_EXCEEDED)."""


class ResourceExhaustedError(ServingError):
    """The server refused for lack of room: batch queue full, message too large."""


class AuthenticationError(ServingError):
    """The server refused the client's credentials (UNAUTHENTICATED, PERMISSION_DENIED)."""


_BY_CODE = {
    grpc.StatusCode.NOT_FOUND: ModelNotFoundError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidInputError,
    grpc.StatusCode.FAILED_PRECONDITION: InvalidInputError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidInputError,
    grpc.StatusCode.UNAVAILABLE: ServingUnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: ServingTimeoutError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: AuthenticationError,
}


def error_for(code, details, method=None):
    """The `ServingError` subclass instance for a gRPC status code."""
    return _BY_CODE.get(code, ServingError)(code, details, method=method)


def error_from_rpc(error, method=None):
    """The typed error of a failed call (`grpc.RpcError` or `grpc.aio.AioRpcError`)."""
    code = error.code() if callable(getattr(error, "code", None)) else grpc.StatusCode.UNKNOWN
    details = error.details() if callable(getattr(error, "details", None)) else str(error)
    return error_for(code, details, method=method)


def client_error(message, method=None):
    """A request the client refuses before sending it: INVALID_ARGUMENT, as the server would."""
    return error_for(grpc.StatusCode.INVALID_ARGUMENT, message, method=method)
