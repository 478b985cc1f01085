"""The embedded TensorFlow Serving-compatible gRPC server (`tfcharnlp serve`).

Start one from Python with `start_server(model_name=..., model_base_path=..., port=0)`
(the keywords are `ServerOptions` fields), or `ModelServer(ServerOptions(...)).start()`.

The exports below load lazily: `tfcharnlp serve --help` imports `flags` from
this package and must not pay for TensorFlow.
"""

from tfcharnlp.lazy_exports import lazy_exports

_EXPORTS = {
    "BatchingOptions": "serving.server.batching",
    "parse_batching_parameters": "serving.server.batching",
    "read_model_config_file": "serving.server.model_config",
    "single_model_config": "serving.server.model_config",
    "ModelManager": "serving.server.model_manager",
    "Servable": "serving.server.servable",
    "ModelServer": "serving.server.server",
    "ServerOptions": "serving.server.options",
    "start_server": "serving.server.server",
    "StatusError": "serving.server.status",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
