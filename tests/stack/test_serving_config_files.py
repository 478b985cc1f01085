"""serving/*.config parse with TensorFlow Serving's own messages and agree with the stack."""

import pytest
from google.protobuf import text_format

from serving.server import batching, config_protos, model_config
from tests.conftest import REPO_ROOT
from tests.stack.tf_serving_config_protos import BatchingParameters, MonitoringConfig
from tfcharnlp import constants


def _read(relative_path):
    return (REPO_ROOT / relative_path).read_text(encoding="utf-8")


def _model_server_config():
    from tensorflow_serving.config import model_server_config_pb2

    return text_format.Parse(
        _read(constants.MODEL_CONFIG_FILE), model_server_config_pb2.ModelServerConfig()
    )


def test_models_config_parses_as_a_model_config_list():
    config = _model_server_config()
    models = config.model_config_list.config
    assert len(models) >= 1
    names = [model.name for model in models]
    assert len(set(names)) == len(names), "a model is listed twice"
    for model in models:
        assert model.model_platform == "tensorflow"
        # TF Serving refuses relative base paths; ours live on the /models mount.
        assert model.base_path == f"/models/{model.name}"


def test_models_config_serves_the_model_the_trainer_exports(compose):
    names = {model.name for model in _model_server_config().model_config_list.config}
    command = compose["services"]["trainer"]["command"]
    assert command[command.index("--model-name") + 1] in names
    assert command[command.index("--export-base") + 1] == "/models"


def test_batching_parameters_parse_and_are_consistent():
    batching = text_format.Parse(_read(constants.BATCHING_CONFIG_FILE), BatchingParameters())
    for field in (
        "max_batch_size",
        "batch_timeout_micros",
        "max_enqueued_batches",
        "num_batch_threads",
    ):
        assert batching.HasField(field), field
    assert batching.max_batch_size.value >= 1
    assert batching.num_batch_threads.value >= 1
    assert batching.max_enqueued_batches.value >= 1
    # A timeout above a few ms would add that much latency to lone requests.
    assert 0 <= batching.batch_timeout_micros.value <= 10_000
    if batching.allowed_batch_sizes:
        assert list(batching.allowed_batch_sizes) == sorted(batching.allowed_batch_sizes)
        assert batching.allowed_batch_sizes[-1] == batching.max_batch_size.value


def test_monitoring_config_enables_prometheus_at_the_shared_path():
    monitoring = text_format.Parse(_read(constants.MONITORING_CONFIG_FILE), MonitoringConfig())
    assert monitoring.prometheus_config.enable
    assert monitoring.prometheus_config.path == constants.PROMETHEUS_PATH


def test_the_config_messages_reject_unknown_fields():
    # The rebuilt messages check names and types as the real ones do.
    with pytest.raises(text_format.ParseError):
        text_format.Parse("max_batch_sizes { value: 8 }", BatchingParameters())
    with pytest.raises(text_format.ParseError):
        text_format.Parse("max_batch_size: 8", BatchingParameters())
    with pytest.raises(text_format.ParseError):
        text_format.Parse("prometheus_config { enabled: true }", MonitoringConfig())


def test_embedded_server_reads_the_same_batching_file():
    options = batching.parse_batching_parameters(_read(constants.BATCHING_CONFIG_FILE))
    expected = text_format.Parse(_read(constants.BATCHING_CONFIG_FILE), BatchingParameters())
    assert options.max_batch_size == expected.max_batch_size.value
    assert options.batch_timeout_micros == expected.batch_timeout_micros.value


def test_pusher_publishes_the_exporters_staged_model_into_a_served_folder(compose):
    services = compose["services"]
    export = services["exporter"]["command"]
    push = services["pusher"]["command"]
    staged = f"{export[export.index('--base') + 1]}/{export[export.index('--model-name') + 1]}"
    assert push[:2] == ["tfcharnlp", "push"] and push[2] == staged
    # Staging is outside the served repository: a candidate that fails
    # validation never appears where the server polls.
    assert not staged.startswith("/models")
    destination = push[push.index("--to") + 1]
    base_paths = {model.base_path for model in _model_server_config().model_config_list.config}
    assert destination in base_paths
    condition = services["pusher"]["depends_on"]["exporter"]["condition"]
    assert condition == "service_completed_successfully"


def test_embedded_server_reads_the_same_monitoring_file():
    config = config_protos.read_monitoring_config(str(REPO_ROOT / constants.MONITORING_CONFIG_FILE))
    assert config.prometheus_config.enable
    assert config.prometheus_config.path == constants.PROMETHEUS_PATH


def test_embedded_server_reads_the_same_models_config():
    config_list = model_config.read_model_config_file(str(REPO_ROOT / constants.MODEL_CONFIG_FILE))
    assert [config.name for config in config_list.config] == [
        config.name for config in _model_server_config().model_config_list.config
    ]
