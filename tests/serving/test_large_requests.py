"""Requests far larger than one model call: run in parts and answered whole, or refused.

The text model's `batch_info` signature answers, for every row, the number
of rows the model saw in its call, so the tests see the parts. Texts are
a few bytes each: the requests are large in rows, small in memory.
"""

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_service_pb2_grpc

from serving.server import BatchingOptions
from serving.server.request_limits import RequestLimits
from tests.serving import server_models
from tests.serving.conftest import predict_request, rest_call
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROW_LIMIT = 8
ROWS = 5000


@pytest.fixture(scope="module")
def model_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("repository") / "m"
    server_models.build_text_model(base, 1)
    return base


def texts(count):
    return [f"t{index}" for index in range(count)]


@pytest.mark.parametrize(
    "batching",
    [None, BatchingOptions(max_batch_size=4, num_batch_threads=1)],
    ids=["plain", "batching"],
)
def test_a_request_far_above_the_row_limit_is_answered_whole(model_base, batching, serve):
    server = serve(
        model_name="m",
        model_base_path=model_base,
        batching=batching,
        limits=RequestLimits(max_rows_per_call=ROW_LIMIT),
    )
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        sent = texts(ROWS)
        response = stub.Predict(
            predict_request("m", texts=sent, signature=server_models.BATCH_INFO_SIGNATURE),
            timeout=60,
        )
        echo = [value.decode() for value in response.outputs["echo"].string_val]
        assert echo == sent
        seen = tf.make_ndarray(response.outputs["batch_size"])
        largest = ROW_LIMIT if batching is None else min(ROW_LIMIT, batching.max_batch_size)
        assert seen.shape == (ROWS,) and seen.max() <= largest
        # The classifier's answer for the large request is its answer row by row.
        whole = stub.Predict(
            predict_request("m", texts=sent[:100], signature=constants.SERVING_SIGNATURE),
            timeout=60,
        )
        np.testing.assert_allclose(
            tf.make_ndarray(whole.outputs[constants.PROBABILITIES]),
            server_models.expected_probabilities(sent[:100]),
            rtol=1e-5,
        )
        small = stub.Predict(
            predict_request("m", texts=["still up"], signature=constants.SERVING_SIGNATURE),
            timeout=10,
        )
        assert small.outputs[constants.LABELS].string_val


def test_a_request_above_the_memory_estimate_is_resource_exhausted(model_base, serve):
    limit = 50_000
    server = serve(
        model_name="m",
        model_base_path=model_base,
        rest_api_port=0,
        limits=RequestLimits(max_rows_per_call=ROW_LIMIT, max_request_memory_bytes=limit),
    )
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Predict(
                predict_request("m", texts=texts(ROWS), signature=constants.SERVING_SIGNATURE),
                timeout=60,
            )
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert f"above the limit of {limit} bytes" in caught.value.details()
        code, body = rest_call(server, "POST", "/v1/models/m:predict", {"instances": texts(ROWS)})
        assert code == 429  # TF Serving's HTTP code for RESOURCE_EXHAUSTED
        assert "above the limit" in body["error"]
        answer = stub.Predict(
            predict_request("m", texts=["still up"], signature=constants.SERVING_SIGNATURE),
            timeout=10,
        )
        assert answer.outputs[constants.LABELS].string_val == [b"short"]
