"""TensorFlow Serving's REST API over loopback: status, metadata, predict (row / columnar), errors.

One server (module fixture) serves `text` (TF2, our classifier contract),
`tf1` (TF1 predict / classify / regress signatures) and `labelled` (two
versions with labels) on a gRPC port and a REST port, so REST answers can be
compared with gRPC answers from the same process.
"""

import base64
import http.client
import json

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_service_pb2_grpc

from tests.serving import server_models
from tests.serving.conftest import predict_request, rest_call
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TEXT, TF1, LABELLED = "text", "tf1", "labelled"


@pytest.fixture(scope="module")
def server(tmp_path_factory, serve_module):
    root = tmp_path_factory.mktemp("repository")
    return serve_module(
        config_list=server_models.build_three_model_repository(root),
        rest_api_port=0,
        max_message_size=1024 * 1024,
        allow_version_labels_for_unavailable_models=True,
    )


def grpc_predict(server, texts, model=TEXT, signature=constants.SERVING_SIGNATURE):
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        return stub.Predict(predict_request(model, texts=texts, signature=signature), timeout=10)


def test_model_status_has_tf_serving_json_shape(server):
    code, body = rest_call(server, "GET", f"/v1/models/{TEXT}")
    assert code == 200
    assert body == {
        "model_version_status": [
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }
    assert (
        rest_call(server, "GET", f"/v1/models/{LABELLED}/versions/2")[1]["model_version_status"][0][
            "version"
        ]
        == "2"
    )
    # TensorFlow Serving ignores a label in a status path: every version, newest first.
    code, body = rest_call(server, "GET", f"/v1/models/{LABELLED}/labels/stable")
    assert (code, [s["version"] for s in body["model_version_status"]]) == (200, ["2", "1"])


def test_metadata_has_model_spec_and_signature_defs(server):
    code, body = rest_call(server, "GET", f"/v1/models/{TEXT}/metadata")
    assert code == 200
    assert body["model_spec"] == {"name": TEXT, "version": "1", "signature_name": ""}
    signatures = body["metadata"]["signature_def"]["signature_def"]
    serving = signatures[constants.SERVING_SIGNATURE]
    assert serving["inputs"][constants.CLASSIFIER_INPUT]["dtype"] == "DT_STRING"
    assert set(serving["outputs"]) == set(constants.CLASSIFIER_OUTPUTS)
    assert serving["method_name"] == "tensorflow/serving/predict"
    code, body = rest_call(server, "GET", f"/v1/models/{LABELLED}/versions/2/metadata")
    assert (code, body["model_spec"]["version"]) == (200, "2")


def test_row_predict_equals_grpc_predict(server):
    texts = ["abc", "a rather longer text here"]
    code, body = rest_call(server, "POST", f"/v1/models/{TEXT}:predict", {"instances": texts})
    assert code == 200
    response = grpc_predict(server, texts)
    probabilities = tf.make_ndarray(response.outputs[constants.PROBABILITIES])
    assert [row[constants.LABELS] for row in body["predictions"]] == ["short", "long"]
    assert [row[constants.CLASS_IDS] for row in body["predictions"]] == [0, 1]
    np.testing.assert_allclose(
        [row[constants.PROBABILITIES] for row in body["predictions"]], probabilities, rtol=1e-6
    )
    # Floats are written as the shortest text of the float32 (as TF Serving does).
    assert body["predictions"][0][constants.PROBABILITIES][0] == float(str(probabilities[0, 0]))


def test_columnar_predict_with_b64_and_named_object(server):
    encoded = {"b64": base64.b64encode(b"abc").decode()}
    code, body = rest_call(
        server, "POST", f"/v1/models/{TEXT}:predict", {"inputs": ["abc", encoded]}
    )
    assert code == 200
    assert body["outputs"][constants.LABELS] == ["short", "short"]
    assert (
        body["outputs"][constants.PROBABILITIES][0] == body["outputs"][constants.PROBABILITIES][1]
    )
    code, named = rest_call(
        server, "POST", f"/v1/models/{TEXT}:predict", {"inputs": {"text": ["abc", "abc"]}}
    )
    assert (code, named) == (200, body)


def test_single_output_is_a_plain_list_and_signature_name_is_honoured(server):
    code, body = rest_call(
        server,
        "POST",
        f"/v1/models/{TF1}/versions/7:predict",
        {"signature_name": "serving_default", "instances": [1.0, 2.5]},
    )
    assert (code, body) == (200, {"predictions": [3.0, 6.0]})
    code, body = rest_call(server, "POST", f"/v1/models/{TF1}:predict", {"inputs": [1.0, 2.0]})
    assert (code, body) == (200, {"outputs": [3.0, 5.0]})
    code, body = rest_call(
        server,
        "POST",
        f"/v1/models/{TEXT}:predict",
        {"signature_name": server_models.BATCH_INFO_SIGNATURE, "instances": ["x", "yy", "zzz"]},
    )
    assert code == 200
    assert [row["batch_size"] for row in body["predictions"]] == [3, 3, 3]
    assert [row["echo"] for row in body["predictions"]] == ["x", "yy", "zzz"]


def test_version_labels_pick_the_labelled_version(server):
    texts = {"instances": ["abc"]}
    stable = rest_call(server, "POST", f"/v1/models/{LABELLED}/labels/stable:predict", texts)[1]
    canary = rest_call(server, "POST", f"/v1/models/{LABELLED}/labels/canary:predict", texts)[1]
    assert stable["predictions"][0][constants.LABELS] == "short"
    # Version 2 adds 100 to the length: "long".
    assert canary["predictions"][0][constants.LABELS] == "long"
    code, body = rest_call(server, "POST", f"/v1/models/{LABELLED}/labels/nope:predict", texts)
    assert (code, body) == (400, {"error": "Unrecognized servable version label: nope"})


def test_classify_and_regress_with_examples(server):
    code, body = rest_call(
        server,
        "POST",
        f"/v1/models/{TF1}:classify",
        {"signature_name": server_models.TF1_CLASSIFY_SIGNATURE, "examples": [{"x": 0.0}]},
    )
    assert code == 200
    assert [label for label, _ in body["results"][0]] == ["pos", "neg"]
    np.testing.assert_allclose([score for _, score in body["results"][0]], [0.5, 0.5])
    code, body = rest_call(
        server,
        "POST",
        f"/v1/models/{TF1}:regress",
        {
            "signature_name": server_models.TF1_REGRESS_SIGNATURE,
            "context": {"x": 1.5},
            "examples": [{}, {"x": 2.0}],
        },
    )
    assert (code, body) == (200, {"results": [4.0, 5.0]})


@pytest.mark.parametrize(
    "method, path, body, code, message",
    [
        ("POST", f"/v1/models/{TEXT}:predict", "{not json", 400, "JSON Parse error"),
        ("POST", f"/v1/models/{TEXT}:predict", "", 400, "JSON Parse error: The document is empty"),
        ("POST", f"/v1/models/{TEXT}:predict", "[1, 2]", 400, "Is not object"),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"x": 1},
            400,
            "Missing 'inputs' or 'instances' key",
        ),
        ("POST", f"/v1/models/{TEXT}:predict", {"instances": []}, 400, "No values in 'instances'"),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"instances": ["a"], "inputs": ["a"]},
            400,
            "expecting only one of 'inputs' or 'instances'",
        ),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"instances": [5]},
            400,
            "is not of expected type: string",
        ),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"instances": [{"b64": "!!not base64!!"}]},
            400,
            "Unable to base64 decode",
        ),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"instances": [{"wrong": "a"}]},
            400,
            "does not have named input: wrong",
        ),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"instances": ["a", ["b"]]},
            400,
            "Failed to process element: 1",
        ),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"inputs": [["a"]]},
            400,
            "input 'text' has shape [1,1]",
        ),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"signature_name": 3, "instances": ["a"]},
            400,
            "'signature_name' key must be a string value",
        ),
        (
            "POST",
            f"/v1/models/{TEXT}:predict",
            {"signature_name": "nope", "instances": ["a"]},
            400,
            'Serving signature name: "nope" not found in signature def',
        ),
        (
            "POST",
            f"/v1/models/{TF1}:predict",
            {"instances": [2**30]},
            400,
            "without loss of precision",
        ),
        ("POST", "/v1/models/nope:predict", {"instances": ["a"]}, 404, "Latest(nope)"),
        (
            "POST",
            f"/v1/models/{TEXT}/versions/9:predict",
            {"instances": ["a"]},
            404,
            "Specific(text, 9)",
        ),
        ("GET", "/v1/models/nope", None, 404, "Could not find any versions of model nope"),
        ("GET", "/v1/models", None, 400, "Missing model name in request."),
        ("GET", f"/v1/models/{TEXT}:predict", None, 400, "Malformed request: GET"),
        ("DELETE", f"/v1/models/{TEXT}", None, 400, "Malformed request: DELETE"),
        (
            "POST",
            f"/v1/models/{TEXT}:classify",
            {"examples": [{"text": "a"}]},
            400,
            "Expected classification signature method_name",
        ),
        ("POST", f"/v1/models/{TF1}:classify", {"examples": "x"}, 400, "to be an list/array"),
        ("GET", "/v2/other", None, 404, "Not found"),
    ],
)
def test_bad_request_gets_tf_serving_http_code_and_json_error(
    server, method, path, body, code, message
):
    got_code, got = rest_call(server, method, path, body)
    assert got_code == code, got
    assert set(got) == {"error"}
    assert message in got["error"]
    # Still answering afterwards.
    assert rest_call(server, "GET", f"/v1/models/{TEXT}")[0] == 200


def test_body_over_the_limit_is_refused_unread(server):
    connection = http.client.HTTPConnection("localhost", server.rest.port, timeout=30)
    try:
        connection.putrequest("POST", f"/v1/models/{TEXT}:predict")
        connection.putheader("Content-Length", str(server.rest.max_body_bytes + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert "exceeds the limit" in json.loads(response.read())["error"]
    finally:
        connection.close()


def test_output_strings_that_are_not_utf8_come_back_as_b64(server):
    raw = b"\xff\xfe not utf-8"
    code, body = rest_call(
        server,
        "POST",
        f"/v1/models/{TEXT}:predict",
        {
            "signature_name": server_models.BATCH_INFO_SIGNATURE,
            "instances": [{"b64": base64.b64encode(raw).decode()}],
        },
    )
    assert code == 200
    assert base64.b64decode(body["predictions"][0]["echo"]["b64"]) == raw


def test_rest_flags(tmp_path):
    import argparse

    from serving.server import flags
    from tfcharnlp.errors import ConfigError

    def parse(*argv):
        parser = flags.add_flags(argparse.ArgumentParser())
        return flags.check_flags(parser.parse_args([f"--model_base_path={tmp_path}", *argv]))

    assert parse().rest_api_port == 0  # Off unless asked for, as tensorflow_model_server.
    assert parse("--rest_api_port").rest_api_port == constants.REST_PORT
    assert (
        parse("--rest_api_port=9001", "--rest_api_timeout_in_ms=500").rest_api_timeout_in_ms == 500
    )
    for argv, field in (
        (["--rest_api_timeout_in_ms=500"], "--rest_api_timeout_in_ms"),
        (["--rest_api_port=8500"], "--rest_api_port"),
        (["--rest_api_port=70000"], "--rest_api_port"),
        (["--rest_api_port", "--rest_api_timeout_in_ms=-1"], "--rest_api_timeout_in_ms"),
    ):
        with pytest.raises(ConfigError) as caught:
            parse(*argv)
        assert caught.value.field == field
