"""TensorFlow Serving's MonitoringConfig and SSLConfig messages, and their text-format readers.

tensorflow-serving-api ships `model_server_config_pb2` but not
`monitoring_config_pb2` nor `ssl_config_pb2`. So that `--monitoring_config_file`
and `--ssl_config_file` are still parsed by protobuf's own text format (field
names and types checked, the same files work with tensorflow_model_server),
the messages are rebuilt here from `tensorflow_serving/config/
monitoring_config.proto` and `ssl_config.proto` (same package, names, numbers,
types). Where the real modules are importable they are used instead.
"""

import importlib

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

from tfcharnlp import constants
from tfcharnlp.errors import ConfigError

_FIELD = descriptor_pb2.FieldDescriptorProto

# message -> [(field, number, type, type_name)]
_MESSAGES = {
    "PrometheusConfig": [
        ("enable", 1, _FIELD.TYPE_BOOL, None),
        ("path", 2, _FIELD.TYPE_STRING, None),
    ],
    "MonitoringConfig": [
        ("prometheus_config", 1, _FIELD.TYPE_MESSAGE, ".tensorflow.serving.PrometheusConfig"),
    ],
    "SSLConfig": [
        ("server_key", 1, _FIELD.TYPE_STRING, None),
        ("server_cert", 2, _FIELD.TYPE_STRING, None),
        ("custom_ca", 3, _FIELD.TYPE_STRING, None),
        ("client_verify", 4, _FIELD.TYPE_BOOL, None),
    ],
}


def _build():
    # A private pool: these definitions never clash with the real ones.
    pool = descriptor_pool.DescriptorPool()
    file_proto = descriptor_pb2.FileDescriptorProto(
        name="tfcharnlp_serving/tf_serving_server_config.proto",
        package="tensorflow.serving",
        syntax="proto3",
    )
    for name, fields in _MESSAGES.items():
        message = file_proto.message_type.add(name=name)
        for field_name, number, field_type, type_name in fields:
            field = message.field.add(
                name=field_name,
                number=number,
                type=field_type,
                label=_FIELD.LABEL_OPTIONAL,
                json_name=field_name,
            )
            if type_name:
                field.type_name = type_name
    pool.Add(file_proto)
    return {
        name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"tensorflow.serving.{name}")
        )
        for name in _MESSAGES
    }


def _real(module_name, message_name):
    try:
        return getattr(importlib.import_module(module_name), message_name)
    except (ImportError, AttributeError):
        return None


_BUILT = _build()
MonitoringConfig = (
    _real("tensorflow_serving.config.monitoring_config_pb2", "MonitoringConfig")
    or _BUILT["MonitoringConfig"]
)
SSLConfig = _real("tensorflow_serving.config.ssl_config_pb2", "SSLConfig") or _BUILT["SSLConfig"]


def read_config_text(path, flag):
    """The text of the config file a flag names; ConfigError naming the flag if unreadable."""
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except OSError as error:
        raise ConfigError(flag, f"cannot read {path}: {error}") from error


def _parse_file(path, message, flag):
    text = read_config_text(path, flag)
    try:
        return text_format.Parse(text, message)
    except text_format.ParseError as error:
        raise ConfigError(
            flag, f"{path} is not a {type(message).__name__} text proto: {error}"
        ) from error


def read_monitoring_config(path):
    """`--monitoring_config_file` -> MonitoringConfig; an empty Prometheus path gets ours."""
    config = _parse_file(path, MonitoringConfig(), "--monitoring_config_file")
    if config.prometheus_config.enable and not config.prometheus_config.path:
        # tensorflow_model_server's default path (main.cc).
        config.prometheus_config.path = constants.PROMETHEUS_PATH
    path_value = config.prometheus_config.path
    if config.prometheus_config.enable and not path_value.startswith("/"):
        raise ConfigError(
            "--monitoring_config_file",
            f"prometheus_config.path must start with '/': {path_value!r}",
        )
    return config


def read_ssl_config(path):
    """`--ssl_config_file` -> SSLConfig (PEM texts inline, as tensorflow_model_server reads it)."""
    return _parse_file(path, SSLConfig(), "--ssl_config_file")
