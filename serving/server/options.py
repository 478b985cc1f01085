"""`ServerOptions`: what a `ModelServer` is configured with, resolved once (TF Serving's Server::Options).

`ServerOptions.from_flags(args)` reads tensorflow_model_server's flags and
the files they name (batching, monitoring, TLS); `ServerOptions(...)` is the
same from Python. The model config is resolved here, once, from a
`ModelConfigList`, `model_config_file` or `model_name` + `model_base_path`,
and every option a server cannot honour is refused with a `ConfigError`
that names the flag.
"""

import dataclasses
from typing import Any, Optional

from serving.server import batching, flags, model_config, status
from serving.server.batching import BatchingOptions
from serving.server.request_limits import RequestLimits
from tfcharnlp import constants
from tfcharnlp.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """The options of one model server; field names are tensorflow_model_server's flags.

    Args:
        config_list: TensorFlow Serving `ModelConfigList` of the models to
            serve; None: read `model_config_file`, or serve `model_name` from
            `model_base_path` (give exactly one of the three sources).
        model_name: the served name with `model_base_path`.
        model_base_path: folder of numeric version folders.
        model_config_file: TF Serving model config text proto (also re-read
            every `model_config_file_poll_wait_seconds`, 0: never).
        model_config_file_poll_wait_seconds: see above.
        host: address to bind; `localhost` unless told otherwise.
        port: gRPC port; 0 picks a free one (read `ModelServer.port` after `start()`).
        grpc_socket_path: also listen on this Unix socket when set.
        batching: `BatchingOptions` to merge concurrent requests, or None.
        file_system_poll_wait_seconds: seconds between polls of the base paths (0: once).
        max_message_size: largest request or response, bytes.
        channel_arguments: extra `(key, value)` gRPC server options.
        max_workers: request threads (None: `default_max_workers(batching)`).
        enable_warmup: replay each version's warmup records before serving it.
        rest_api_port: also serve TF Serving's REST API on this port (None: off; 0: a free one).
        rest_api_timeout_in_ms: deadline of each REST call (None: 30000; 0: none).
        rest_api_num_threads: REST requests served at once (None: 4 per core).
        rest_api_max_body_bytes: largest REST body; larger ones get 413 unread.
        monitoring_config: TF Serving `MonitoringConfig`; Prometheus needs the REST port.
        ssl_config: TF Serving `SSLConfig` for TLS / mutual TLS on the gRPC port.
        limits: `RequestLimits` for large requests.
        allow_version_labels_for_unavailable_models: let the config label versions
            that are not AVAILABLE yet (TF Serving's flag; without it, labels in the
            startup config are refused, as TF Serving refuses them).
    """

    config_list: Any = None
    model_name: str = "default"
    model_base_path: str = ""
    model_config_file: str = ""
    model_config_file_poll_wait_seconds: float = 0.0
    host: str = constants.DEFAULT_HOST
    port: int = constants.GRPC_PORT
    grpc_socket_path: str = ""
    batching: Optional[BatchingOptions] = None
    file_system_poll_wait_seconds: float = 1.0
    max_message_size: int = flags.DEFAULT_MAX_MESSAGE_SIZE
    channel_arguments: tuple = ()
    max_workers: Optional[int] = None
    enable_warmup: bool = True
    rest_api_port: Optional[int] = None
    rest_api_timeout_in_ms: Optional[int] = None
    rest_api_num_threads: Optional[int] = None
    rest_api_max_body_bytes: int = flags.DEFAULT_REST_API_MAX_BODY_BYTES
    monitoring_config: Any = None
    ssl_config: Any = None
    limits: RequestLimits = dataclasses.field(default_factory=RequestLimits)
    allow_version_labels_for_unavailable_models: bool = False

    def __post_init__(self):
        sources = [
            self.config_list is not None,
            bool(self.model_config_file),
            bool(self.model_base_path),
        ]
        if sum(sources) != 1:
            raise ConfigError(
                "--model_base_path",
                "give exactly one of a config list, --model_config_file or --model_base_path",
            )
        if self.grpc_socket_path and self.ssl_config is not None and self.ssl_config.client_verify:
            # gRPC serves a Unix socket without TLS: with it, any local process
            # would get in without the client certificate mutual TLS requires.
            raise ConfigError(
                "--grpc_socket_path",
                "the Unix socket takes no client certificate, so it would bypass the mutual TLS "
                "of --ssl_config_file (client_verify: true); use one or the other",
            )
        if self.config_list is None:
            # One place resolves the models to serve, for the flags and for Python alike.
            try:
                if self.model_config_file:
                    config_list = model_config.read_model_config_file(self.model_config_file)
                else:
                    config_list = model_config.single_model_config(
                        self.model_name, str(self.model_base_path)
                    )
            except status.StatusError as error:
                raise ConfigError(self.config_flag, error.message) from error
            object.__setattr__(self, "config_list", config_list)

    @property
    def config_flag(self):
        """The flag that chose the models, for the messages of config errors."""
        return "--model_config_file" if self.model_config_file else "--model_base_path"

    @property
    def prometheus_path(self):
        """The Prometheus page's path when monitoring enables it, else None."""
        config = self.monitoring_config
        if config is None or not config.prometheus_config.enable:
            return None
        return config.prometheus_config.path

    @classmethod
    def from_flags(cls, args):
        """The options of parsed `tensorflow_model_server` flags (see `flags.add_flags`)."""
        from serving.server import config_protos, tls

        flags.check_flags(args)
        batching_options = None
        if args.enable_batching:
            batching_options = BatchingOptions()
            if args.batching_parameters_file:
                batching_options = read_batching_parameters_file(args.batching_parameters_file)
        return cls(
            model_name=args.model_name,
            model_base_path=args.model_base_path,
            model_config_file=args.model_config_file,
            model_config_file_poll_wait_seconds=args.model_config_file_poll_wait_seconds,
            host=args.host,
            port=args.port,
            grpc_socket_path=args.grpc_socket_path,
            batching=batching_options,
            file_system_poll_wait_seconds=args.file_system_poll_wait_seconds,
            max_message_size=args.max_message_size,
            channel_arguments=tuple(flags.parse_channel_arguments(args.grpc_channel_arguments)),
            max_workers=args.grpc_max_threads or None,
            enable_warmup=args.enable_model_warmup,
            rest_api_port=args.rest_api_port or None,
            rest_api_timeout_in_ms=args.rest_api_timeout_in_ms,
            rest_api_num_threads=args.rest_api_num_threads or None,
            rest_api_max_body_bytes=args.rest_api_max_body_bytes,
            monitoring_config=config_protos.read_monitoring_config(args.monitoring_config_file)
            if args.monitoring_config_file
            else None,
            ssl_config=tls.read_ssl_config(args.ssl_config_file) if args.ssl_config_file else None,
            limits=RequestLimits(
                max_rows_per_call=args.max_rows_per_model_call,
                max_request_memory_bytes=args.max_request_memory_bytes,
            ),
            allow_version_labels_for_unavailable_models=(
                args.allow_version_labels_for_unavailable_models
            ),
        )


def read_batching_parameters_file(path):
    """`--batching_parameters_file` -> `BatchingOptions`; ConfigError naming the flag."""
    from serving.server import config_protos

    flag = "--batching_parameters_file"
    text = config_protos.read_config_text(path, flag)
    try:
        return batching.parse_batching_parameters(text, source=path)
    except status.StatusError as error:
        raise ConfigError(flag, error.message) from error
