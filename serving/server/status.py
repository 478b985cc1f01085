"""gRPC status codes and TensorFlow Serving's error wording.

Clients written for TensorFlow Serving match on the status code and, now and
then, on the message text (`Servable not found for request: ...`), so the
messages below copy TensorFlow Serving's wording where clients look for it.
"""

import grpc
from tensorflow_serving.apis import status_pb2

# TensorFlow's method names, as stored in a SignatureDef.
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"


class StatusError(Exception):
    """An error the server answers with a gRPC status code and a message.

    (The client's errors are `serving.client.errors.ServingError` and its
    subclasses: what a caller catches. This one is what the server raises
    inside and maps to the gRPC or HTTP status at the edge.)

    Args:
        code: a `grpc.StatusCode`.
        message: the text sent as the status details.
    """

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_status_proto(self):
        """The error as TensorFlow Serving's `StatusProto` (used by ModelService)."""
        return status_pb2.StatusProto(error_code=self.code.value[0], error_message=self.message)


def invalid_argument(message):
    return StatusError(grpc.StatusCode.INVALID_ARGUMENT, message)


def failed_precondition(message):
    return StatusError(grpc.StatusCode.FAILED_PRECONDITION, message)


def not_found(message):
    return StatusError(grpc.StatusCode.NOT_FOUND, message)


def resource_exhausted(message):
    return StatusError(grpc.StatusCode.RESOURCE_EXHAUSTED, message)


def unavailable(message):
    return StatusError(grpc.StatusCode.UNAVAILABLE, message)


def internal(message):
    return StatusError(grpc.StatusCode.INTERNAL, message)


def servable_not_found(name, version=None):
    """TensorFlow Serving's ServableHandle error for an unknown model or version."""
    request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
    return not_found(f"Servable not found for request: {request}")


def unknown_version_label(label):
    # TensorFlow Serving answers INVALID_ARGUMENT (not NOT_FOUND) for a label
    # that the model config does not define; we keep its code and wording.
    return invalid_argument(f"Unrecognized servable version label: {label}")


def ok_status_proto():
    return status_pb2.StatusProto(error_code=0)
