"""Prometheus metrics: the exposition format, and counts recorded from gRPC and REST traffic."""

import argparse
import http.client
import json
import re

import grpc
import pytest
from tensorflow_serving.apis import prediction_service_pb2_grpc

from serving.server import BatchingOptions, ModelServer, ServerOptions, flags, metrics
from serving.server.config_protos import MonitoringConfig, read_monitoring_config
from tests.serving import server_models
from tests.serving.conftest import predict_request
from tfcharnlp import constants
from tfcharnlp.errors import ConfigError

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def parse_page(text):
    """{(name, frozenset of label pairs): value}; fails on any line that is not valid exposition."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_histogram_and_counter_render_valid_exposition():
    registry = metrics.ServingMetrics()
    registry.record_request("m", 3, "serving_default", "Predict", "grpc", "OK", 0.003)
    registry.record_request("m", 3, "serving_default", "Predict", "grpc", "OK", 0.2)
    registry.record_request("m", None, "serving_default", "Predict", "rest", "NOT_FOUND", 0.001)
    registry.record_model_call("m", 3, "serving_default", 5)
    registry.record_model_call('we"ird\nname', 3, "s", 1)
    samples = parse_page(registry.render())
    labels = dict(
        model="m", version="3", signature="serving_default", api="Predict", protocol="grpc"
    )
    assert value(samples, "tfcharnlp_serving_requests_total", code="OK", **labels) == 2
    assert value(samples, "tfcharnlp_serving_request_latency_seconds_count", **labels) == 2
    assert (
        value(samples, "tfcharnlp_serving_request_latency_seconds_bucket", le="0.005", **labels)
        == 1
    )
    assert (
        value(samples, "tfcharnlp_serving_request_latency_seconds_bucket", le="+Inf", **labels) == 2
    )
    assert value(
        samples, "tfcharnlp_serving_request_latency_seconds_sum", **labels
    ) == pytest.approx(0.203)
    rest = dict(labels, version="", protocol="rest")
    assert value(samples, "tfcharnlp_serving_request_errors_total", code="NOT_FOUND", **rest) == 1
    assert value(samples, ":tensorflow:serving:request_count", model_name="m", status="OK") == 2
    batch = dict(model="m", version="3", signature="serving_default")
    assert value(samples, "tfcharnlp_serving_batch_size_bucket", le="4.0", **batch) == 0
    assert value(samples, "tfcharnlp_serving_batch_size_bucket", le="8.0", **batch) == 1
    # Quotes and newlines in label values are escaped, so the page still parses.
    assert any(
        name == "tfcharnlp_serving_batch_size_count" and ("model", 'we\\"ird\\nname') in pairs
        for name, pairs in samples
    )


def test_monitoring_config_file_parses_tf_serving_text_format(tmp_path, repo_root):
    config = read_monitoring_config(str(repo_root / constants.MONITORING_CONFIG_FILE))
    assert config.prometheus_config.enable
    assert config.prometheus_config.path == constants.PROMETHEUS_PATH
    empty_path = tmp_path / "m.config"
    empty_path.write_text("prometheus_config { enable: true }")
    assert (
        read_monitoring_config(str(empty_path)).prometheus_config.path == constants.PROMETHEUS_PATH
    )
    empty_path.write_text("prometheus_config { enable: true  bogus: 1 }")
    with pytest.raises(ConfigError, match="--monitoring_config_file"):
        read_monitoring_config(str(empty_path))


def test_monitoring_without_rest_port_is_refused(tmp_path, repo_root):
    parser = flags.add_flags(argparse.ArgumentParser())
    args = parser.parse_args(
        [
            f"--model_base_path={tmp_path}",
            f"--monitoring_config_file={repo_root / constants.MONITORING_CONFIG_FILE}",
        ]
    )
    with pytest.raises(ConfigError, match="add --rest_api_port"):
        flags.check_flags(args)


@pytest.fixture(scope="module")
def model_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("repository") / "m"
    server_models.build_text_model(base, 1)
    return base


def get(port, path, method="GET", body=None):
    connection = http.client.HTTPConnection("localhost", port, timeout=30)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        connection.close()


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_metrics_page_counts_grpc_and_rest_requests_per_model_version_signature(
    model_base, repo_root, serve
):
    parser = flags.add_flags(argparse.ArgumentParser())
    args = flags.check_flags(
        parser.parse_args(
            [
                "--port=0",
                "--rest_api_port=18501",
                "--model_name=m",
                f"--model_base_path={model_base}",
                "--file_system_poll_wait_seconds=0",
                "--enable_batching",
                f"--monitoring_config_file={repo_root / constants.MONITORING_CONFIG_FILE}",
            ]
        )
    )
    # The flags wire the config file through (not started: the test needs free ports).
    configured = ModelServer(ServerOptions.from_flags(args))
    assert configured.metrics is not None
    assert configured.rest.requested_port == 18501
    assert configured.rest.prometheus_path == constants.PROMETHEUS_PATH
    monitoring = MonitoringConfig()
    monitoring.prometheus_config.enable = True
    monitoring.prometheus_config.path = constants.PROMETHEUS_PATH
    server = serve(
        model_name="m",
        model_base_path=model_base,
        batching=BatchingOptions(),
        rest_api_port=0,
        monitoring_config=monitoring,
    )
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        for _ in range(3):
            stub.Predict(
                predict_request("m", texts=["a", "b", "c"], signature=constants.SERVING_SIGNATURE),
                timeout=10,
            )
        stub.Predict(
            predict_request("m", texts=["a"], signature=server_models.BATCH_INFO_SIGNATURE),
            timeout=10,
        )
        with pytest.raises(grpc.RpcError):
            stub.Predict(
                predict_request("nope", texts=["a"], signature=constants.SERVING_SIGNATURE),
                timeout=10,
            )
    rest_body = json.dumps({"instances": ["x", "y"]})
    assert get(server.rest.port, "/v1/models/m:predict", "POST", rest_body)[0] == 200
    assert get(server.rest.port, "/v1/models/m/versions/5:predict", "POST", rest_body)[0] == 404

    code, content_type, page = get(server.rest.port, constants.PROMETHEUS_PATH)
    assert code == 200 and content_type.startswith("text/plain")
    samples = parse_page(page)
    grpc_labels = dict(model="m", version="1", signature="serving_default", api="Predict")
    assert (
        value(
            samples,
            "tfcharnlp_serving_requests_total",
            protocol="grpc",
            code="OK",
            **grpc_labels,
        )
        == 3
    )
    assert (
        value(
            samples,
            "tfcharnlp_serving_requests_total",
            protocol="grpc",
            code="OK",
            **dict(grpc_labels, signature=server_models.BATCH_INFO_SIGNATURE),
        )
        == 1
    )
    assert (
        value(
            samples,
            "tfcharnlp_serving_request_errors_total",
            # A model that is not configured counts under one label.
            model="__unknown__",
            version="",
            signature="",
            api="Predict",
            protocol="grpc",
            code="NOT_FOUND",
        )
        == 1
    )
    assert (
        value(
            samples,
            "tfcharnlp_serving_requests_total",
            protocol="rest",
            code="OK",
            **grpc_labels,
        )
        == 1
    )
    assert (
        value(
            samples,
            "tfcharnlp_serving_request_errors_total",
            protocol="rest",
            code="NOT_FOUND",
            # A version that does not exist is not a label value.
            **dict(grpc_labels, version=""),
        )
        == 1
    )
    assert (
        value(
            samples,
            "tfcharnlp_serving_request_latency_seconds_count",
            protocol="grpc",
            **grpc_labels,
        )
        == 3
    )
    # Model calls: 3 of 3 rows and 1 of 2 rows through serving_default (plus any warmup).
    batch = dict(model="m", version="1", signature="serving_default")
    assert value(samples, "tfcharnlp_serving_batch_size_count", **batch) >= 4
    assert value(samples, "tfcharnlp_serving_batch_size_sum", **batch) >= 11
    assert (
        value(
            samples,
            "tfcharnlp_serving_model_version_state",
            model="m",
            version="1",
            state="AVAILABLE",
        )
        == 1
    )
    # Random model and signature names do not grow the page.
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        for index in range(20):
            for request in (
                predict_request(
                    f"random-{index}", texts=["a"], signature=constants.SERVING_SIGNATURE
                ),
                predict_request("m", texts=["a"], signature=f"random-{index}"),
            ):
                with pytest.raises(grpc.RpcError):
                    stub.Predict(request, timeout=10)
    page = get(server.rest.port, constants.PROMETHEUS_PATH)[2]
    assert "random-" not in page
    assert (
        value(
            parse_page(page),
            "tfcharnlp_serving_request_errors_total",
            **dict(grpc_labels, version="", signature="__unknown__"),
            protocol="grpc",
            code="FAILED_PRECONDITION",
        )
        == 20
    )
    # Another path on the REST port is not the metrics page.
    assert get(server.rest.port, "/monitoring/other")[0] == 404


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_no_metrics_page_without_monitoring(model_base, serve):
    server = serve(model_name="m", model_base_path=model_base, rest_api_port=0)
    assert server.metrics is None
    assert get(server.rest.port, constants.PROMETHEUS_PATH)[0] == 404
