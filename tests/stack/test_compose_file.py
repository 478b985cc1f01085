"""docker-compose.yml against the compose spec, the repository and the shared constants."""

import copy
import json
import re
import subprocess

import pytest

from tests.conftest import REPO_ROOT
from tests.stack.conftest import COMPOSE_SCHEMA, interpolate
from tfcharnlp import constants

EXPECTED_SERVICES = {"serving", "trainer", "tuner-chief", "tuner-worker", "tensorboard"}


def _validator():
    jsonschema = pytest.importorskip("jsonschema")
    if not COMPOSE_SCHEMA.is_file():
        pytest.skip(f"compose schema not found at {COMPOSE_SCHEMA}")
    with open(COMPOSE_SCHEMA, encoding="utf-8") as stream:
        schema = json.load(stream)
    return jsonschema.Draft7Validator(schema)


def _bind_mounts(service):
    """(source, target, read_only, create_host_path) of a service's bind mounts."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            if parts[0].startswith((".", "/", "$")):
                mounts.append((parts[0], parts[1], "ro" in parts[2:], True))
            continue
        if volume.get("type") == "bind":
            mounts.append(
                (
                    volume["source"],
                    volume["target"],
                    bool(volume.get("read_only")),
                    bool(volume.get("bind", {}).get("create_host_path")),
                )
            )
    return mounts


def _mount_target(service, target):
    for mount in _bind_mounts(service):
        if mount[1] == target:
            return mount
    raise AssertionError(f"no bind mount at {target}")


def _serving_flags(services):
    flags = {}
    for word in services["serving"]["command"]:
        name, _, value = word.partition("=")
        flags[name] = value
    return flags


def test_compose_file_validates_against_the_compose_spec(compose):
    validator = _validator()
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors, errors


def test_the_schema_check_catches_a_broken_file(compose):
    # Proves the validation above is live: the same file with one wrong key fails.
    validator = _validator()
    broken = copy.deepcopy(compose)
    broken["services"]["serving"]["portz"] = ["8500:8500"]
    assert list(validator.iter_errors(broken))


def test_the_stack_has_its_services(services):
    assert EXPECTED_SERVICES <= set(services)


def test_serving_image_is_pinned_by_a_variable_with_a_checked_default(services):
    image = services["serving"]["image"]
    assert re.fullmatch(r"tensorflow/serving:\$\{TF_SERVING_TAG:-[^}]+\}", image), image
    repository, _, tag = interpolate(image).partition(":")
    assert repository == "tensorflow/serving"
    assert tag and tag != "latest" and not tag.startswith("latest"), image
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(-[a-z0-9-]+)?", tag)
    assert match, f"tag {tag!r} is not a pinned 2.x release"
    served = f"{match.group(1)}.{match.group(2)}"
    # The default image's runtime (its TensorFlow and TF Text minor version)
    # is the one the TF Serving runtime check installs, and that check passed.
    from bench import tf_serving_runtime

    assert tf_serving_runtime.RUNTIME_REQUIREMENTS == (
        f"tensorflow=={served}.*",
        f"tensorflow-text=={served}.*",
    )
    results = (REPO_ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    section = re.search(
        r"<!-- bench:tf_serving_runtime -->(.*?)<!-- /bench:tf_serving_runtime -->",
        results,
        re.DOTALL,
    )
    assert section, (
        "bench/RESULTS.md has no TF Serving runtime check: run make tf-serving-runtime-check"
    )
    assert f"run in TensorFlow {served}." in section.group(1)
    assert "**Result: PASS**" in section.group(1)


def test_serving_ports_and_flags_agree_with_the_constants(services):
    serving = services["serving"]
    flags = _serving_flags(services)
    assert flags["--port"] == str(constants.GRPC_PORT)
    assert flags["--rest_api_port"] == str(constants.REST_PORT)
    published = {}
    for mapping in serving["ports"]:
        host, _, container = str(mapping).rpartition(":")
        published[int(container)] = int(host)
    assert published == {
        constants.GRPC_PORT: constants.GRPC_PORT,
        constants.REST_PORT: constants.REST_PORT,
    }
    for flag in (
        "--model_config_file",
        "--batching_parameters_file",
        "--monitoring_config_file",
        "--file_system_poll_wait_seconds",
        "--enable_batching",
    ):
        assert flag in flags, f"serving is started without {flag}"


def test_serving_config_files_are_the_repositorys_files(services):
    # The flag paths, through the /config mount, must land on the files the
    # constants name, so the container reads exactly what `tfcharnlp serve` reads.
    serving = services["serving"]
    flags = _serving_flags(services)
    for flag, repo_path in (
        ("--model_config_file", constants.MODEL_CONFIG_FILE),
        ("--batching_parameters_file", constants.BATCHING_CONFIG_FILE),
        ("--monitoring_config_file", constants.MONITORING_CONFIG_FILE),
    ):
        container_path = flags[flag]
        matches = [
            mount
            for mount in _bind_mounts(serving)
            if container_path.startswith(mount[1].rstrip("/") + "/")
        ]
        assert matches, f"{flag}={container_path} is on no mounted folder"
        source, target, _, _ = matches[0]
        host_path = (REPO_ROOT / source / container_path[len(target) + 1 :]).resolve()
        assert host_path == (REPO_ROOT / repo_path).resolve(), flag
        assert host_path.is_file(), host_path


def test_model_repository_is_mounted_read_only_for_serving(services):
    source, target, read_only, _ = _mount_target(services["serving"], "/models")
    assert read_only
    assert interpolate(source).rstrip("/") == f"./{constants.DEFAULT_MODEL_BASE}"
    # The trainer writes into the same host folder the server reads.
    trainer_source, _, trainer_read_only, _ = _mount_target(services["trainer"], "/models")
    assert trainer_source == source and not trainer_read_only


def test_every_mounted_path_exists_or_is_an_ignored_run_output(services):
    for name, service in services.items():
        for source, _target, _, create_host_path in _bind_mounts(service):
            resolved = interpolate(source)
            path = (REPO_ROOT / resolved).resolve()
            if resolved.startswith(".."):
                # Outside the repository: only the shared data folder, by default.
                assert resolved.rstrip("/") == constants.SHARED_DATA_RELATIVE, (name, source)
                if not path.is_dir():
                    pytest.skip(f"shared data not found at {path}")
                continue
            if path.exists():
                continue
            assert create_host_path, f"{name}: {source} does not exist in the repository"
            # Outputs created on first run must never end up in git.
            ignored = subprocess.run(
                # A trailing slash: .gitignore's `/models/` matches folders only.
                ["git", "check-ignore", "-q", resolved.rstrip("/") + "/"],
                cwd=REPO_ROOT,
                check=False,
            )
            assert ignored.returncode == 0, (
                f"{name}: {resolved} is a run output git does not ignore"
            )


def test_build_context_and_dockerfile_exist(services):
    for name, service in services.items():
        build = service.get("build")
        if not build:
            continue
        context = REPO_ROOT / build.get("context", ".")
        assert context.is_dir(), name
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        assert "GPU" in build.get("args", {}), name


def test_healthcheck_asks_for_a_configured_model_without_curl(services):
    test = services["serving"]["healthcheck"]["test"]
    script = " ".join(test)
    # The tensorflow/serving image has neither curl nor wget.
    assert "curl" not in script and "wget" not in script
    assert f"/dev/tcp/127.0.0.1/{constants.REST_PORT}" in script
    model = re.search(r"/v1/models/([\w.-]+)", script).group(1)
    models_config = (REPO_ROOT / constants.MODEL_CONFIG_FILE).read_text(encoding="utf-8")
    assert f'name: "{model}"' in models_config
    assert "AVAILABLE" in script


def test_gpu_variant_builds_with_gpus_and_reserves_them(services):
    gpu = services["trainer-gpu"]
    assert gpu["build"]["args"]["GPU"] == "true"
    assert services["trainer"]["build"]["args"]["GPU"] == "false"
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in device["capabilities"] for device in devices)
    assert "gpu" in gpu["profiles"]
    assert gpu["command"] == services["trainer"]["command"]


def test_tuner_environment_uses_kerastuners_variable_names(services):
    chief = services["tuner-chief"]["environment"]
    worker = services["tuner-worker"]["environment"]
    assert chief[constants.KERASTUNER_TUNER_ID] == "chief"
    assert constants.KERASTUNER_ORACLE_IP in chief
    assert worker[constants.KERASTUNER_ORACLE_IP] == "tuner-chief"
    assert worker[constants.KERASTUNER_ORACLE_PORT] == chief[constants.KERASTUNER_ORACLE_PORT]
    # No other KERASTUNER_* spelling slips in.
    known = {
        constants.KERASTUNER_TUNER_ID,
        constants.KERASTUNER_ORACLE_IP,
        constants.KERASTUNER_ORACLE_PORT,
    }
    for environment in (chief, worker):
        assert {key for key in environment if key.startswith("KERASTUNER")} <= known
    # Workers reach the chief's oracle on the port it listens on.
    assert str(chief[constants.KERASTUNER_ORACLE_PORT]) in services["tuner-chief"]["expose"]
    script = services["tuner-worker"]["command"][2]
    oracle = re.search(r"--oracle\s+(\S+)", script).group(1)
    assert oracle == f"tuner-chief:{chief[constants.KERASTUNER_ORACLE_PORT]}"
    # The chief listens where its environment says (the CLI sets the same variables).
    chief_command = services["tuner-chief"]["command"]
    chief_oracle = chief_command[chief_command.index("--oracle") + 1]
    assert chief_oracle == (
        f"{chief[constants.KERASTUNER_ORACLE_IP]}:{chief[constants.KERASTUNER_ORACLE_PORT]}"
    )


def test_tuner_worker_can_scale(services):
    worker = services["tuner-worker"]
    # A fixed container name or host port would make `--scale tuner-worker=4` fail.
    assert "container_name" not in worker
    assert "ports" not in worker
    # Each replica builds a distinct tuner id from its own hostname.
    assert "$${HOSTNAME}" in worker["command"][2]


def test_tuners_share_one_results_folder(services):
    chief = _mount_target(services["tuner-chief"], "/tuning_results")
    worker = _mount_target(services["tuner-worker"], "/tuning_results")
    assert chief[0] == worker[0] and not chief[2] and not worker[2]


def test_tensorboard_reads_the_logs_the_trainer_writes(services):
    tensorboard = services["tensorboard"]
    logs = _mount_target(tensorboard, "/logs")
    assert logs[0] == _mount_target(services["trainer"], "/logs")[0]
    command = tensorboard["command"]
    assert command[command.index("--logdir") + 1] == "/logs"


def test_containers_find_the_data_through_the_shared_variable(services):
    for name in ("trainer", "tuner-chief", "tuner-worker"):
        environment = services[name]["environment"]
        data_mount = _mount_target(services[name], "/data")
        assert environment[constants.DATA_ENV_VAR] == data_mount[1], name
        assert data_mount[2], f"{name}: data must be mounted read-only"
