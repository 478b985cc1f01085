"""TensorFlow Serving's own test models, answered as TensorFlow Serving answers them.

The models are `tests/serving/half_plus_two.py`'s rebuilds of TF Serving's
half_plus_two and half_plus_three (TF1 graphs with ParseExample-based
classify / regress signatures) and a TF2 half_plus_two. Their `x` is
declared [-1, 1], yet TF Serving runs the graph on the tensor as sent: its
test client sends `x` as a float vector of one (`y = 3.0`), and REST
`{"instances": [2.0, 3.0, 4.0]}` gets `{"predictions": [3.0, 3.5, 4.0]}`.
Messages pinned here are TensorFlow Serving's (predict_impl_test.cc,
get_model_metadata_impl.cc, FunctionCallFrame).
"""

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    inference_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from serving.server import single_model_config
from tests.serving import half_plus_two
from tests.serving.conftest import predict_request, rest_call, rpc_error

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TWO, THREE, TWO_TF2 = "half_plus_two", "half_plus_three", "half_plus_two_tf2"
CODE = grpc.StatusCode


@pytest.fixture(scope="module")
def server(tmp_path_factory, serve_module):
    root = tmp_path_factory.mktemp("tf_serving_models")
    half_plus_two.build_tf1(root / TWO, 123, b=2.0)
    half_plus_two.build_tf1(root / THREE, 1, b=3.0)
    half_plus_two.build_tf2(root / TWO_TF2, 1)
    config_list = single_model_config(TWO, str(root / TWO))
    for name in (THREE, TWO_TF2):
        config_list.config.add(name=name, base_path=str(root / name))
    return serve_module(config_list=config_list, rest_api_port=0)


@pytest.fixture(scope="module")
def stub(server):
    with grpc.insecure_channel(server.target) as channel:
        yield prediction_service_pb2_grpc.PredictionServiceStub(channel)


def predict_x(stub, model, values, shape, output_filter=("y",)):
    # As TF Serving's test client sends it: typed float_val, not tensor_content.
    x = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=values)
    for size in shape:
        x.tensor_shape.dim.add(size=size)
    request = predict_request(model, {"x": x}, output_filter=output_filter)
    return stub.Predict(request, timeout=10).outputs["y"]


@pytest.mark.parametrize(("model", "expected"), [(TWO, 3.0), (THREE, 4.0), (TWO_TF2, 3.0)])
def test_tf_serving_test_client_request(stub, model, expected):
    # tensorflow_model_server_test.py: x = float_val [2.0], shape [1], output_filter y.
    y = predict_x(stub, model, [2.0], [1])
    assert y.dtype == types_pb2.DT_FLOAT
    assert list(y.float_val) == [expected]
    assert [d.size for d in y.tensor_shape.dim] == [1]
    # And without output_filter: every output (here only y).
    assert list(predict_x(stub, model, [2.0], [1], output_filter=()).float_val) == [expected]


@pytest.mark.parametrize("model", [TWO, TWO_TF2])
def test_scalar_vector_and_matrix_inputs_run_as_sent(stub, model):
    scalar = predict_x(stub, model, [2.0], [])
    assert (list(scalar.float_val), list(scalar.tensor_shape.dim)) == ([3.0], [])
    vector = predict_x(stub, model, [2.0, 3.0, 4.0], [3])
    assert tf.make_ndarray(vector).tolist() == [3.0, 3.5, 4.0]
    matrix = predict_x(stub, model, [2.0], [1, 1])
    assert tf.make_ndarray(matrix).tolist() == [[3.0]]


@pytest.mark.parametrize("model", [TWO, TWO_TF2])
def test_rest_instances_as_tf_serving(server, model):
    assert rest_call(
        server, "POST", f"/v1/models/{model}:predict", {"instances": [2.0, 3.0, 4.0]}
    ) == (
        200,
        {"predictions": [3.0, 3.5, 4.0]},
    )
    assert rest_call(server, "POST", f"/v1/models/{model}:predict", {"inputs": 2.0}) == (
        200,
        {"outputs": 3.0},
    )
    assert rest_call(server, "POST", f"/v1/models/{model}:predict", {"instances": [[2.0]]}) == (
        200,
        {"predictions": [[3.0]]},
    )


def with_examples(request, values, feature="x"):
    for value in values:
        example = request.input.example_list.examples.add()
        example.features.feature[feature].float_list.value.append(value)
    return request


def test_classify_regress_and_multi_inference_on_parse_example_signatures(stub):
    classify = classification_pb2.ClassificationRequest()
    classify.model_spec.name = TWO
    classify.model_spec.signature_name = half_plus_two.CLASSIFY_X_TO_Y
    result = stub.Classify(with_examples(classify, [2.0]), timeout=10).result
    assert [[c.score for c in row.classes] for row in result.classifications] == [[3.0]]

    regress = regression_pb2.RegressionRequest()
    regress.model_spec.name = THREE
    regress.model_spec.signature_name = half_plus_two.REGRESS_X_TO_Y
    with_examples(regress, [2.0, 4.0])
    assert [r.value for r in stub.Regress(regress, timeout=10).result.regressions] == [4.0, 5.0]
    regress.model_spec.signature_name = half_plus_two.REGRESS_X_TO_Y2
    assert [r.value for r in stub.Regress(regress, timeout=10).result.regressions] == [4.0, 5.0]

    multi = inference_pb2.MultiInferenceRequest()
    for signature, method in (
        (half_plus_two.REGRESS_X_TO_Y, "tensorflow/serving/regress"),
        (half_plus_two.CLASSIFY_X_TO_Y, "tensorflow/serving/classify"),
    ):
        task = multi.tasks.add(method_name=method)
        task.model_spec.name = TWO
        task.model_spec.signature_name = signature
    with_examples(multi, [2.0])
    results = stub.MultiInference(multi, timeout=10).results
    assert results[0].regression_result.regressions[0].value == 3.0
    assert results[1].classification_result.classifications[0].classes[0].score == 3.0


def test_rest_classify_and_regress(server):
    assert rest_call(
        server,
        "POST",
        f"/v1/models/{TWO}:classify",
        {"signature_name": half_plus_two.CLASSIFY_X_TO_Y, "examples": [{"x": 2.0}]},
    ) == (200, {"results": [[["", 3.0]]]})
    assert rest_call(
        server,
        "POST",
        f"/v1/models/{THREE}:regress",
        {"signature_name": half_plus_two.REGRESS_X_TO_Y, "examples": [{"x": 2.0}, {"x": 0.0}]},
    ) == (200, {"results": [4.0, 3.0]})


def test_wrong_dtype_has_tf_serving_wording(stub):
    # predict_impl_test.cc: HasSubstr("to be float but string is provided").
    request = predict_request(TWO, {"x": ["any_value"]}, output_filter=["y"])
    assert rpc_error(stub.Predict, request) == (
        CODE.INVALID_ARGUMENT,
        "Expects arg[0] to be float but string is provided",
    )


def test_output_filter_is_checked_before_the_dtype(stub):
    request = predict_request(TWO, {"x": ["any_value"]}, output_filter=["z"])
    assert rpc_error(stub.Predict, request) == (
        CODE.INVALID_ARGUMENT,
        "output tensor alias not found in signature: z Outputs expected to be in the set {y}.",
    )


def test_metadata_request_is_validated_before_the_model_is_looked_up(stub):
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = "no_such_model"
    assert rpc_error(stub.GetModelMetadata, request) == (
        CODE.INVALID_ARGUMENT,
        "GetModelMetadataRequest must specify at least one metadata_field",
    )
    request.metadata_field.append("signature_def")
    assert rpc_error(stub.GetModelMetadata, request)[0] == CODE.NOT_FOUND


def test_tf1_metadata_lists_every_signature(stub):
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = THREE
    request.metadata_field.append("signature_def")
    response = stub.GetModelMetadata(request, timeout=10)
    signatures = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signatures)
    assert sorted(signatures.signature_def) == sorted(
        [
            "serving_default",
            half_plus_two.CLASSIFY_X_TO_Y,
            half_plus_two.REGRESS_X_TO_Y,
            half_plus_two.REGRESS_X_TO_Y2,
            half_plus_two.REGRESS_X2_TO_Y3,
        ]
    )
    x = signatures.signature_def["serving_default"].inputs["x"]
    assert [d.size for d in x.tensor_shape.dim] == [-1, 1]
    np.testing.assert_equal(x.dtype, types_pb2.DT_FLOAT)
