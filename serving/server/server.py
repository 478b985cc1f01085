"""The model server: gRPC services, health checking, start and graceful stop.

`ModelServer` assembles the model manager, TensorFlow Serving's
PredictionService and ModelService, and the standard gRPC health service
(service "" and one entry per model name: SERVING once a version is
available). `stop()` drains: new calls are refused, calls in flight finish,
then every version is unloaded.
"""

import dataclasses
import os
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

from serving.server import flags, status
from serving.server.events import log_event
from serving.server.model_manager import ModelManager
from serving.server.model_servicer import ModelServicer
from serving.server.options import ServerOptions
from serving.server.prediction_servicer import PredictionServicer
from tfcharnlp.errors import ConfigError

# Request threads waiting in a batch queue are blocked, not busy: allow this many.
MAX_BATCHING_WORKERS = 256


def default_max_workers(batching=None):
    """Request threads: a few per core, plus room for full batches when batching.

    A gRPC thread holds its request while the request waits in the batch
    queue, so with too few threads a batch can never grow past the thread
    count (with 8 threads, 32 concurrent clients made batches of at most 8).
    TensorFlow Serving's C++ server has no such limit; here every running
    batch slot gets `max_batch_size` threads, capped at `MAX_BATCHING_WORKERS`.
    """
    workers = max(8, 4 * (os.cpu_count() or 1))
    if batching is not None:
        room = batching.max_batch_size * batching.num_batch_threads
        workers = max(workers, min(workers + room, MAX_BATCHING_WORKERS))
    return workers


class ModelServer:
    """A TensorFlow Serving-compatible gRPC server for SavedModels.

    Args:
        options: the `ServerOptions` (models, ports, batching, REST, TLS, limits).

    Example:

    ```python
    options = ServerOptions(model_name="demo", model_base_path="/models/demo", port=0)
    server = ModelServer(options).start()
    channel = grpc.insecure_channel(server.target)
    ...
    server.stop()
    ```
    """

    def __init__(self, options):
        from serving.server import metrics as metrics_module

        self.options = options
        self.host = options.host
        self.requested_port = options.port
        self.grpc_socket_path = options.grpc_socket_path
        self.port = None
        self.limits = options.limits
        self.ssl_config = options.ssl_config
        self._health = health.HealthServicer(experimental_non_blocking=True)
        try:
            self.manager = ModelManager(
                options.config_list,
                batching=options.batching,
                file_system_poll_wait_seconds=options.file_system_poll_wait_seconds,
                model_config_file=options.model_config_file or None,
                model_config_file_poll_wait_seconds=options.model_config_file_poll_wait_seconds,
                enable_warmup=options.enable_warmup,
                on_change=self._update_health,
                servable_factory=self._load_servable,
                allow_version_labels_for_unavailable_models=(
                    options.allow_version_labels_for_unavailable_models
                ),
            )
        except status.StatusError as error:
            raise ConfigError(options.config_flag, error.message) from error
        # Metrics are only recorded when something can read them (Prometheus
        # on), so a server without monitoring pays nothing per request.
        prometheus_path = options.prometheus_path
        self.metrics = metrics_module.ServingMetrics(self.manager) if prometheus_path else None
        self.rest = None
        if options.rest_api_port is not None:
            from serving.server.http_server import RestApiServer
            from serving.server.rest_api_handler import DEFAULT_TIMEOUT_MS, RestApiHandler

            timeout_in_ms = options.rest_api_timeout_in_ms
            handler = RestApiHandler(
                self.manager,
                timeout_in_ms=DEFAULT_TIMEOUT_MS if timeout_in_ms is None else timeout_in_ms,
                metrics=self.metrics,
            )
            self.rest = RestApiServer(
                handler,
                host=options.host,
                port=options.rest_api_port,
                metrics=self.metrics,
                prometheus_path=prometheus_path,
                max_body_bytes=options.rest_api_max_body_bytes,
                max_threads=options.rest_api_num_threads,
            )
        grpc_options = [
            ("grpc.max_receive_message_length", options.max_message_size),
            ("grpc.max_send_message_length", options.max_message_size),
            # Two servers must never share a port by accident (tests use port 0).
            ("grpc.so_reuseport", 0),
            *options.channel_arguments,
        ]
        self._server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=options.max_workers or default_max_workers(options.batching),
                thread_name_prefix="grpc-request",
            ),
            options=grpc_options,
            interceptors=[metrics_module.MetricsInterceptor(self.metrics)]
            if self.metrics is not None
            else [],
        )
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            PredictionServicer(self.manager), self._server
        )
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(
            ModelServicer(self.manager), self._server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        self._stopped = threading.Event()
        self._health_names = set()

    def _load_servable(self, name, version, path, batching):
        from serving.server.metrics import instrument_servable
        from serving.server.servable import Servable

        servable = Servable(name, version, path, batching, limits=self.limits).load()
        return servable if self.metrics is None else instrument_servable(servable, self.metrics)

    @property
    def target(self):
        """`host:port` to give `grpc.insecure_channel`."""
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "localhost"
        return f"{host}:{self.port}"

    def start(self):
        """Binds, loads the configured models, then serves. Returns self."""
        address = f"{self.host}:{self.requested_port}"
        try:
            if self.ssl_config is not None:
                from serving.server import tls

                credentials = tls.server_credentials(self.ssl_config)
                self.port = self._server.add_secure_port(address, credentials)
            else:
                self.port = self._server.add_insecure_port(address)
        except RuntimeError as error:
            raise ConfigError("--port", f"cannot bind {address}: {error}") from error
        if not self.port:
            raise ConfigError("--port", f"cannot bind {address}")
        if self.grpc_socket_path:
            try:
                bound = self._server.add_insecure_port(f"unix:{self.grpc_socket_path}")
            except RuntimeError as error:
                raise ConfigError(
                    "--grpc_socket_path", f"cannot bind {self.grpc_socket_path}: {error}"
                ) from error
            if not bound:
                raise ConfigError("--grpc_socket_path", f"cannot bind {self.grpc_socket_path}")
        if self.rest is not None:
            try:
                self.rest.start()
            except OSError as error:
                raise ConfigError(
                    "--rest_api_port",
                    f"cannot bind {self.host}:{self.rest.requested_port}: {error}",
                ) from error
        self.manager.start()
        self._server.start()
        self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        log_event(
            "server_started",
            address=address if self.requested_port else f"{self.host}:{self.port}",
            socket=self.grpc_socket_path or None,
            rest_port=self.rest.port if self.rest is not None else None,
            tls=("mutual" if self.ssl_config.client_verify else "server")
            if self.ssl_config is not None
            else None,
            models=",".join(self.manager.config_names()),
        )
        return self

    def _update_health(self):
        names = set(self.manager.config_names())
        for name in names | self._health_names:
            serving = name in names and self.manager.available(name)
            self._health.set(
                name,
                health_pb2.HealthCheckResponse.SERVING
                if serving
                else health_pb2.HealthCheckResponse.NOT_SERVING,
            )
        self._health_names = names | self._health_names

    def stop(self, grace=flags.DEFAULT_DRAIN_SECONDS):
        """Drains: refuses new calls, lets calls in flight finish (up to `grace` s), unloads."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        log_event("server_draining", grace_seconds=grace)
        self._health.enter_graceful_shutdown()
        self._server.stop(grace).wait()
        if self.rest is not None:
            self.rest.stop()
        self.manager.stop()
        log_event("server_stopped")

    def wait_for_termination(self, timeout=None):
        return self._server.wait_for_termination(timeout)

    def __enter__(self):
        return self if self.port is not None else self.start()

    def __exit__(self, *exc_info):
        self.stop(grace=1.0)


def start_server(options=None, **fields):
    """Starts a server for tests and embedding; returns the running `ModelServer`.

    Give `ServerOptions`, or its fields as keyword arguments (`port` defaults
    to 0 here, a free port: use `server.target`), e.g.
    `start_server(model_name="m", model_base_path=path, rest_api_port=0)`.
    Stop with `server.stop()` or use the server as a context manager.
    """
    if options is None:
        options = ServerOptions(**{"port": 0, **fields})
    elif fields:
        options = dataclasses.replace(options, **fields)
    return ModelServer(options).start()
