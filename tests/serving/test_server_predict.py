"""PredictionService over loopback: TF Serving-style calls, metadata, Classify/Regress, bad requests.

One server (module fixture) serves three models built in the test: `text`
(TF2, our classifier contract), `tf1` (a TF1 graph with predict, classify and
regress signatures) and `labelled` (two versions with version labels).
"""

import grpc
import numpy as np
import pytest
import tensorflow as tf
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from tests.serving import server_models
from tests.serving.conftest import predict_request, rpc_error
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TEXT, TF1, LABELLED = "text", "tf1", "labelled"
CODE = grpc.StatusCode


@pytest.fixture(scope="module")
def server(tmp_path_factory, serve_module):
    root = tmp_path_factory.mktemp("repository")
    config_list = server_models.build_three_model_repository(
        root,
        text_warmup_texts=["warm me up"],
        version_labels={"stable": 1, "canary": 2, "gone": 9},
    )
    # Labels in a startup config need TF Serving's flag (no version is available yet).
    return serve_module(config_list=config_list, allow_version_labels_for_unavailable_models=True)


@pytest.fixture(scope="module")
def channel(server):
    with grpc.insecure_channel(server.target) as channel:
        yield channel


@pytest.fixture(scope="module")
def stub(channel):
    return prediction_service_pb2_grpc.PredictionServiceStub(channel)


def test_raw_tensorflow_serving_style_predict(stub):
    texts = ["hi", "a text that is clearly long"]
    request = predict_pb2.PredictRequest()
    request.model_spec.name = TEXT
    request.model_spec.signature_name = "serving_default"
    request.inputs["text"].CopyFrom(tf.make_tensor_proto(texts))
    response = stub.Predict(request, timeout=10)

    assert response.model_spec.name == TEXT
    assert response.model_spec.version.value == 1
    assert response.model_spec.signature_name == constants.SERVING_SIGNATURE
    assert set(response.outputs) == set(constants.CLASSIFIER_OUTPUTS)
    probabilities = response.outputs[constants.PROBABILITIES]
    # TensorFlow Serving answers in the typed value fields, not tensor_content.
    assert probabilities.float_val and not probabilities.tensor_content
    np.testing.assert_allclose(
        tf.make_ndarray(probabilities), server_models.expected_probabilities(texts), rtol=1e-5
    )
    assert list(response.outputs[constants.CLASS_IDS].int64_val) == [0, 1]
    assert list(response.outputs[constants.LABELS].string_val) == [b"short", b"long"]


def test_empty_signature_name_is_filled_with_serving_default(stub):
    request = predict_request(TEXT, texts=["x"], signature="")
    response = stub.Predict(request, timeout=10)
    assert response.model_spec.signature_name == constants.SERVING_SIGNATURE


def test_async_future_call(stub):
    future = stub.Predict.future(predict_request(TEXT, texts=["abc"]), timeout=10)
    assert future.result().outputs[constants.LABELS].string_val == [b"short"]


def test_tensor_content_input(stub):
    values = np.array([1.0, 2.5, -1.0], np.float32)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = TF1
    request.inputs["x"].CopyFrom(
        tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=values.tobytes())
    )
    request.inputs["x"].tensor_shape.dim.add(size=3)
    response = stub.Predict(request, timeout=10)
    assert response.model_spec.version.value == 7
    np.testing.assert_allclose(response.outputs["y"].float_val, 2 * values + 1)


def test_output_filter(stub):
    request = predict_request(TEXT, texts=["hello"])
    request.output_filter.append(constants.LABELS)
    response = stub.Predict(request, timeout=10)
    assert list(response.outputs) == [constants.LABELS]


def test_invalid_utf8_strings_are_answered(stub):
    example = tf.train.Example()
    example.features.feature["text"].bytes_list.value.append(b"\xff\xfe not utf-8")
    raw = [example.SerializeToString(), b"\xc3\x28", b"\x80"]
    response = stub.Predict(
        predict_request(TEXT, texts=raw, signature=server_models.BATCH_INFO_SIGNATURE), timeout=10
    )
    assert list(response.outputs["echo"].string_val) == raw
    assert (
        stub.Predict(predict_request(TEXT, texts=raw), timeout=10)
        .outputs[constants.LABELS]
        .string_val
    )


def test_get_model_metadata_returns_signature_defs(stub):
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = TEXT
    request.metadata_field.append("signature_def")
    response = stub.GetModelMetadata(request, timeout=10)
    assert response.model_spec.name == TEXT and response.model_spec.version.value == 1
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(signature_map)
    serving = signature_map.signature_def[constants.SERVING_SIGNATURE]
    assert isinstance(serving, meta_graph_pb2.SignatureDef)
    assert serving.inputs[constants.CLASSIFIER_INPUT].dtype == types_pb2.DT_STRING
    assert set(serving.outputs) == set(constants.CLASSIFIER_OUTPUTS)
    assert serving.outputs[constants.CLASS_IDS].dtype == types_pb2.DT_INT64

    request.metadata_field[:] = ["nonsense"]
    assert rpc_error(stub.GetModelMetadata, request) == (
        CODE.INVALID_ARGUMENT,
        "Metadata field nonsense is not supported",
    )


def examples_input(request, values, feature="x"):
    for value in values:
        example = request.input.example_list.examples.add()
        if isinstance(value, float):
            example.features.feature[feature].float_list.value.append(value)
        else:
            example.features.feature[feature].bytes_list.value.append(value.encode())
    return request


def multi_inference_request(model, *tasks):
    """A MultiInferenceRequest running `(signature, method name)` tasks on `model`."""
    request = inference_pb2.MultiInferenceRequest()
    for signature, method in tasks:
        task = request.tasks.add(method_name=method)
        task.model_spec.name = model
        task.model_spec.signature_name = signature
    return request


def test_classify_on_tf1_classification_signature(stub):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = TF1
    request.model_spec.signature_name = server_models.TF1_CLASSIFY_SIGNATURE
    response = stub.Classify(examples_input(request, [0.0, 2.0]), timeout=10)
    assert response.model_spec.signature_name == server_models.TF1_CLASSIFY_SIGNATURE
    assert len(response.result.classifications) == 2
    first = response.result.classifications[1].classes
    assert [c.label for c in first] == ["pos", "neg"]
    sigmoid = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose([c.score for c in first], [sigmoid, 1 - sigmoid], rtol=1e-5)


def test_regress_on_tf1_regression_signature(stub):
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = TF1
    request.model_spec.signature_name = server_models.TF1_REGRESS_SIGNATURE
    response = stub.Regress(examples_input(request, [1.0, 3.0]), timeout=10)
    np.testing.assert_allclose([r.value for r in response.result.regressions], [3.0, 7.0])
    assert response.model_spec.version.value == 7


def test_classify_with_context_merges_features(stub):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = TF1
    request.model_spec.signature_name = server_models.TF1_CLASSIFY_SIGNATURE
    with_context = request.input.example_list_with_context
    with_context.context.features.feature["x"].float_list.value.append(2.0)
    with_context.examples.add()
    response = stub.Classify(request, timeout=10)
    sigmoid = 1 / (1 + np.exp(-2.0))
    assert response.result.classifications[0].classes[0].score == pytest.approx(sigmoid, rel=1e-5)


def test_classify_on_tf2_signature_with_classify_layout(stub):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = TEXT
    request.model_spec.signature_name = constants.CLASSIFY_SIGNATURE
    response = stub.Classify(
        examples_input(request, ["hi", "a text that is clearly long"], "text"), timeout=10
    )
    best = [
        max(c.classes, key=lambda item: item.score).label for c in response.result.classifications
    ]
    assert best == ["short", "long"]


def test_regress_and_multi_inference_on_tf2_signatures(stub):
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = TEXT
    request.model_spec.signature_name = server_models.REGRESS_SIGNATURE
    response = stub.Regress(examples_input(request, ["abc", "hello!"], "text"), timeout=10)
    assert [r.value for r in response.result.regressions] == [3.0, 6.0]

    multi = multi_inference_request(
        TEXT,
        (constants.CLASSIFY_SIGNATURE, "tensorflow/serving/classify"),
        (server_models.REGRESS_SIGNATURE, "tensorflow/serving/regress"),
    )
    multi.input.CopyFrom(request.input)
    results = stub.MultiInference(multi, timeout=10).results
    assert [c.label for c in results[0].classification_result.classifications[0].classes] == [
        "short",
        "long",
    ]
    assert [r.value for r in results[1].regression_result.regressions] == [3.0, 6.0]
    assert results[1].model_spec.signature_name == server_models.REGRESS_SIGNATURE


def test_classify_and_regress_on_models_without_such_signatures(stub):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = TEXT
    examples_input(request, ["hi"], "text")
    assert rpc_error(stub.Classify, request) == (
        CODE.INVALID_ARGUMENT,
        "Expected classification signature method_name to be tensorflow/serving/classify. "
        "Was: tensorflow/serving/predict",
    )
    regress = regression_pb2.RegressionRequest(model_spec=request.model_spec, input=request.input)
    assert rpc_error(stub.Regress, regress) == (
        CODE.INVALID_ARGUMENT,
        "Expected regression signature method_name to be tensorflow/serving/regress. "
        "Was: tensorflow/serving/predict",
    )
    request.model_spec.signature_name = "no_such_signature"
    assert rpc_error(stub.Classify, request) == (
        CODE.INVALID_ARGUMENT,
        "No signature was found with the name: no_such_signature",
    )
    request.model_spec.signature_name = server_models.TF1_CLASSIFY_SIGNATURE
    request.model_spec.name = TF1
    request.input.Clear()
    assert rpc_error(stub.Classify, request) == (CODE.INVALID_ARGUMENT, "Input is empty.")


def test_multi_inference_runs_classify_and_regress_tasks(stub):
    request = multi_inference_request(
        TF1,
        (server_models.TF1_CLASSIFY_SIGNATURE, "tensorflow/serving/classify"),
        (server_models.TF1_REGRESS_SIGNATURE, "tensorflow/serving/regress"),
    )
    examples_input(request, [1.0])
    response = stub.MultiInference(request, timeout=10)
    assert len(response.results[0].classification_result.classifications) == 1
    assert response.results[1].regression_result.regressions[0].value == pytest.approx(3.0)

    request.tasks[1].method_name = "tensorflow/serving/predict"
    code, message = rpc_error(stub.MultiInference, request)
    assert code == CODE.UNIMPLEMENTED and "Unsupported signature method_name" in message
    request.tasks[1].model_spec.signature_name = server_models.TF1_CLASSIFY_SIGNATURE
    assert rpc_error(stub.MultiInference, request)[1] == (
        f"Duplicate evaluation of signature: {server_models.TF1_CLASSIFY_SIGNATURE}"
    )


def test_version_and_label_selection(stub):
    texts = ["abc"]
    latest = stub.Predict(predict_request(LABELLED, texts=texts), timeout=10)
    assert latest.model_spec.version.value == 2
    request = predict_request(LABELLED, texts=texts)
    request.model_spec.version.value = 1
    assert stub.Predict(request, timeout=10).model_spec.version.value == 1
    request.model_spec.version_label = "stable"
    assert stub.Predict(request, timeout=10).model_spec.version.value == 1
    request.model_spec.version_label = "canary"
    canary = stub.Predict(request, timeout=10)
    np.testing.assert_allclose(
        canary.outputs[constants.PROBABILITIES].float_val,
        server_models.expected_probabilities(texts, offset=100.0).ravel(),
        rtol=1e-5,
    )


def bad_requests():
    """(name, request builder, expected code, expected message or None)."""

    def with_spec(**changes):
        def build():
            request = predict_request(TEXT, texts=["x"])
            for key, value in changes.items():
                if key == "version":
                    request.model_spec.version.value = value
                elif key == "label":
                    request.model_spec.version_label = value
                else:
                    setattr(request.model_spec, key, value)
            return request

        return build

    def extra_input():
        request = predict_request(TEXT, texts=["x"])
        request.inputs["extra"].CopyFrom(tf.make_tensor_proto([1.0]))
        return request

    def missing_input():
        request = predict_request(TEXT, texts=["x"])
        del request.inputs[constants.CLASSIFIER_INPUT]
        request.inputs["txt"].CopyFrom(tf.make_tensor_proto(["x"]))
        return request

    def wrong_dtype():
        request = predict_request(TEXT, texts=["x"])
        request.inputs[constants.CLASSIFIER_INPUT].CopyFrom(tf.make_tensor_proto([1.0, 2.0]))
        return request

    def wrong_shape():
        request = predict_request(TEXT, texts=[["a", "b"], ["c", "d"]])
        return request

    def scalar_input():
        request = predict_request(TEXT, texts=["x"])
        request.inputs[constants.CLASSIFIER_INPUT].CopyFrom(tf.make_tensor_proto("x"))
        return request

    def unknown_output_filter():
        request = predict_request(TEXT, texts=["x"])
        request.output_filter.append("logits")
        return request

    def duplicate_output_filter():
        request = predict_request(TEXT, texts=["x"])
        request.output_filter.extend([constants.LABELS, constants.LABELS])
        return request

    def bad_tensor_content():
        request = predict_request(TF1, texts=["x"])
        del request.inputs[constants.CLASSIFIER_INPUT]
        request.inputs["x"].CopyFrom(
            tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=b"abc")
        )
        request.inputs["x"].tensor_shape.dim.add(size=1)
        return request

    def no_model_spec():
        request = predict_request(TEXT, texts=["x"])
        request.ClearField("model_spec")
        return request

    return [
        (
            "unknown model",
            with_spec(name="nope"),
            CODE.NOT_FOUND,
            "Servable not found for request: Latest(nope)",
        ),
        (
            "unknown version",
            with_spec(version=3),
            CODE.NOT_FOUND,
            "Servable not found for request: Specific(text, 3)",
        ),
        (
            "unknown label",
            with_spec(name=LABELLED, label="nope"),
            CODE.INVALID_ARGUMENT,
            "Unrecognized servable version label: nope",
        ),
        (
            "label of a missing version",
            with_spec(name=LABELLED, label="gone"),
            CODE.NOT_FOUND,
            "Servable not found for request: Specific(labelled, 9)",
        ),
        (
            "unknown signature",
            with_spec(signature_name="nope"),
            CODE.FAILED_PRECONDITION,
            'Serving signature key "nope" not found.',
        ),
        (
            "extra input",
            extra_input,
            CODE.INVALID_ARGUMENT,
            "input size does not match signature: 2!=1 len({extra,text}) != len({text}). Sent extra: {extra}. Missing but required: {}.",
        ),
        ("missing input", missing_input, CODE.INVALID_ARGUMENT, None),
        (
            "wrong dtype",
            wrong_dtype,
            CODE.INVALID_ARGUMENT,
            "Expects arg[0] to be string but float is provided",
        ),
        (
            "string matrix for a string vector",
            wrong_shape,
            CODE.INVALID_ARGUMENT,
            "input 'text' has shape [2,2] but the signature serving_default expects [-1] "
            "(-1 = any size): strings of another rank than the signature declares are refused, "
            "as they can crash a model's string ops",
        ),
        ("string scalar for a string vector", scalar_input, CODE.INVALID_ARGUMENT, None),
        (
            "unknown output_filter",
            unknown_output_filter,
            CODE.INVALID_ARGUMENT,
            "output tensor alias not found in signature: logits Outputs expected to be in the set {class_ids,labels,probabilities}.",
        ),
        (
            "duplicate output_filter",
            duplicate_output_filter,
            CODE.INVALID_ARGUMENT,
            "duplicate output tensor alias: labels",
        ),
        ("bad tensor_content", bad_tensor_content, CODE.INVALID_ARGUMENT, None),
        ("no model_spec", no_model_spec, CODE.INVALID_ARGUMENT, "Missing ModelSpec"),
    ]


@pytest.mark.parametrize(
    "name, build, code, message", bad_requests(), ids=[case[0] for case in bad_requests()]
)
def test_bad_request_gets_its_status_and_server_still_answers(stub, name, build, code, message):
    got_code, got_message = rpc_error(stub.Predict, build())
    assert got_code == code, got_message
    if message is not None:
        assert got_message == message
    assert (
        stub.Predict(predict_request(TEXT, texts=["still alive"]), timeout=10)
        .outputs[constants.LABELS]
        .string_val
    )


def test_missing_input_message_names_both_sides(stub):
    request = bad_requests()[6][1]()
    _, message = rpc_error(stub.Predict, request)
    assert (
        message
        == "input tensor alias not found in signature: txt. Inputs expected to be in the set {text}."
    )


def test_expired_deadline_is_deadline_exceeded(stub):
    # A request that needs far longer than its deadline: a one-text request
    # can now be answered before the client's deadline timer fires.
    with pytest.raises(grpc.RpcError) as caught:
        stub.Predict(predict_request(TEXT, texts=["x"] * 20000), timeout=0.001)
    assert caught.value.code() == CODE.DEADLINE_EXCEEDED
    assert stub.Predict(predict_request(TEXT, texts=["x"]), timeout=10).outputs


def test_garbage_bytes_are_rejected_and_server_survives(channel, stub):
    raw = channel.unary_unary(
        "/tensorflow.serving.PredictionService/Predict",
        request_serializer=lambda data: data,
        response_deserializer=lambda data: data,
    )
    with pytest.raises(grpc.RpcError) as caught:
        raw(b"\xff\x00\x13garbage that is no protobuf", timeout=10)
    assert caught.value.code() in (CODE.INTERNAL, CODE.INVALID_ARGUMENT)
    assert stub.Predict(predict_request(TEXT, texts=["x"]), timeout=10).outputs


def test_model_status_lists_versions_newest_first(channel):
    # TF Serving's ServableStateMonitor orders versions with std::greater; a label is ignored.
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = LABELLED
    versions = stub.GetModelStatus(request, timeout=10).model_version_status
    assert [status.version for status in versions] == [2, 1]
    request.model_spec.version_label = "stable"
    versions = stub.GetModelStatus(request, timeout=10).model_version_status
    assert [status.version for status in versions] == [2, 1]


def test_health_service_reports_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", TEXT, TF1):
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
