"""`tensorflow_model_server`'s command-line flags, for `tfcharnlp serve`.

Launch scripts written for TensorFlow Serving work unchanged: the same flag
names, both `--flag=value` and `--flag value`, booleans as `--flag`,
`--flag=true` or `--flag=false`. Flags this server cannot honour are refused with a
message, never silently ignored.
"""

import os

from tfcharnlp import constants
from tfcharnlp.errors import ConfigError

DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024
# The REST body limit: JSON becomes Python objects, several times its size.
DEFAULT_REST_API_MAX_BODY_BYTES = 16 * 1024 * 1024
# Large requests (serving.server.request_limits); defined here, as this module imports nothing heavy.
DEFAULT_MAX_ROWS_PER_CALL = 1024
DEFAULT_MAX_REQUEST_MEMORY_BYTES = 2 * 1024**3
DEFAULT_DRAIN_SECONDS = 30.0


def parse_bool(text):
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "t", "y"):
        return True
    if value in ("0", "false", "no", "f", "n"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


parse_bool.__name__ = "boolean"


def add_flags(parser):
    """Adds tensorflow_model_server's flags (and ours: --host, --max_message_size) to `parser`."""
    group = parser.add_argument_group("tensorflow_model_server flags")
    group.add_argument(
        "--port", type=int, default=constants.GRPC_PORT, help="gRPC port (0 picks a free one)"
    )
    group.add_argument("--grpc_socket_path", default="", help="also listen on this Unix socket")
    group.add_argument(
        "--rest_api_port",
        type=int,
        nargs="?",
        const=constants.REST_PORT,
        default=0,
        help=f"REST API port (0: off, the default; the flag alone: {constants.REST_PORT})",
    )
    group.add_argument(
        "--rest_api_timeout_in_ms",
        type=int,
        default=None,
        help="deadline of each REST call (default 30000; 0: none)",
    )
    group.add_argument(
        "--rest_api_num_threads",
        type=int,
        default=0,
        help="REST requests served at once (0: 4 per CPU core, tensorflow_model_server's default)",
    )
    group.add_argument("--model_name", default="default", help="model name, with --model_base_path")
    group.add_argument("--model_base_path", default="", help="folder of numeric version folders")
    group.add_argument(
        "--model_config_file", default="", help="TF Serving model_config_list text proto"
    )
    group.add_argument(
        "--model_config_file_poll_wait_seconds",
        type=float,
        default=0.0,
        help="re-read the config file this often (0: never)",
    )
    group.add_argument(
        "--file_system_poll_wait_seconds",
        type=float,
        default=1.0,
        help="look for new versions this often (0: once)",
    )
    group.add_argument(
        "--allow_version_labels_for_unavailable_models",
        type=parse_bool,
        nargs="?",
        const=True,
        default=False,
        help="let version_labels name versions that are not available (yet); without it, "
        "a config with labels is refused at startup, as tensorflow_model_server refuses it",
    )
    group.add_argument(
        "--grpc_channel_arguments",
        default="",
        help="comma-separated key=value gRPC server arguments",
    )
    group.add_argument(
        "--grpc_max_threads",
        type=int,
        default=0,
        help="request threads (0: 4 per CPU core, at least 8)",
    )
    group.add_argument(
        "--enable_batching",
        type=parse_bool,
        nargs="?",
        const=True,
        default=False,
        help="merge concurrent requests",
    )
    group.add_argument(
        "--batching_parameters_file", default="", help="TF Serving BatchingParameters text proto"
    )
    group.add_argument(
        "--enable_model_warmup",
        type=parse_bool,
        nargs="?",
        const=True,
        default=True,
        help="replay assets.extra warmup requests",
    )
    group.add_argument(
        "--monitoring_config_file",
        default="",
        help="TF Serving MonitoringConfig text proto (Prometheus on the REST port)",
    )
    group.add_argument(
        "--ssl_config_file", default="", help="TF Serving SSLConfig text proto (TLS / mutual TLS)"
    )
    ours = parser.add_argument_group("tfcharnlp flags")
    ours.add_argument(
        "--host",
        default=constants.DEFAULT_HOST,
        help="address to bind (default localhost; 0.0.0.0 for all)",
    )
    ours.add_argument(
        "--max_message_size",
        type=int,
        default=DEFAULT_MAX_MESSAGE_SIZE,
        help="largest gRPC message, bytes",
    )
    ours.add_argument(
        "--rest_api_max_body_bytes",
        type=int,
        default=DEFAULT_REST_API_MAX_BODY_BYTES,
        help="largest REST request body; larger ones get HTTP 413 without being read",
    )
    ours.add_argument(
        "--max_rows_per_model_call",
        type=int,
        default=DEFAULT_MAX_ROWS_PER_CALL,
        help="larger requests run in parts of this many rows, answered whole (0: no limit)",
    )
    ours.add_argument(
        "--max_request_memory_bytes",
        type=int,
        default=DEFAULT_MAX_REQUEST_MEMORY_BYTES,
        help="refuse (RESOURCE_EXHAUSTED) a request estimated to need more memory (0: no limit)",
    )
    ours.add_argument(
        "--drain_seconds",
        type=float,
        default=DEFAULT_DRAIN_SECONDS,
        help="on SIGTERM, wait this long for requests in flight",
    )
    return parser


def parse_channel_arguments(text):
    """`a=1,b=x` -> [("a", 1), ("b", "x")], as tensorflow_model_server reads them."""
    arguments = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError("--grpc_channel_arguments", f"expected key=value, got {item!r}")
        try:
            arguments.append((key.strip(), int(value)))
        except ValueError:
            arguments.append((key.strip(), value.strip()))
    return arguments


def check_flags(args):
    """Refuses what this server cannot honour; raises ConfigError naming the flag."""
    if not 0 <= args.rest_api_port <= 65535:
        raise ConfigError("--rest_api_port", f"must be in 0..65535, got {args.rest_api_port}")
    if args.rest_api_port and args.rest_api_port == args.port:
        raise ConfigError("--rest_api_port", f"must differ from --port ({args.port})")
    if args.rest_api_timeout_in_ms is not None and args.rest_api_timeout_in_ms < 0:
        raise ConfigError("--rest_api_timeout_in_ms", "must be >= 0 (0: no deadline)")
    if args.rest_api_timeout_in_ms is not None and not args.rest_api_port:
        raise ConfigError(
            "--rest_api_timeout_in_ms", "applies to the REST API: add --rest_api_port"
        )
    for flag, path in (
        ("--monitoring_config_file", args.monitoring_config_file),
        ("--ssl_config_file", args.ssl_config_file),
    ):
        if path and not os.path.isfile(path):
            raise ConfigError(flag, f"no such file: {path}")
    if args.monitoring_config_file and not args.rest_api_port:
        raise ConfigError(
            "--monitoring_config_file", "metrics are served on the REST port: add --rest_api_port"
        )
    if not args.model_config_file and not args.model_base_path:
        raise ConfigError(
            "--model_base_path", "either --model_base_path or --model_config_file is required"
        )
    if args.model_config_file and args.model_base_path:
        raise ConfigError(
            "--model_config_file", "give either --model_config_file or --model_base_path, not both"
        )
    if args.model_config_file and not os.path.isfile(args.model_config_file):
        raise ConfigError("--model_config_file", f"no such file: {args.model_config_file}")
    if args.batching_parameters_file and not args.enable_batching:
        raise ConfigError("--batching_parameters_file", "needs --enable_batching")
    if args.batching_parameters_file and not os.path.isfile(args.batching_parameters_file):
        raise ConfigError(
            "--batching_parameters_file", f"no such file: {args.batching_parameters_file}"
        )
    if not 0 <= args.port <= 65535:
        raise ConfigError("--port", f"must be in 0..65535, got {args.port}")
    if args.file_system_poll_wait_seconds < 0:
        raise ConfigError("--file_system_poll_wait_seconds", "must be >= 0 (0 polls once)")
    if args.model_config_file_poll_wait_seconds < 0:
        raise ConfigError(
            "--model_config_file_poll_wait_seconds", "must be >= 0 (0: never re-read)"
        )
    if args.max_message_size <= 0:
        raise ConfigError("--max_message_size", "must be positive")
    if args.grpc_max_threads < 0:
        raise ConfigError("--grpc_max_threads", "must be >= 0")
    for flag in ("max_rows_per_model_call", "max_request_memory_bytes"):
        if getattr(args, flag) < 0:
            raise ConfigError(f"--{flag}", "must be >= 0 (0: no limit)")
    if args.rest_api_num_threads < 0:
        raise ConfigError("--rest_api_num_threads", "must be >= 0 (0: 4 per CPU core)")
    if args.rest_api_max_body_bytes <= 0:
        raise ConfigError("--rest_api_max_body_bytes", "must be positive")
    parse_channel_arguments(args.grpc_channel_arguments)
    return args
