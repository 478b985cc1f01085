"""Dynamic batching over loopback: concurrent requests merge into fewer model calls."""

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_service_pb2_grpc

from serving.server import BatchingOptions
from tests.serving import server_models
from tests.serving.conftest import predict_request
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CLIENTS = 16


@pytest.fixture(scope="module")
def server(tmp_path_factory, serve_module):
    base = tmp_path_factory.mktemp("batched")
    server_models.build_text_model(base, 1)
    # A long batch timeout makes merging certain even on a loaded machine.
    options = BatchingOptions(
        max_batch_size=64, batch_timeout_micros=200_000, max_enqueued_batches=4, num_batch_threads=1
    )
    return serve_module(model_name="m", model_base_path=base, batching=options)


def batch_stats(server, signature):
    with server.manager.servable_handle(predict_request("m").model_spec) as servable:
        return servable.batch_stats()[signature]


def test_concurrent_requests_are_merged_and_split_back(server):
    calls_before, rows_before = batch_stats(server, server_models.BATCH_INFO_SIGNATURE)
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        texts = [[f"client {i}", f"row two of {i}"] for i in range(CLIENTS)]
        pending = [
            stub.Predict.future(
                predict_request("m", texts=t, signature=server_models.BATCH_INFO_SIGNATURE),
                timeout=30,
            )
            for t in texts
        ]
        responses = [future.result() for future in pending]
    calls, rows = batch_stats(server, server_models.BATCH_INFO_SIGNATURE)
    calls, rows = calls - calls_before, rows - rows_before

    # Each client gets exactly its own rows back, in order.
    for sent, response in zip(texts, responses, strict=True):
        assert [value.decode() for value in response.outputs["echo"].string_val] == sent
    # The model saw batches larger than one request, and ran fewer times than there were requests.
    sizes = [response.outputs["batch_size"].int64_val[0] for response in responses]
    assert max(sizes) > 2
    assert rows == 2 * CLIENTS
    assert calls < CLIENTS


def test_batches_grow_past_the_default_request_thread_count(server):
    # Each waiting request holds a gRPC thread: with the old fixed 8 threads,
    # 32 concurrent clients could never form a batch of more than 8.
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        pending = [
            stub.Predict.future(
                predict_request("m", texts=[f"c{i}"], signature=server_models.BATCH_INFO_SIGNATURE),
                timeout=30,
            )
            for i in range(32)
        ]
        sizes = [future.result().outputs["batch_size"].int64_val[0] for future in pending]
    assert max(sizes) > 8


def test_batched_predictions_equal_unbatched_ones(server):
    texts = ["a", "medium text", "a much longer piece of text"]
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        pending = [
            stub.Predict.future(
                predict_request("m", texts=[t], signature=constants.SERVING_SIGNATURE), timeout=30
            )
            for t in texts
        ]
        got = np.concatenate(
            [tf.make_ndarray(f.result().outputs[constants.PROBABILITIES]) for f in pending]
        )
    np.testing.assert_allclose(got, server_models.expected_probabilities(texts), rtol=1e-5)


def test_request_larger_than_max_batch_size_is_split_and_answered_whole(server):
    # As TF Serving's large-batch splitting does: parts of at most max_batch_size rows.
    texts = [f"text {index}" for index in range(150)]
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Predict(
            predict_request("m", texts=texts, signature=server_models.BATCH_INFO_SIGNATURE),
            timeout=30,
        )
        assert [t.decode() for t in response.outputs["echo"].string_val] == texts
        assert tf.make_ndarray(response.outputs["batch_size"]).max() <= 64
        assert stub.Predict(
            predict_request("m", texts=["x"], signature=constants.SERVING_SIGNATURE), timeout=30
        ).outputs


def test_deadline_shorter_than_the_batch_wait_is_deadline_exceeded(server):
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Predict(
                predict_request("m", texts=["x"], signature=constants.SERVING_SIGNATURE),
                timeout=0.05,
            )
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert stub.Predict(
            predict_request("m", texts=["y"], signature=constants.SERVING_SIGNATURE), timeout=30
        ).outputs
