"""The one TensorProto codec of client and server agrees with TensorFlow's, and stays TF-free."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2

from serving import tensor_codec
from serving.client.response_readers import dtype_name
from serving.tensor_codec import as_proto_field, data_type, make_ndarray, make_tensor_proto
from tests.conftest import REPO_ROOT

NUMERIC = [
    np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
    np.array([1.5, -2.25], dtype=np.float64),
    np.array([[1, -2], [3, 4]], dtype=np.int32),
    np.array([2**40, -(2**40)], dtype=np.int64),
    np.array([7, 200], dtype=np.uint8),
    np.array([True, False, True]),
    np.array([0.5, -1.0], dtype=np.float16),
    np.array([1 + 2j], dtype=np.complex64),
    np.float32(3.25),
    np.zeros((0, 4), dtype=np.float32),
]


@pytest.mark.parametrize("array", NUMERIC, ids=lambda a: f"{np.asarray(a).dtype}{np.shape(a)}")
def test_numeric_round_trip_and_tensorflow_agree(array):
    proto = make_tensor_proto(array)
    assert proto.dtype == tf.as_dtype(np.asarray(array).dtype).as_datatype_enum
    # TensorFlow reads what we write...
    np.testing.assert_array_equal(tf.make_ndarray(proto), array)
    # ...we read what TensorFlow writes, and our own protos.
    np.testing.assert_array_equal(make_ndarray(tf.make_tensor_proto(array)), array)
    result = make_ndarray(proto)
    np.testing.assert_array_equal(result, array)
    assert result.dtype == np.asarray(array).dtype and result.shape == np.shape(array)


def test_strings_utf8_and_bytes():
    proto = make_tensor_proto([["héllo", b"\xff\xfe raw"], ["", "日本"]])
    assert proto.dtype == tf.string.as_datatype_enum
    assert list(proto.string_val) == ["héllo".encode(), b"\xff\xfe raw", b"", "日本".encode()]
    expected = tf.make_ndarray(proto)
    np.testing.assert_array_equal(make_ndarray(proto), expected)
    assert make_ndarray(proto).shape == (2, 2)
    scalar = make_tensor_proto("one")
    assert make_ndarray(scalar).shape == () and make_ndarray(scalar).item() == b"one"


def test_python_numbers_follow_tensorflows_defaults():
    assert make_tensor_proto([1.5, 2.0]).dtype == tf.float32.as_datatype_enum
    assert make_tensor_proto(3).dtype == tf.int32.as_datatype_enum
    assert make_tensor_proto(2**40).dtype == tf.int64.as_datatype_enum
    assert make_tensor_proto(True).dtype == tf.bool.as_datatype_enum
    assert make_tensor_proto([1.5], dtype="float64").dtype == tf.float64.as_datatype_enum
    assert make_tensor_proto(5, dtype=np.int64).dtype == tf.int64.as_datatype_enum
    assert make_tensor_proto(5, dtype="DT_INT64").dtype == tf.int64.as_datatype_enum


def test_typed_value_fields_as_tf_serving_answers():
    proto = tf.make_tensor_proto([0.0])  # a template with shape/dtype fields
    proto = type(proto)(dtype=tf.float32.as_datatype_enum)
    proto.tensor_shape.dim.add(size=2)
    proto.tensor_shape.dim.add(size=2)
    proto.float_val.extend([0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(make_ndarray(proto), [[0.25, 0.5], [0.75, 1.0]])
    # Short form: fewer values than elements repeat the last value, as in TF.
    short = type(proto)(dtype=tf.int64.as_datatype_enum)
    short.tensor_shape.dim.add(size=3)
    short.int64_val.append(9)
    np.testing.assert_array_equal(make_ndarray(short), tf.make_ndarray(short))
    np.testing.assert_array_equal(make_ndarray(short), [9, 9, 9])
    half = type(proto)(dtype=tf.float16.as_datatype_enum)
    half.tensor_shape.dim.add(size=2)
    half.half_val.extend(np.array([1.5, -2.0], dtype=np.float16).view(np.uint16).tolist())
    np.testing.assert_array_equal(make_ndarray(half), np.array([1.5, -2.0], dtype=np.float16))


def test_bad_tensors_are_refused_with_a_reason():
    with pytest.raises(TypeError, match="str or bytes"):
        make_tensor_proto([object()], dtype="string")
    with pytest.raises(ValueError, match="no TensorFlow DataType"):
        data_type(np.dtype("datetime64[s]"))
    broken = make_tensor_proto(np.arange(4, dtype=np.int32))
    broken.tensor_content = broken.tensor_content[:-1]
    with pytest.raises(ValueError, match="needs 16"):
        make_ndarray(broken)
    too_many = make_tensor_proto(np.zeros(1, dtype=np.float32))
    too_many.ClearField("tensor_content")
    too_many.float_val.extend([1.0, 2.0])
    with pytest.raises(ValueError, match="do not fit"):
        make_ndarray(too_many)


def test_dtype_names():
    assert dtype_name(tf.string.as_datatype_enum) == "string"
    assert dtype_name(tf.float32.as_datatype_enum) == "float32"
    assert dtype_name(tf.int64.as_datatype_enum) == "int64"
    assert data_type("string") == tensor_codec.DT_STRING


def test_the_client_imports_without_the_tensorflow_runtime():
    # A fresh interpreter: the client, its protos and a built request must not
    # load tensorflow/__init__ (tensorflow.python is its runtime). After that,
    # a real `import tensorflow` must still work and read our protos.
    script = textwrap.dedent(
        """
        import sys
        import serving.client
        from serving.client import (
            AsyncServingClient, ServingClient, query_command, request_builders)
        import tensorflow_serving.apis.predict_pb2
        request = request_builders.predict_request(
            request_builders.model_spec("m"), {"text": ["a", "b"], "n": 3})
        heavy = sorted(m for m in sys.modules if m == "tensorflow" or m.startswith(
            ("tensorflow.python", "keras", "tensorflow_text")))
        print("HEAVY", heavy)
        import tensorflow as tf
        print("TF", tf.make_ndarray(request.inputs["text"]).tolist(),
              int(tf.make_ndarray(request.inputs["n"])), hasattr(tf, "constant"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "HEAVY []" in result.stdout, result.stdout
    assert "TF [b'a', b'b'] 3 True" in result.stdout, result.stdout


# What the server needs of the same codec: TensorFlow's encodings read back,
# TF's fill rules with a bound, outputs in the typed value fields.


@pytest.mark.parametrize(
    "value, dtype",
    [
        ([[1.5, -2.0], [3.25, 0.0]], tf.float32),
        ([1.0, 2.0], tf.float64),
        ([[1, 2, 3]], tf.int32),
        ([2**40, -5], tf.int64),
        ([True, False], tf.bool),
        ([b"abc", "h\u00e9".encode(), b"\xff\xfe"], tf.string),
        ([1.5, 2.0], tf.float16),
        ([7, 200], tf.uint8),
        ([1 + 2j, -3j], tf.complex64),
        ([1 + 2j], tf.complex128),
    ],
)
def test_reads_what_make_tensor_proto_writes_in_typed_fields(value, dtype):
    # TensorFlow puts lists of Python values in the typed value fields.
    proto = tf.make_tensor_proto(value, dtype=dtype)
    array = make_ndarray(proto)
    expected = tf.make_ndarray(proto)
    assert array.shape == expected.shape and array.dtype == expected.dtype
    np.testing.assert_array_equal(array, expected)


def _proto(dtype, shape, **fields):
    proto = tensor_pb2.TensorProto(dtype=dtype, **fields)
    for size in shape:
        proto.tensor_shape.dim.add(size=size)
    return proto


def test_fill_rules_follow_tensorflow_with_a_bound():
    np.testing.assert_array_equal(
        make_ndarray(_proto(types_pb2.DT_INT64, [3], int64_val=[4])), [4, 4, 4]
    )
    np.testing.assert_array_equal(make_ndarray(_proto(types_pb2.DT_FLOAT, [2])), [0.0, 0.0])
    # A tiny message must not make the server allocate gigabytes.
    with pytest.raises(ValueError, match="would be expanded"):
        make_ndarray(_proto(types_pb2.DT_FLOAT, [1 << 40], float_val=[1.0]))
    with pytest.raises(ValueError, match="do not fit"):
        make_ndarray(_proto(types_pb2.DT_FLOAT, [2], float_val=[1, 2, 3]))
    with pytest.raises(ValueError, match="unsupported dtype DT_RESOURCE"):
        make_ndarray(tensor_pb2.TensorProto(dtype=types_pb2.DT_RESOURCE))
    with pytest.raises(ValueError, match="must use string_val"):
        make_ndarray(_proto(types_pb2.DT_STRING, [1], tensor_content=b"abcd"))
    with pytest.raises(ValueError, match="negative dimension"):
        make_ndarray(_proto(types_pb2.DT_STRING, [-3], string_val=[b"a"]))
    unknown = _proto(types_pb2.DT_STRING, [])
    unknown.tensor_shape.unknown_rank = True
    with pytest.raises(ValueError, match="must be known"):
        make_ndarray(unknown)


@pytest.mark.parametrize(
    "array",
    [
        np.array([[0.25, 0.75]], np.float32),
        np.array([3, -1], np.int64),
        np.array([1, 2], np.int32),
        np.array([b"x", b"\xff"], object),
        np.array([True], np.bool_),
        np.array([0.5, -1.0], np.float16),
        np.array([1 + 2j, 3 - 4j], np.complex64),
        np.array(7.5, np.float64),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_outputs_use_typed_fields_and_round_trip(array):
    proto = as_proto_field(array)
    assert not proto.tensor_content
    np.testing.assert_array_equal(tf.make_ndarray(proto), array)
    np.testing.assert_array_equal(make_ndarray(proto), array)
    # Into a given proto (a response's output map entry), with the dtype told.
    target = tensor_pb2.TensorProto()
    as_proto_field(array, data_type(array.dtype), target)
    assert target == proto
    with pytest.raises(ValueError, match="cannot write a tensor of dtype DT_VARIANT"):
        as_proto_field(array, types_pb2.DT_VARIANT)
