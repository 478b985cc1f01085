"""JSON <-> tensors as TensorFlow Serving's json_tensor.cc converts them (no server needed)."""

import types

import grpc
import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving.server import json_tensor, status


def signature(**inputs):
    """A stand-in with what `predict_inputs` reads of a `Signature`: its key and input dtypes."""
    return types.SimpleNamespace(
        key="serving_default", inputs={alias: (dtype, None) for alias, dtype in inputs.items()}
    )


def test_json_to_array_follows_tf_serving_rules():
    array = json_tensor.json_to_array([[1, 2], [3, 4]], types_pb2.DT_INT64)
    assert array.dtype == np.int64 and array.tolist() == [[1, 2], [3, 4]]
    assert json_tensor.json_to_array(2.5, types_pb2.DT_FLOAT).shape == ()
    assert json_tensor.json_to_array([True], types_pb2.DT_BOOL).tolist() == [True]
    for value, dtype in (
        ([1.5], types_pb2.DT_INT32),
        ([True], types_pb2.DT_INT32),
        ([2**31], types_pb2.DT_INT32),
        ([-1], types_pb2.DT_UINT8),
        (["1"], types_pb2.DT_FLOAT),
        ([[1], [1, 2]], types_pb2.DT_FLOAT),
        ([[1], 2], types_pb2.DT_FLOAT),
    ):
        with pytest.raises(status.StatusError) as caught:
            json_tensor.json_to_array(value, dtype)
        assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT, value
    deep = 0
    for _ in range(json_tensor.MAX_JSON_DEPTH + 5):
        deep = [deep]
    with pytest.raises(status.StatusError, match="nested deeper"):
        json_tensor.json_to_array(deep, types_pb2.DT_FLOAT)


def test_row_and_columnar_inputs_become_the_same_arrays():
    text_and_length = signature(text=types_pb2.DT_STRING, length=types_pb2.DT_INT32)
    rows, layout = json_tensor.predict_inputs(
        {"instances": [{"text": "a", "length": 3}, {"text": {"b64": "Yg=="}, "length": 4}]},
        text_and_length,
    )
    assert layout == "row"
    assert rows["text"].tolist() == [b"a", b"b"] and rows["length"].dtype == np.int32
    columns, layout = json_tensor.predict_inputs(
        {"inputs": {"text": ["a", "b"], "length": [3, 4]}}, text_and_length
    )
    assert layout == "columnar"
    assert {key: value.tolist() for key, value in columns.items()} == {
        key: value.tolist() for key, value in rows.items()
    }
    with pytest.raises(status.StatusError, match="Missing named input: length"):
        json_tensor.predict_inputs({"inputs": {"text": ["a"]}}, text_and_length)
    with pytest.raises(status.StatusError, match="expecting list of objects"):
        json_tensor.predict_inputs({"instances": ["a"]}, text_and_length)


def test_outputs_are_written_as_tensorflow_serving_writes_them():
    outputs = {
        "labels": (np.array([b"short", b"\xff"], dtype=object), types_pb2.DT_STRING),
        "scores": (np.array([[0.2, 0.8], [0.5, 0.5]], np.float32), types_pb2.DT_FLOAT),
    }
    rows = json_tensor.predict_response_json(outputs, "row")
    assert rows == {
        "predictions": [
            {"labels": "short", "scores": [0.2, 0.8]},
            # Bytes that are not UTF-8 stay lossless (and the JSON valid) as base64.
            {"labels": {"b64": "/w=="}, "scores": [0.5, 0.5]},
        ]
    }
    columns = json_tensor.predict_response_json(outputs, "columnar")
    assert columns == {
        "outputs": {"labels": ["short", {"b64": "/w=="}], "scores": [[0.2, 0.8], [0.5, 0.5]]}
    }
    only = {"y": (np.array([3.0], np.float32), types_pb2.DT_FLOAT)}
    assert json_tensor.predict_response_json(only, "row") == {"predictions": [3.0]}
    ragged = {**outputs, "total": (np.array([1, 2, 3], np.int64), types_pb2.DT_INT64)}
    with pytest.raises(status.StatusError, match="inconsistent batch size"):
        json_tensor.predict_response_json(ragged, "row")
    complex_output = {"z": (np.array([1j], np.complex64), types_pb2.DT_COMPLEX64)}
    with pytest.raises(status.StatusError) as caught:
        json_tensor.predict_response_json(complex_output, "columnar")
    assert caught.value.code == grpc.StatusCode.UNIMPLEMENTED
