"""TensorFlow Serving's model config: parsing, checking and version policies.

The config is TensorFlow Serving's own `ModelServerConfig` text proto (the
`model_config_list { config { name: ... base_path: ... } }` file), parsed with
its protos, so one file drives both our server and `tensorflow/serving`.
"""

import os
import re

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving.server import status

# A version folder is a decimal number (`00000123` is version 123); anything
# else (temporary export folders such as `.tmp-3` or `tmp3`) is ignored.
# `fullmatch`, not `match`: `$` also matches before a final newline, and `5\n` is no version.
_VERSION_FOLDER = re.compile(r"[0-9]+")

# Model platforms that mean "a TensorFlow SavedModel".
_TENSORFLOW_PLATFORMS = ("", "tensorflow")


def parse_model_server_config(text, source="model config"):
    """Parses TensorFlow Serving's text-format `ModelServerConfig`.

    A file that does not parse gets tensorflow_model_server's two lines:
    protobuf's `Error parsing text-format tensorflow.serving.ModelServerConfig:
    LINE:COLUMN: ...` and `Invalid protobuf file: 'PATH'`.
    """
    config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as error:
        where = ""
        if error.GetLine() is not None:
            where = f"{error.GetLine()}:{error.GetColumn()}: "
        detail = str(error).split(" : ", 1)[-1] if " : " in str(error) else str(error)
        raise status.invalid_argument(
            f"Error parsing text-format {config.DESCRIPTOR.full_name}: {where}{detail}\n"
            f"Invalid protobuf file: '{source}'"
        ) from error
    return config


def read_model_config_file(path):
    """Reads a `--model_config_file` and returns its checked `ModelConfigList`."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError as error:
        raise status.invalid_argument(f"cannot read model config file {path}: {error}") from error
    return model_config_list(parse_model_server_config(text, source=path))


def model_config_list(server_config):
    """The checked `ModelConfigList` of a `ModelServerConfig`."""
    if server_config.WhichOneof("config") == "custom_model_config":
        raise status.invalid_argument(
            "ServerModelConfig type not supported by HandleReloadConfigRequest. "
            "Only ModelConfigList is currently supported"
        )
    config_list = server_config.model_config_list
    check_model_config_list(config_list)
    return config_list


def single_model_config(name, base_path):
    """The config list of `--model_name` + `--model_base_path`."""
    config_list = model_server_config_pb2.ModelConfigList()
    config = config_list.config.add(name=name, base_path=base_path, model_platform="tensorflow")
    config.model_version_policy.latest.num_versions = 1
    check_model_config_list(config_list)
    return config_list


def check_model_config_list(config_list):
    """Raises INVALID_ARGUMENT for configs TensorFlow Serving would refuse."""
    seen = set()
    for config in config_list.config:
        if not config.name:
            raise status.invalid_argument("model config entry has an empty name")
        if config.name in seen:
            raise status.invalid_argument(
                f"Illegal to list model {config.name} multiple times in config list"
            )
        seen.add(config.name)
        if not config.base_path:
            raise status.invalid_argument(f"model {config.name}: base_path is empty")
        if config.model_platform not in _TENSORFLOW_PLATFORMS:
            raise status.invalid_argument(
                f"model {config.name}: model_platform {config.model_platform!r} is not supported; "
                "only 'tensorflow' SavedModels are served"
            )
        policy = config.model_version_policy
        if policy.WhichOneof("policy_choice") == "latest" and policy.latest.num_versions < 0:
            raise status.invalid_argument(f"model {config.name}: latest.num_versions must be >= 0")
        for label, version in config.version_labels.items():
            if version < 0:
                raise status.invalid_argument(
                    f"model {config.name}: label {label} has a negative version"
                )


def scan_versions(base_path):
    """Maps version number -> folder for the numeric folders under `base_path`."""
    try:
        names = os.listdir(base_path)
    except OSError:
        return {}
    versions = {}
    for name in names:
        if not _VERSION_FOLDER.fullmatch(name):
            continue
        path = os.path.join(base_path, name)
        if os.path.isdir(path):
            # `0123` and `123` both mean version 123; the first one listed wins.
            versions.setdefault(int(name), path)
    return versions


def aspired_versions(config, found):
    """The versions the policy wants served, from the set of versions found on disk.

    TensorFlow Serving's policies: `latest` (the newest `num_versions`, default
    1), `all`, and `specific` (exactly the listed ones that exist).
    """
    policy = config.model_version_policy
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return set(found)
    if choice == "specific":
        return set(policy.specific.versions) & set(found)
    num_versions = policy.latest.num_versions if choice == "latest" else 1
    num_versions = num_versions or 1
    return set(sorted(found, reverse=True)[:num_versions])


def folder_stamp(path):
    """A cheap fingerprint of a version folder, to retry a load after it changed.

    A half-copied version fails to load; once the copy completes, sizes and
    modification times differ and the load is tried again.
    """
    stamp = []
    for root, _, files in os.walk(path):
        for name in files:
            try:
                info = os.stat(os.path.join(root, name))
            except OSError:
                continue
            stamp.append(
                (os.path.relpath(os.path.join(root, name), path), info.st_size, info.st_mtime_ns)
            )
    return tuple(sorted(stamp))
