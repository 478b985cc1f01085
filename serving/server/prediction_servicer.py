"""`tensorflow.serving.PredictionService` over the model manager.

Every call resolves its servable from the request's ModelSpec, runs under a
per-request guard that turns any failure into a gRPC status (so no request
can take the server down), and honours the client's deadline.
"""

import time
import traceback

import grpc
from tensorflow_serving.apis import get_model_metadata_pb2, prediction_service_pb2_grpc

from serving.server import inference, predict, status
from serving.server.events import log_event

SIGNATURE_DEF_FIELD = "signature_def"


def request_deadline(context):
    """The call's deadline on the monotonic clock (None without one); DEADLINE_EXCEEDED if past."""
    remaining = context.time_remaining()
    if remaining is None or remaining > 1e9:
        return None
    if remaining <= 0:
        raise status.StatusError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    return time.monotonic() + remaining


def guarded(method, context, call):
    """Runs `call()`; any exception becomes a status on `context` (INTERNAL when unexpected)."""
    try:
        return call()
    except status.StatusError as error:
        failure = error
    except Exception as error:  # noqa: BLE001 - a request must never take the server down
        failure = status.internal(f"{method} failed: {type(error).__name__}: {error}")
        log_event("request_internal_error", method=method, traceback=traceback.format_exc(limit=5))
    log_event(
        "request_failed", method=method, code=failure.code.name, message=failure.message[:200]
    )
    context.abort(failure.code, failure.message)


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    """TensorFlow Serving's PredictionService: Predict, Classify, Regress, MultiInference, metadata.

    Args:
        manager: the `ModelManager` that owns the loaded versions.
    """

    def __init__(self, manager):
        self.manager = manager

    def _on_servable(self, method, request, context, run):
        """`run(servable, request, deadline)` on the servable of the request's ModelSpec."""

        def call():
            if not request.HasField("model_spec"):
                raise status.invalid_argument("Missing ModelSpec")
            deadline = request_deadline(context)
            with self.manager.servable_handle(request.model_spec) as servable:
                return run(servable, request, deadline)

        return guarded(method, context, call)

    def Predict(self, request, context):
        return self._on_servable("Predict", request, context, predict.predict)

    def Classify(self, request, context):
        return self._on_servable("Classify", request, context, inference.classify)

    def Regress(self, request, context):
        return self._on_servable("Regress", request, context, inference.regress)

    def MultiInference(self, request, context):
        def call():
            inference.check_multi_inference(request)
            deadline = request_deadline(context)
            with self.manager.servable_handle(request.tasks[0].model_spec) as servable:
                return inference.multi_inference(servable, request, deadline)

        return guarded("MultiInference", context, call)

    def GetModelMetadata(self, request, context):
        def call():
            if not request.HasField("model_spec"):
                raise status.invalid_argument("Missing ModelSpec")
            # TensorFlow Serving validates the request before looking the model up.
            check_metadata_fields(request)
            response = get_model_metadata_pb2.GetModelMetadataResponse()
            with self.manager.servable_handle(request.model_spec) as servable:
                response.model_spec.name = servable.name
                response.model_spec.version.value = servable.version
                response.metadata[SIGNATURE_DEF_FIELD].Pack(servable.signature_def_map)
            return response

        return guarded("GetModelMetadata", context, call)


def check_metadata_fields(request):
    """TensorFlow Serving's ValidateGetModelMetadataRequest."""
    if not request.metadata_field:
        raise status.invalid_argument(
            "GetModelMetadataRequest must specify at least one metadata_field"
        )
    for field in request.metadata_field:
        if field != SIGNATURE_DEF_FIELD:
            # TF Serving's text is "Metadata field %s is not supported" followed by the
            # field (StrCat leaves the %s); ours puts the field where the %s is.
            raise status.invalid_argument(f"Metadata field {field} is not supported")
