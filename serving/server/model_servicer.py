"""`tensorflow.serving.ModelService`: GetModelStatus and HandleReloadConfigRequest."""

from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
)

from serving.server import model_config, status
from serving.server.events import log_event
from serving.server.prediction_servicer import guarded


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    """TensorFlow Serving's ModelService.

    Args:
        manager: the `ModelManager` that owns the loaded versions.
    """

    def __init__(self, manager):
        self.manager = manager

    def GetModelStatus(self, request, context):
        def call():
            if not request.HasField("model_spec"):
                raise status.invalid_argument("Missing ModelSpec")
            spec = request.model_spec
            version = spec.version.value if spec.HasField("version") else None
            return model_status_response(self.manager, spec.name, version)

        return guarded("GetModelStatus", context, call)

    def HandleReloadConfigRequest(self, request, context):
        def call():
            config_list = model_config.model_config_list(request.config)
            log_event("config_reload", models=",".join(c.name for c in config_list.config))
            self.manager.reload(config_list)
            response = model_management_pb2.ReloadConfigResponse()
            response.status.CopyFrom(status.ok_status_proto())
            return response

        return guarded("HandleReloadConfigRequest", context, call)


def model_status_response(manager, name, version=None):
    """The GetModelStatusResponse of a model (one version, or all newest first); REST's too."""
    response = get_model_status_pb2.GetModelStatusResponse()
    for number, state, error in manager.version_states(name, version):
        entry = response.model_version_status.add(version=number, state=state)
        entry.status.CopyFrom(
            error.to_status_proto() if error is not None else status.ok_status_proto()
        )
    return response
