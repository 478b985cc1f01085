"""The model server: gRPC services, health checking, start and graceful stop.

`ModelServer` assembles the model manager, TensorFlow Serving's
PredictionService and ModelService, and the standard gRPC health service
(service "" and one entry per model name: SERVING once a version is
available). `stop()` drains: new calls are refused, calls in flight finish,
then every version is unloaded.
"""

import os
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

from serving.server import batching, flags, model_config, status
from serving.server.events import log_event
from serving.server.model_manager import ModelManager
from serving.server.model_servicer import ModelServicer
from serving.server.prediction_servicer import PredictionServicer
from tfcharnlp import constants
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
        config_list: TensorFlow Serving `ModelConfigList` of the models to serve.
        host: address to bind; `localhost` unless told otherwise.
        port: gRPC port; 0 picks a free one (read `.port` after `start()`).
        grpc_socket_path: also listen on this Unix socket when set.
        batching: `BatchingOptions` to merge concurrent requests, or None.
        file_system_poll_wait_seconds: seconds between polls of the base paths (0: once).
        model_config_file: path re-read every `model_config_file_poll_wait_seconds` (0: never).
        model_config_file_poll_wait_seconds: see above.
        max_message_size: largest request or response, bytes.
        channel_arguments: extra `(key, value)` gRPC server options.
        max_workers: request threads (None: `default_max_workers(batching)`).
        enable_warmup: replay each version's warmup records before serving it.
        rest_api_port: also serve TF Serving's REST API on this port (None: off; 0: a free one).
        rest_api_timeout_in_ms: deadline of each REST call.
        rest_api_num_threads: REST requests served at once (None: 4 per core).
        rest_api_max_body_bytes: largest REST body; larger ones get 413 unread.
        monitoring_config: TF Serving `MonitoringConfig`; Prometheus needs the REST port.
        ssl_config: TF Serving `SSLConfig` for TLS / mutual TLS on the gRPC port.
        limits: `RequestLimits` for large requests (None: the defaults).
        allow_version_labels_for_unavailable_models: let the config label versions
            that are not AVAILABLE yet (TF Serving's flag; without it, labels in the
            startup config are refused, as TF Serving refuses them).

    Example:

    ```python
    server = ModelServer(single_model_config("demo", "/models/demo"), port=0).start()
    channel = grpc.insecure_channel(server.target)
    ...
    server.stop()
    ```
    """

    def __init__(
        self,
        config_list,
        host=constants.DEFAULT_HOST,
        port=constants.GRPC_PORT,
        grpc_socket_path="",
        batching=None,
        file_system_poll_wait_seconds=1.0,
        model_config_file=None,
        model_config_file_poll_wait_seconds=0.0,
        max_message_size=flags.DEFAULT_MAX_MESSAGE_SIZE,
        channel_arguments=(),
        max_workers=None,
        enable_warmup=True,
        rest_api_port=None,
        rest_api_timeout_in_ms=None,
        rest_api_num_threads=None,
        rest_api_max_body_bytes=flags.DEFAULT_REST_API_MAX_BODY_BYTES,
        monitoring_config=None,
        ssl_config=None,
        limits=None,
        allow_version_labels_for_unavailable_models=False,
    ):
        from serving.server import metrics as metrics_module
        from serving.server.request_limits import RequestLimits

        if grpc_socket_path and ssl_config is not None and ssl_config.client_verify:
            # gRPC serves a Unix socket without TLS: with it, any local process
            # would get in without the client certificate mutual TLS requires.
            raise ConfigError(
                "--grpc_socket_path",
                "the Unix socket takes no client certificate, so it would bypass the mutual TLS "
                "of --ssl_config_file (client_verify: true); use one or the other",
            )
        self.host = host
        self.requested_port = port
        self.grpc_socket_path = grpc_socket_path
        self.port = None
        self.limits = limits or RequestLimits()
        self._health = health.HealthServicer(experimental_non_blocking=True)
        self.manager = ModelManager(
            config_list,
            batching=batching,
            file_system_poll_wait_seconds=file_system_poll_wait_seconds,
            model_config_file=model_config_file,
            model_config_file_poll_wait_seconds=model_config_file_poll_wait_seconds,
            enable_warmup=enable_warmup,
            on_change=self._update_health,
            servable_factory=self._load_servable,
            allow_version_labels_for_unavailable_models=allow_version_labels_for_unavailable_models,
        )
        # Metrics are only recorded when something can read them (Prometheus
        # on), so a server without monitoring pays nothing per request.
        prometheus = monitoring_config is not None and monitoring_config.prometheus_config.enable
        self.metrics = metrics_module.ServingMetrics(self.manager) if prometheus else None
        self.ssl_config = ssl_config
        self.rest = None
        if rest_api_port is not None:
            from serving.server.http_server import RestApiServer
            from serving.server.rest_api import DEFAULT_TIMEOUT_MS, RestApi

            api = RestApi(
                self.manager,
                timeout_in_ms=DEFAULT_TIMEOUT_MS
                if rest_api_timeout_in_ms is None
                else rest_api_timeout_in_ms,
                metrics=self.metrics,
            )
            self.rest = RestApiServer(
                api,
                host=host,
                port=rest_api_port,
                metrics=self.metrics,
                prometheus_path=monitoring_config.prometheus_config.path if prometheus else None,
                max_body_bytes=rest_api_max_body_bytes,
                max_threads=rest_api_num_threads,
            )
        options = [
            ("grpc.max_receive_message_length", max_message_size),
            ("grpc.max_send_message_length", max_message_size),
            # Two servers must never share a port by accident (tests use port 0).
            ("grpc.so_reuseport", 0),
        ]
        options.extend(channel_arguments)
        self._server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=max_workers or default_max_workers(batching),
                thread_name_prefix="grpc-request",
            ),
            options=options,
            interceptors=[metrics_module.MetricsInterceptor(self.metrics)] if prometheus else [],
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

    @classmethod
    def from_flags(cls, args):
        """A server from parsed `tensorflow_model_server` flags (see `flags.add_flags`)."""
        from serving.server import config_protos, tls
        from serving.server.request_limits import RequestLimits

        flags.check_flags(args)
        flag = "--batching_parameters_file"
        try:
            if args.model_config_file:
                flag = "--model_config_file"
                config_list = model_config.read_model_config_file(args.model_config_file)
            else:
                config_list = model_config.single_model_config(
                    args.model_name, args.model_base_path
                )
            batching_options = None
            if args.enable_batching:
                flag = "--batching_parameters_file"
                batching_options = batching.BatchingOptions()
                if args.batching_parameters_file:
                    with open(args.batching_parameters_file, encoding="utf-8") as stream:
                        batching_options = batching.parse_batching_parameters(
                            stream.read(), source=args.batching_parameters_file
                        )
            monitoring_config = ssl_config = None
            if args.monitoring_config_file:
                monitoring_config = config_protos.read_monitoring_config(
                    args.monitoring_config_file
                )
            if args.ssl_config_file:
                ssl_config = tls.read_ssl_config(args.ssl_config_file)
            flag = "--model_config_file" if args.model_config_file else "--model_base_path"
            return cls(
                config_list,
                host=args.host,
                port=args.port,
                grpc_socket_path=args.grpc_socket_path,
                batching=batching_options,
                file_system_poll_wait_seconds=args.file_system_poll_wait_seconds,
                model_config_file=args.model_config_file or None,
                model_config_file_poll_wait_seconds=args.model_config_file_poll_wait_seconds,
                max_message_size=args.max_message_size,
                channel_arguments=flags.parse_channel_arguments(args.grpc_channel_arguments),
                max_workers=args.grpc_max_threads or None,
                enable_warmup=args.enable_model_warmup,
                rest_api_port=args.rest_api_port or None,
                rest_api_timeout_in_ms=args.rest_api_timeout_in_ms,
                rest_api_num_threads=args.rest_api_num_threads or None,
                rest_api_max_body_bytes=args.rest_api_max_body_bytes,
                monitoring_config=monitoring_config,
                ssl_config=ssl_config,
                limits=RequestLimits(
                    max_rows_per_call=args.max_rows_per_model_call,
                    max_request_memory_bytes=args.max_request_memory_bytes,
                ),
                allow_version_labels_for_unavailable_models=(
                    args.allow_version_labels_for_unavailable_models
                ),
            )
        except status.ServingError as error:
            raise ConfigError(flag, error.message) from error

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


def start_server(
    model_name=None,
    model_base_path=None,
    model_config_file=None,
    config_list=None,
    port=0,
    enable_batching=False,
    batching_parameters=None,
    **kwargs,
):
    """Starts a server on loopback for tests and embedding; returns the running `ModelServer`.

    Give one of: `model_name` + `model_base_path`, `model_config_file`, or
    `config_list` (a `ModelConfigList`). `port=0` picks a free port: use
    `server.target` (`localhost:PORT`). Other keyword arguments go to
    `ModelServer` (e.g. `file_system_poll_wait_seconds=0.2`). Stop with
    `server.stop()` or use the server as a context manager.
    """
    if config_list is None:
        if model_config_file:
            config_list = model_config.read_model_config_file(model_config_file)
            kwargs.setdefault("model_config_file", model_config_file)
        elif model_base_path:
            config_list = model_config.single_model_config(
                model_name or "default", str(model_base_path)
            )
        else:
            raise ConfigError(
                "model_base_path", "give model_base_path, model_config_file or config_list"
            )
    if enable_batching or batching_parameters is not None:
        if isinstance(batching_parameters, str):
            batching_parameters = batching.parse_batching_parameters(batching_parameters)
        kwargs["batching"] = batching_parameters or batching.BatchingOptions()
    return ModelServer(config_list, port=port, **kwargs).start()
