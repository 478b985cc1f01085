"""Bad-input fuzz over gRPC and REST: every bad request gets an error code, none kills the server.

One server (module fixture) with a small message limit serves the text model
on both ports. The inputs are seeded, bounded in count, and checked after
each batch with a good request on each protocol.
"""

import base64
import json
import random
import socket

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_status_pb2,
    prediction_service_pb2_grpc,
)

from tests.serving import server_models
from tests.serving.conftest import predict_request, rest_call
from tests.serving.reliability_helpers import bad_tensors, rest_bodies, tensor_proto
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MAX_MESSAGE = 1024 * 1024
PREDICTION_METHODS = ("Predict", "Classify", "Regress", "MultiInference", "GetModelMetadata")
MODEL_METHODS = ("GetModelStatus", "HandleReloadConfigRequest")
# What a bad request may be answered with; never OK, never UNAVAILABLE (a dead server).
ERROR_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory, serve_module):
    base = tmp_path_factory.mktemp("repository") / "m"
    server_models.build_text_model(base, 1)
    return serve_module(
        model_name="m",
        model_base_path=base,
        max_message_size=MAX_MESSAGE,
        rest_api_port=0,
        rest_api_max_body_bytes=MAX_MESSAGE,
    )


@pytest.fixture(scope="module")
def channel(server):
    with grpc.insecure_channel(
        server.target, options=[("grpc.max_send_message_length", 8 * MAX_MESSAGE)]
    ) as channel:
        yield channel


def text_request(texts=("abc",)):
    return predict_request("m", texts=list(texts))


def assert_alive(server, channel):
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    response = stub.Predict(text_request(), timeout=10)
    assert response.outputs[constants.LABELS].string_val == [b"short"]
    assert rest_call(server, "POST", "/v1/models/m:predict", {"instances": ["abc"]})[0] == 200


def raw_call(channel, method, payload):
    """Sends `payload` bytes as the serialized request; returns the status code."""
    call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    try:
        call(payload, timeout=10)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def read_until_closed(connection):
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_random_bytes_to_every_method_get_an_error(server, channel):
    rng = random.Random(7)
    codes = []
    methods = [f"/tensorflow.serving.PredictionService/{m}" for m in PREDICTION_METHODS]
    methods += [f"/tensorflow.serving.ModelService/{m}" for m in MODEL_METHODS]
    for method in methods:
        for size in (1, 7, 64, 1000, 20000):
            payload = bytes(rng.getrandbits(8) for _ in range(size))
            codes.append((method, size, raw_call(channel, method, payload)))
    unexpected = [entry for entry in codes if entry[2] not in ERROR_CODES]
    assert unexpected == []
    assert_alive(server, channel)


def test_wrong_protos_and_an_unknown_method_get_an_error(server, channel):
    status_request = get_model_status_pb2.GetModelStatusRequest()
    status_request.model_spec.name = "m"
    classify = classification_pb2.ClassificationRequest()
    classify.model_spec.name = "m"
    classify.input.example_list.examples.add()
    predict = "/tensorflow.serving.PredictionService/Predict"
    # A GetModelStatusRequest parses as a PredictRequest without inputs.
    assert raw_call(channel, predict, status_request.SerializeToString()) in ERROR_CODES
    assert raw_call(channel, predict, classify.SerializeToString()) in ERROR_CODES
    assert (
        raw_call(
            channel,
            "/tensorflow.serving.PredictionService/Classify",
            text_request().SerializeToString(),
        )
        in ERROR_CODES
    )
    assert (
        raw_call(channel, "/tensorflow.serving.PredictionService/Explode", b"")
        == grpc.StatusCode.UNIMPLEMENTED
    )
    assert_alive(server, channel)


@pytest.mark.parametrize("name", sorted(bad_tensors()))
def test_wrong_dtypes_shapes_and_impossible_sizes_get_an_error(server, channel, name):
    request = text_request()
    request.inputs[constants.CLASSIFIER_INPUT].CopyFrom(bad_tensors()[name])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Predict(request, timeout=20)
    assert caught.value.code() in ERROR_CODES, (name, caught.value.details())
    assert_alive(server, channel)


def test_message_over_the_limit_is_resource_exhausted(server, channel):
    request = text_request(["x" * 1000] * 2000)  # About 2 MB, twice the server's limit.
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Predict(request, timeout=20)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert_alive(server, channel)


def test_invalid_utf8_strings_are_answered(server, channel):
    rng = random.Random(11)
    texts = [bytes(rng.getrandbits(8) for _ in range(n)) for n in (1, 5, 50, 300)]
    texts += [b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80", b"\x00\x00"]
    request = text_request()
    request.inputs[constants.CLASSIFIER_INPUT].CopyFrom(
        tensor_proto(types_pb2.DT_STRING, [len(texts)], string_val=texts)
    )
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    response = stub.Predict(request, timeout=10)
    probabilities = tf.make_ndarray(response.outputs[constants.PROBABILITIES])
    np.testing.assert_allclose(
        probabilities, server_models.expected_probabilities(texts), rtol=1e-5
    )
    # The same bytes over REST, as b64.
    body = {"instances": [{"b64": base64.b64encode(t).decode()} for t in texts]}
    code, answer = rest_call(server, "POST", "/v1/models/m:predict", body)
    assert code == 200
    assert len(answer["predictions"]) == len(texts)


@pytest.mark.parametrize("name", sorted(rest_bodies()))
def test_bad_rest_bodies_get_4xx_json_errors(server, channel, name):
    code, answer = rest_call(server, "POST", "/v1/models/m:predict", rest_bodies()[name])
    assert 400 <= code < 500, (name, code, answer)
    assert "error" in answer
    assert_alive(server, channel)


def test_huge_and_malformed_http_requests(server, channel):
    limit = server.rest.max_body_bytes
    assert limit == MAX_MESSAGE
    # Refused from the headers alone: the body is never read (nor sent here).
    with socket.create_connection(("localhost", server.rest.port), timeout=10) as connection:
        connection.sendall(
            f"POST /v1/models/m:predict HTTP/1.1\r\nContent-Length: {limit + 1}\r\n\r\n".encode()
        )
        answer = read_until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 413") and b"exceeds the limit" in answer
    # A body of many strings within the limit is answered.
    body = json.dumps({"instances": ["ab"] * 50000}).encode()
    assert len(body) < limit
    code, answer = rest_call(server, "POST", "/v1/models/m:predict", body)
    assert code == 200 and len(answer["predictions"]) == 50000
    for raw in (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # A TLS hello.
        b"GARBAGE / HTTP/9.9\r\n\r\n",
        b"POST /v1/models/m:predict HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/models/m:predict HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ):
        with socket.create_connection(("localhost", server.rest.port), timeout=10) as connection:
            connection.sendall(raw)
            connection.shutdown(socket.SHUT_WR)
            answer = read_until_closed(connection)
        # A refusal status (bad request, length required, unsupported method or
        # version), or the connection closed without one; never a hang, never a 500.
        if answer:
            status_line = answer.split(b"\r\n", 1)[0].split()
            assert status_line[0].startswith(b"HTTP/1.") and int(status_line[1]) in (
                400,
                411,
                413,
                501,
                505,
            ), answer[:80]
    assert_alive(server, channel)
