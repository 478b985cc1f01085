"""The one numpy <-> TensorProto codec of the client and the server, without TensorFlow's runtime.

It follows TensorFlow's `make_ndarray` / `make_tensor_proto` and TF Serving's
tensor rules, for every dtype a TensorProto carries as numbers, booleans or
strings (float16/32/64, int8..64, uint8..64, bool, complex64/128, string):

- reading takes `tensor_content` (numbers) or the typed value field of the
  dtype (`float_val`, `int64_val`, `string_val`, ...), including the short
  form in which fewer values than elements mean "repeat the last one" (and
  no value means zeros), as TensorFlow reads it - bounded by
  `MAX_FILLED_ELEMENTS`, so a tiny message cannot make a server allocate
  gigabytes;
- `as_proto_field` writes the typed value fields, as TF Serving answers;
- `make_tensor_proto` builds a request tensor from Python values with
  TensorFlow's dtype defaults (Python floats float32, ints int32), numbers
  in `tensor_content`, as `tf.make_tensor_proto` writes them.

Every refusal is a `ValueError` (`TypeError` for a string tensor holding a
non-string) whose message says why; the server turns it into
INVALID_ARGUMENT where it decodes a request. Strings come back as object
arrays of `bytes`, never decoded: inputs that are not UTF-8 (serialized
protos, say) reach the model unchanged.
"""

import math

import numpy as np

from serving.protos import import_protos

tensor_pb2, tensor_shape_pb2, types_pb2 = import_protos(
    "tensorflow.core.framework.tensor_pb2",
    "tensorflow.core.framework.tensor_shape_pb2",
    "tensorflow.core.framework.types_pb2",
)

_DT = types_pb2.DataType
DT_STRING = _DT.Value("DT_STRING")
DT_HALF = _DT.Value("DT_HALF")

# DataType -> (numpy dtype, the typed value field TensorFlow and TF Serving fill).
_CODEC = {
    _DT.Value("DT_FLOAT"): (np.dtype(np.float32), "float_val"),
    _DT.Value("DT_DOUBLE"): (np.dtype(np.float64), "double_val"),
    _DT.Value("DT_INT32"): (np.dtype(np.int32), "int_val"),
    _DT.Value("DT_INT16"): (np.dtype(np.int16), "int_val"),
    _DT.Value("DT_INT8"): (np.dtype(np.int8), "int_val"),
    _DT.Value("DT_UINT8"): (np.dtype(np.uint8), "int_val"),
    _DT.Value("DT_UINT16"): (np.dtype(np.uint16), "int_val"),
    _DT.Value("DT_INT64"): (np.dtype(np.int64), "int64_val"),
    _DT.Value("DT_UINT32"): (np.dtype(np.uint32), "uint32_val"),
    _DT.Value("DT_UINT64"): (np.dtype(np.uint64), "uint64_val"),
    _DT.Value("DT_BOOL"): (np.dtype(np.bool_), "bool_val"),
    _DT.Value("DT_COMPLEX64"): (np.dtype(np.complex64), "scomplex_val"),
    _DT.Value("DT_COMPLEX128"): (np.dtype(np.complex128), "dcomplex_val"),
    DT_HALF: (np.dtype(np.float16), "half_val"),
    DT_STRING: (np.dtype(object), "string_val"),
}
_DATA_TYPES = {numpy_dtype: enum for enum, (numpy_dtype, _) in _CODEC.items()}
# Dtypes whose value field holds another type's numbers: half_val the float16
# bit patterns as integers, the complex fields (real, imaginary) pairs.
_FIELD_VIEWS = {
    np.dtype(np.float16): np.uint16,
    np.dtype(np.complex64): np.float32,
    np.dtype(np.complex128): np.float64,
}

# Largest tensor built by repeating fewer values than its shape holds (TensorFlow's fill rule).
MAX_FILLED_ELEMENTS = 1 << 24


def data_type_name(dtype_enum):
    """TensorFlow's name of a DataType enum: `DT_FLOAT` (`DataType(9999)` if unknown)."""
    try:
        return _DT.Name(dtype_enum)
    except ValueError:
        return f"DataType({dtype_enum})"


def numpy_dtype(dtype_enum):
    """The numpy dtype of a DataType enum (object for DT_STRING)."""
    entry = _CODEC.get(dtype_enum)
    if entry is None:
        raise ValueError(f"unsupported dtype {data_type_name(dtype_enum)}")
    return entry[0]


def array_data_type(array):
    """The DataType enum of a numpy array (`bytes`/`str` arrays are DT_STRING)."""
    enum = _DATA_TYPES.get(array.dtype)
    if enum is None:
        if array.dtype.kind in "SU":
            return DT_STRING
        raise ValueError(f"numpy dtype {array.dtype} has no TensorFlow DataType")
    return enum


def data_type(dtype):
    """The DataType enum of a numpy dtype, a DataType enum, or a name (`"int32"`, `"DT_INT32"`)."""
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        if dtype not in _DT.values():
            raise ValueError(f"unknown DataType enum {dtype}")
        return dtype
    if isinstance(dtype, str):
        if dtype.startswith("DT_"):
            return _DT.Value(dtype)
        if dtype in ("string", "str", "bytes"):
            return DT_STRING
    numpy_type = np.dtype(dtype)
    if numpy_type.kind in "OUS":
        return DT_STRING
    enum = _DATA_TYPES.get(numpy_type.newbyteorder("="))
    if enum is None:
        raise ValueError(f"numpy dtype {numpy_type} has no TensorFlow DataType")
    return enum


# ------------------------------------------------------------------ reading


def make_ndarray(proto):
    """The numpy array a TensorProto holds (typed value fields or `tensor_content`).

    Arrays read from `tensor_content` are read-only views of the message's bytes.
    """
    numpy_type, field = _CODEC.get(proto.dtype, (None, None))
    if numpy_type is None:
        raise ValueError(f"unsupported dtype {data_type_name(proto.dtype)}")
    if proto.tensor_shape.unknown_rank:
        raise ValueError("the tensor shape must be known")
    shape = tuple(dim.size for dim in proto.tensor_shape.dim)
    if any(size < 0 for size in shape):
        raise ValueError(f"negative dimension in shape {list(shape)}")
    count = math.prod(shape)
    if proto.tensor_content:
        if numpy_type.kind == "O":
            raise ValueError("DT_STRING tensors must use string_val, not tensor_content")
        content = proto.tensor_content
        if len(content) != count * numpy_type.itemsize:
            raise ValueError(
                f"tensor_content holds {len(content)} bytes but shape {list(shape)} of "
                f"{data_type_name(proto.dtype)} needs {count * numpy_type.itemsize}"
            )
        return np.frombuffer(content, dtype=numpy_type).reshape(shape)
    values = _typed_values(getattr(proto, field), numpy_type)
    size = len(values)
    if size == count:
        return values.reshape(shape)
    if count > MAX_FILLED_ELEMENTS:
        raise ValueError(
            f"{size} values would be expanded to shape {list(shape)} ({count} elements); "
            f"send the values, or at most {MAX_FILLED_ELEMENTS} elements"
        )
    if size == 0:
        # TensorFlow reads a tensor without values as all default values.
        return np.full(shape, b"" if numpy_type.kind == "O" else 0, dtype=numpy_type)
    if size < count:
        # TensorFlow repeats the last value to fill the shape (a scalar fill).
        filled = np.empty(count, dtype=numpy_type)
        filled[:size] = values
        filled[size:] = values[-1]
        return filled.reshape(shape)
    raise ValueError(f"{size} values do not fit shape {list(shape)} ({count} elements)")


def _typed_values(raw, numpy_type):
    if numpy_type.kind == "O":
        values = np.empty(len(raw), dtype=object)
        values[:] = list(raw)
        return values
    view = _FIELD_VIEWS.get(numpy_type)
    if view is None:
        return np.array(raw, dtype=numpy_type)
    numbers = np.array(raw, dtype=view)
    if numpy_type.kind == "c" and len(numbers) % 2:
        raise ValueError(f"{len(numbers)} numbers cannot be (real, imaginary) pairs")
    return numbers.view(numpy_type)


# ------------------------------------------------------------------ writing


def as_proto_field(array, dtype_enum=None, proto=None):
    """Writes a numpy array into a TensorProto's typed value fields, as TF Serving answers.

    Args:
        array: the values (a numpy array or anything `np.asarray` takes).
        dtype_enum: the DataType to write (default: the array's).
        proto: the TensorProto to fill (default: a new one).

    Returns:
        The filled TensorProto.
    """
    array = np.asarray(array)
    if dtype_enum is None:
        dtype_enum = array_data_type(array)
    numpy_type, field = _CODEC.get(dtype_enum, (None, None))
    if numpy_type is None:
        raise ValueError(f"cannot write a tensor of dtype {data_type_name(dtype_enum)}")
    if proto is None:
        proto = tensor_pb2.TensorProto()
    proto.dtype = dtype_enum
    dims = proto.tensor_shape.dim
    for size in array.shape:
        dims.add(size=size)
    flat = array.ravel()
    view = _FIELD_VIEWS.get(numpy_type)
    if view is not None:
        flat = flat.astype(numpy_type, copy=False).view(view)
    getattr(proto, field).extend(flat.tolist())
    return proto


def make_tensor_proto(values, dtype=None):
    """A `TensorProto` holding `values` (TensorFlow's `make_tensor_proto`, numpy only).

    Args:
        values: a numpy array, a scalar, a (nested) list, or a `TensorProto`
            (returned as is). `str` is UTF-8 encoded; `bytes` are sent as they are.
        dtype: numpy dtype, DataType enum or name; default: inferred, with
            Python floats as float32 and Python ints as int32, as TensorFlow does.

    Returns:
        A `tensorflow.TensorProto`: strings in `string_val`, numbers in `tensor_content`.
    """
    if isinstance(values, tensor_pb2.TensorProto):
        return values
    enum = data_type(dtype) if dtype is not None else None
    if enum == DT_STRING or (enum is None and _holds_strings(values)):
        return _string_proto(values)
    if enum is not None:
        array = np.asarray(values, dtype=numpy_dtype(enum))
    else:
        array = np.asarray(values)
        if array.dtype.kind in "OUS":
            # Objects that are not numbers: only strings can be sent as such.
            return _string_proto(values)
        if not isinstance(values, (np.ndarray, np.generic)):
            # Python numbers: TensorFlow's defaults, not numpy's 64-bit ones.
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            elif array.dtype == np.int64 and _fits_int32(array):
                array = array.astype(np.int32)
        enum = data_type(array.dtype)
    array = np.asarray(array, dtype=numpy_dtype(enum))
    proto = tensor_pb2.TensorProto(dtype=enum)
    proto.tensor_shape.CopyFrom(_shape_proto(array.shape))
    proto.tensor_content = array.tobytes(order="C")
    return proto


def _string_proto(values):
    array = np.asarray(values, dtype=object)
    proto = tensor_pb2.TensorProto(dtype=DT_STRING)
    proto.tensor_shape.CopyFrom(_shape_proto(array.shape))
    proto.string_val.extend(_as_bytes(value) for value in array.reshape(-1))
    return proto


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value)
    raise TypeError(f"a string tensor holds str or bytes, got {type(value).__name__}")


def _holds_strings(values):
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "OUS"
    # The first leaf of a nested list decides; numpy itself cannot be asked,
    # since it fails on a list mixing str and non-ASCII bytes.
    probe = values
    while isinstance(probe, (list, tuple)) and probe:
        probe = probe[0]
    return isinstance(probe, (str, bytes, np.str_, np.bytes_))


def _fits_int32(array):
    info = np.iinfo(np.int32)
    return array.size == 0 or (array.min() >= info.min and array.max() <= info.max)


def _shape_proto(shape):
    proto = tensor_shape_pb2.TensorShapeProto()
    for size in shape:
        proto.dim.add(size=int(size))
    return proto
