"""`tfcharnlp serve`: tensorflow_model_server's flags, refusals, Unix socket, SIGTERM drain."""

import argparse
import re
import signal

import grpc
import numpy as np
import pytest
import tensorflow as tf
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tensorflow_serving.apis import prediction_service_pb2_grpc

from tests.serving import server_models
from tests.serving.conftest import predict_request
from tests.serving.reliability_helpers import start_serve_process
from tfcharnlp import cli, constants


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_serve_subprocess_loads_a_model_with_tensorflow_text_ops(tmp_path, repo_root):
    # A word tokenizer runs tensorflow-text ops inside the graph; a fresh
    # server process must register them before loading (as a model server
    # built with TF Text does), or the version fails to load.
    from tfcharnlp.export import export_model
    from tfcharnlp.models import MultiWidthCNNBackbone, TextClassifier
    from tfcharnlp.preprocessing import TextPreprocessor, WordTokenizer

    tokenizer = WordTokenizer(max_tokens=50, max_length=8)
    tokenizer.adapt(["free prize call now", "see you at lunch", "win a free prize"])
    backbone = MultiWidthCNNBackbone(tokenizer.vocabulary_size, max_length=8, embedding_dim=4)
    classifier = TextClassifier(backbone, num_classes=2, preprocessor=TextPreprocessor(tokenizer))
    export_model(classifier, tmp_path, "m", labels=["ham", "spam"])
    texts = ["free prize now", "lunch at noon"]
    expected = tf.nn.softmax(classifier.predict_texts(texts)).numpy()
    process, target, log = start_serve_process(
        repo_root, ["--model_name=m", f"--model_base_path={tmp_path / 'm'}"]
    )
    try:
        with grpc.insecure_channel(target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            response = stub.Predict(predict_request("m", texts=texts), timeout=60)
        served = tf.make_ndarray(response.outputs[constants.PROBABILITIES])
        np.testing.assert_allclose(served, expected, atol=1e-6)
    finally:
        process.send_signal(signal.SIGTERM)
        if process.wait(timeout=60) != 0:
            pytest.fail(log.text())


@pytest.mark.parametrize(
    "flag, message",
    [
        ("--rest_api_timeout_in_ms=100", "applies to the REST API"),
        ("--ssl_config_file=missing.config", "no such file: missing.config"),
        ("--grpc_channel_arguments=oops", "expected key=value"),
    ],
)
def test_flags_it_cannot_honour_are_refused_by_the_command(flag, message, tmp_path, capsys):
    assert cli.main(["serve", f"--model_base_path={tmp_path}", flag]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_serve_subprocess_answers_then_drains_on_sigterm(tmp_path, repo_root):
    base = tmp_path / "m"
    server_models.build_text_model(base, 1)
    batching_file = tmp_path / "batching.config"
    # A long batch timeout keeps the request below in flight when SIGTERM arrives.
    batching_file.write_text(
        "max_batch_size { value: 8 }\nbatch_timeout_micros { value: 1500000 }\n"
    )
    socket_path = tmp_path / "serve.sock"
    # Debug logging (-v): the server logs each request that reaches the model.
    process, target, log = start_serve_process(
        repo_root,
        [
            "--model_name=m",
            f"--model_base_path={base}",
            "--file_system_poll_wait_seconds",
            "0",
            "--enable_batching",
            f"--batching_parameters_file={batching_file}",
            f"--grpc_socket_path={socket_path}",
            "--grpc_channel_arguments=grpc.max_connection_age_ms=60000",
        ],
        verbose=True,
    )
    try:
        with grpc.insecure_channel(target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            assert health.Check(health_pb2.HealthCheckRequest(service="m"), timeout=10).status == (
                health_pb2.HealthCheckResponse.SERVING
            )
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            in_flight = stub.Predict.future(predict_request("m", texts=["drain me"]), timeout=30)
            # The server holds the call (it waits in the batch queue) before the signal.
            log.wait_for("event=request_started model=m version=1")
            process.send_signal(signal.SIGTERM)
            # The call that was in flight completes normally.
            response = in_flight.result()
            assert response.outputs[constants.LABELS].string_val == [b"short"]
        with grpc.insecure_channel(f"unix:{socket_path}") as unix_channel:
            try:
                prediction_service_pb2_grpc.PredictionServiceStub(unix_channel).Predict(
                    predict_request("m", texts=["drain me"]), timeout=5
                )
            except grpc.RpcError as error:
                # Refused while draining or after exit: never a hang.
                assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        assert process.wait(timeout=60) == 0
        stderr = log.text()
        assert "event=signal_received signal=SIGTERM" in stderr
        assert "event=server_stopped" in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_unix_socket(tmp_path, serve):
    server_models.build_text_model(tmp_path / "m", 1)
    socket_path = tmp_path / "grpc.sock"
    serve(model_name="m", model_base_path=tmp_path / "m", grpc_socket_path=str(socket_path))
    with grpc.insecure_channel(f"unix:{socket_path}") as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
            predict_request("m", texts=["over the socket"]), timeout=10
        )
        assert response.model_spec.name == "m"


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_max_message_size_is_enforced_and_server_survives(tmp_path, serve):
    server_models.build_text_model(tmp_path / "m", 1)
    server = serve(model_name="m", model_base_path=tmp_path / "m", max_message_size=4096)
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Predict(predict_request("m", texts=["x" * 10_000]), timeout=10)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert (
            stub.Predict(predict_request("m", texts=["small"]), timeout=10).model_spec.name == "m"
        )


# What TensorFlow's C++ side prints at start-up (absl's "I0000 00:00:..." lines and the rest).
TENSORFLOW_START_UP = re.compile(
    r"^[IWE]\d{4} \d\d:\d\d:|absl::InitializeLog|oneDNN|cudart_stub|cuInit|cpu_feature_guard",
    re.MULTILINE,
)


def _run_cli(repo_root, argv, seconds=None):
    """stderr of `tfcharnlp ARGV` run without TF_CPP_MIN_LOG_LEVEL, as a user runs it.

    With `seconds`, the command (a server) is stopped with SIGTERM once it listens.
    """
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(repo_root)
    process = subprocess.Popen(
        [sys.executable, "-m", "tfcharnlp.cli", *argv],
        cwd=repo_root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if seconds is not None:
        assert "listening on" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr[-2000:]
    return stderr


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_commands_print_no_tensorflow_start_up_lines_unless_verbose(tmp_path, repo_root):
    base = tmp_path / "m"
    server_models.build_text_model(base, 1)
    serve = ["serve", "--port=0", "--model_name=m", f"--model_base_path={base}"]
    quiet = _run_cli(repo_root, serve, seconds=1)
    assert not TENSORFLOW_START_UP.findall(quiet), quiet
    # The server's own event log stays.
    assert "event=server_started" in quiet and "event=server_stopped" in quiet
    inspect = _run_cli(repo_root, ["inspect", str(base / "1")])
    assert not TENSORFLOW_START_UP.findall(inspect), inspect
    verbose = _run_cli(repo_root, ["-v", *serve], seconds=1)
    assert TENSORFLOW_START_UP.findall(verbose)


def test_a_config_that_does_not_parse_is_reported_in_tensorflow_model_servers_words(
    tmp_path, capsys
):
    config = tmp_path / "models.config"
    config.write_text('model_config_list { config { nme: "m" } }\n')
    assert cli.main(["serve", f"--model_config_file={config}"]) == 2
    err = capsys.readouterr().err
    # tensorflow_model_server_test.py looks for this text on the server's stderr.
    assert "Error parsing text-format tensorflow.serving.ModelServerConfig: 1:30: " in err
    assert f"Invalid protobuf file: '{config}'" in err


def test_labels_in_the_startup_config_need_the_flag(tmp_path, capsys):
    config = tmp_path / "models.config"
    config.write_text(
        'model_config_list { config { name: "m" base_path: "%s" model_platform: "tensorflow" '
        'version_labels { key: "stable" value: 1 } } }\n' % (tmp_path / "m")
    )
    assert cli.main(["serve", "--port=0", f"--model_config_file={config}"]) == 2
    assert (
        "Request to assign label to version 1 of model m, which is not currently available "
        "for inference" in capsys.readouterr().err
    )
    from serving.server import ModelServer, ServerOptions, flags

    parser = flags.add_flags(argparse.ArgumentParser())
    args = parser.parse_args(
        [
            "--port=0",
            f"--model_config_file={config}",
            "--allow_version_labels_for_unavailable_models",
        ]
    )
    assert ModelServer(
        ServerOptions.from_flags(args)
    ).manager.allow_version_labels_for_unavailable_models
