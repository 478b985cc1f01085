"""JSON <-> tensors for the REST API, as TensorFlow Serving's util/json_tensor.cc converts them.

- `predict_inputs`: a `:predict` body's `instances` (row format: one value,
  or one object of named values, per row) or `inputs` (columnar) -> numpy
  arrays of the signature's dtypes, with `{"b64": "..."}` for bytes;
- `fill_examples_request`: a `:classify` / `:regress` body's `examples`
  (and `context`) -> the request's tf.Examples;
- `predict_response_json`, `classification_json`, `regression_json`: the
  answers as TensorFlow Serving writes them (`predictions` for the row
  format, `outputs` for the columnar one, `results`).

Errors are `StatusError`s in TensorFlow Serving's words.
"""

import base64
import binascii
import json
import math

import grpc
import numpy as np
from tensorflow.core.example import example_pb2, feature_pb2
from tensorflow.core.framework import types_pb2

from serving import tensor_codec
from serving.server import status

MAX_JSON_DEPTH = 64
_B64 = "b64"
_BYTES_SUFFIX = "_bytes"
_INT_RANGES = {
    types_pb2.DT_INT8: (-(2**7), 2**7 - 1),
    types_pb2.DT_UINT8: (0, 2**8 - 1),
    types_pb2.DT_INT16: (-(2**15), 2**15 - 1),
    types_pb2.DT_INT32: (-(2**31), 2**31 - 1),
    types_pb2.DT_UINT32: (0, 2**32 - 1),
    types_pb2.DT_INT64: (-(2**63), 2**63 - 1),
    types_pb2.DT_UINT64: (0, 2**64 - 1),
}
_FLOAT_EXACT_INT = {types_pb2.DT_FLOAT: 2**24 - 1, types_pb2.DT_DOUBLE: 2**53 - 1}
# The dtypes JSON values convert to (TensorFlow Serving's AddValueToTensor).
_JSON_DTYPES = frozenset([*_INT_RANGES, *_FLOAT_EXACT_INT, types_pb2.DT_BOOL, types_pb2.DT_STRING])


# ----------------------------------------------------------------- JSON -> tensors


def _json_text(value):
    text = json.dumps(value, allow_nan=True)
    return text if len(text) <= 200 else text[:200] + "..."


def _json_type(value):
    if value is None:
        return "Null"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, str):
        return "String"
    return "Number"


def _is_b64(value):
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_B64), str)


def _type_error(value, dtype_enum):
    return status.invalid_argument(
        f"JSON Value: {_json_text(value)} Type: {_json_type(value)} is not of expected type: "
        f"{tensor_codec.data_type_name(dtype_enum).replace('DT_', '').lower()}"
    )


def _convert_value(value, dtype_enum):
    """One JSON leaf -> a Python value of the tensor's dtype (TensorFlow Serving's AddValueToTensor)."""
    if dtype_enum == types_pb2.DT_STRING:
        if _is_b64(value):
            try:
                return base64.b64decode(value[_B64], validate=True)
            except (binascii.Error, ValueError) as error:
                raise status.invalid_argument("Unable to base64 decode") from error
        if isinstance(value, dict):
            raise status.invalid_argument(
                f"JSON Value: {_json_text(value)} not formatted correctly for base64 data"
            )
        if not isinstance(value, str):
            raise _type_error(value, dtype_enum)
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool) or isinstance(value, (dict, str)) or value is None:
        if dtype_enum == types_pb2.DT_BOOL and isinstance(value, bool):
            return value
        raise _type_error(value, dtype_enum)
    if dtype_enum in _FLOAT_EXACT_INT:
        if isinstance(value, int) and abs(value) > _FLOAT_EXACT_INT[dtype_enum]:
            kind = "float" if dtype_enum == types_pb2.DT_FLOAT else "double"
            raise status.invalid_argument(
                f"Cannot convert JSON value: {value} to {kind} without loss of precision."
            )
        if (
            dtype_enum == types_pb2.DT_FLOAT
            and math.isfinite(value)
            and abs(value) > np.finfo(np.float32).max
        ):
            raise status.invalid_argument(
                f"Cannot convert JSON value: {value} to float without loss of precision."
            )
        return float(value)
    if dtype_enum in _INT_RANGES:
        low, high = _INT_RANGES[dtype_enum]
        if not isinstance(value, int) or not low <= value <= high:
            raise _type_error(value, dtype_enum)
        return value
    raise status.StatusError(
        grpc.StatusCode.UNIMPLEMENTED,
        f"Conversion of JSON Value: {_json_text(value)} to type: {tensor_codec.data_type_name(dtype_enum)}",
    )


def _dense_shape(value, depth=0):
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise status.invalid_argument(f"JSON list nested deeper than {MAX_JSON_DEPTH} levels")
        if not value:
            break
        value = value[0]
    return shape


def _fill(value, level, shape, dtype_enum, out):
    if not isinstance(value, list):
        if level != len(shape):
            raise status.invalid_argument(
                f"JSON Value: {_json_text(value)} found at incorrect level: {level + 1} in the "
                f"JSON DOM. Expected at level: {len(shape)}"
            )
        out.append(_convert_value(value, dtype_enum))
        return
    if level >= len(shape):
        raise status.invalid_argument(
            f"Encountered list at unexpected level: {level} expected < {len(shape)}"
        )
    if len(value) != shape[level]:
        raise status.invalid_argument(
            f"Encountered list at unexpected size: {len(value)} at level: {level} expected "
            f"size: {shape[level]}"
        )
    for item in value:
        _fill(item, level + 1, shape, dtype_enum, out)


def json_to_array(value, dtype_enum):
    """A JSON value (scalar or nested lists) -> numpy array of the signature's dtype."""
    if dtype_enum not in _JSON_DTYPES:
        raise status.StatusError(
            grpc.StatusCode.UNIMPLEMENTED,
            f"Conversion of JSON Value: {_json_text(value)} to type: "
            f"{tensor_codec.data_type_name(dtype_enum)}",
        )
    shape = _dense_shape(value)
    values = []
    _fill(value, 0, shape, dtype_enum, values)
    if dtype_enum == types_pb2.DT_STRING:
        array = np.empty(len(values), dtype=object)
        array[:] = values
    else:
        array = np.array(values, dtype=tensor_codec.numpy_dtype(dtype_enum))
    return array.reshape(shape)


def _instances_to_arrays(instances, inputs):
    """Row format: one JSON value (or object of named values) per row, stacked on dim 0."""
    first = instances[0]
    named = isinstance(first, dict) and not _is_b64(first)
    if not named and len(inputs) > 1:
        raise status.invalid_argument(
            "instances is a plain list, but expecting list of objects as multiple input tensors "
            "required as per tensorinfo_map"
        )
    rows = {alias: [] for alias in inputs}
    for index, item in enumerate(instances):
        item_named = isinstance(item, dict) and not _is_b64(item)
        if named and not item_named:
            raise status.invalid_argument(
                f"Expecting object but got list at item {index} of input list"
            )
        if not named and item_named:
            raise status.invalid_argument(
                f"Expecting value/list but got object at item {index} of input list"
            )
        values = item if named else {next(iter(inputs)): item}
        for key, value in values.items():
            if key not in inputs:
                raise status.invalid_argument(
                    f"Failed to process element: {index} key: {key} of 'instances' list. "
                    f"Error: JSON object: does not have named input: {key}"
                )
            try:
                array = json_to_array(value, inputs[key])
                if rows[key] and rows[key][0].shape != array.shape:
                    raise status.invalid_argument(
                        f"Expecting shape {list(rows[key][0].shape)} but got: {list(array.shape)}"
                    )
            except status.StatusError as error:
                raise status.StatusError(
                    error.code,
                    f"Failed to process element: {index}"
                    + (f" key: {key}" if named else "")
                    + f" of 'instances' list. Error: {error.message}",
                ) from error
            rows[key].append(array)
        if named and set(values) != set(inputs):
            raise status.invalid_argument(
                f"Failed to process element: {index} of 'instances' list. JSON object: "
                f"{_json_text(item)} keys must be equal to: {','.join(sorted(inputs))}"
            )
    return {key: np.stack(arrays) for key, arrays in rows.items()}


def _inputs_to_arrays(value, inputs):
    """Columnar format: one value (single input) or an object with every named input."""
    if not isinstance(value, dict) or _is_b64(value):
        if len(inputs) > 1:
            raise status.invalid_argument(
                "inputs is a plain value/list, but expecting an object as multiple input tensors "
                "required as per tensorinfo_map"
            )
        alias = next(iter(inputs))
        return {alias: json_to_array(value, inputs[alias])}
    arrays = {}
    for alias, dtype_enum in inputs.items():
        if alias not in value:
            raise status.invalid_argument(f"Missing named input: {alias} in 'inputs' object.")
        arrays[alias] = json_to_array(value[alias], dtype_enum)
    return arrays


def parse_json_body(body):
    """The request's JSON object; INVALID_ARGUMENT in TensorFlow Serving's wording otherwise."""
    if not body:
        raise status.invalid_argument("JSON Parse error: The document is empty")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise status.invalid_argument(f"JSON Parse error: {error}") from error
    if not isinstance(document, dict):
        raise status.invalid_argument(f"JSON Value: {_json_text(document)} Is not object")
    signature_name = document.get("signature_name")
    if signature_name is not None and not isinstance(signature_name, str):
        raise status.invalid_argument(
            f"JSON Value: {_json_text(document)} not formatted correctly. 'signature_name' key "
            "must be a string value."
        )
    return document


def predict_inputs(document, signature):
    """The `:predict` body's inputs as numpy arrays, and the layout to answer in.

    Returns:
        `({alias: array}, "row" or "columnar")`.
    """
    inputs = {alias: dtype for alias, (dtype, _) in signature.inputs.items()}
    if not inputs:
        raise status.invalid_argument(f"Failed to get input map for signature: {signature.key}")
    has_instances, has_inputs = "instances" in document, "inputs" in document
    if has_instances and has_inputs:
        raise status.invalid_argument(
            "JSON Value: {...} Not formatted correctly expecting only one of 'inputs' or "
            "'instances' keys to exist "
        )
    if has_instances:
        instances = document["instances"]
        if not isinstance(instances, list):
            raise status.invalid_argument("Excepting 'instances' to be an list/array")
        if not instances:
            raise status.invalid_argument("No values in 'instances' array")
        return _instances_to_arrays(instances, inputs), "row"
    if has_inputs:
        return _inputs_to_arrays(document["inputs"], inputs), "columnar"
    raise status.invalid_argument("Missing 'inputs' or 'instances' key")


def _feature_from_json(name, content):
    feature = feature_pb2.Feature()
    kind = None
    for value in content if isinstance(content, list) else [content]:
        if isinstance(value, bool):
            new_kind, item = "int64_list", int(value)
        elif isinstance(value, int):
            new_kind, item = "int64_list", value
            if not -(2**63) <= value < 2**63:
                raise status.invalid_argument(
                    f"Feature: {name} has uint64 element. Only int64 is supported."
                )
        elif isinstance(value, float):
            new_kind, item = "float_list", value
        elif isinstance(value, str):
            new_kind, item = "bytes_list", value.encode("utf-8", "surrogatepass")
        elif _is_b64(value):
            new_kind, item = "bytes_list", _convert_value(value, types_pb2.DT_STRING)
        else:
            raise status.invalid_argument(
                f"Feature: {name} has element with unexpected JSON type: {_json_type(value)}"
            )
        if kind is not None and kind != new_kind:
            raise status.invalid_argument(
                f"Unexpected element type in feature: {name} expecting type: "
                f"{kind.replace('_list', '').replace('int64', 'int64')}"
            )
        kind = new_kind
        getattr(feature, kind).value.append(item)
    return feature


def _example_from_json(value):
    if not isinstance(value, dict):
        raise status.invalid_argument(
            f"Example must be JSON object but got JSON {_json_type(value)}"
        )
    example = example_pb2.Example()
    for name, content in value.items():
        example.features.feature[name].CopyFrom(_feature_from_json(name, content))
    return example


def fill_examples_request(document, request, method):
    """Classify/regress JSON (`examples`, optional `context`) -> the request's tf.Examples."""
    examples = document.get("examples")
    if examples is None:
        raise status.invalid_argument(
            f"When method is {method}, key 'examples' is expected and was not found"
        )
    if not isinstance(examples, list):
        raise status.invalid_argument("Expecting 'examples' value to be an list/array")
    if not examples:
        raise status.invalid_argument("'examples' value is an empty array")
    if "context" in document:
        target = request.input.example_list_with_context
        target.context.CopyFrom(_example_from_json(document["context"]))
    else:
        target = request.input.example_list
    for value in examples:
        target.examples.add().CopyFrom(_example_from_json(value))


# ----------------------------------------------------------------- tensors -> JSON


def _output_values(array, dtype_enum, as_bytes):
    """A numpy output -> nested Python lists ready for json.dumps."""
    if dtype_enum == types_pb2.DT_STRING:

        def text(value):
            value = bytes(value)
            if not as_bytes:
                try:
                    return value.decode("utf-8")
                except UnicodeDecodeError:
                    # TensorFlow Serving would write the raw bytes (invalid JSON);
                    # base64 keeps the answer parseable and lossless.
                    pass
            return {_B64: base64.b64encode(value).decode("ascii")}

        flat = [text(v) for v in array.ravel()]
    elif array.dtype in (np.float32, np.float16):
        # The shortest text that reads back as the same float32, as TensorFlow
        # Serving writes it (0.2, not 0.20000000298023224).
        flat = [float(str(v)) if math.isfinite(v) else float(v) for v in array.ravel()]
    else:
        flat = array.ravel().tolist()
    if array.ndim == 0:
        return flat[0]
    return (
        np.array(flat, dtype=object).reshape(array.shape).tolist()
        if flat
        else (np.empty(array.shape).tolist())
    )


def predict_response_json(outputs, layout):
    """TensorFlow Serving's `predictions` (row) or `outputs` (columnar) JSON.

    Args:
        outputs: `{alias: (numpy array, dtype enum)}`, as `Servable.run` answers.
        layout: "row" or "columnar", as `predict_inputs` told.
    """
    if not outputs:
        raise status.invalid_argument("Cannot convert empty tensor map to JSON")
    for alias, (_, dtype_enum) in outputs.items():
        if dtype_enum not in _JSON_DTYPES and dtype_enum != types_pb2.DT_HALF:
            raise status.StatusError(
                grpc.StatusCode.UNIMPLEMENTED,
                f"Conversion of output {alias} of type "
                f"{tensor_codec.data_type_name(dtype_enum)} to JSON",
            )
    columns = {
        alias: _output_values(array, dtype, alias.endswith(_BYTES_SUFFIX))
        for alias, (array, dtype) in sorted(outputs.items())
    }
    if layout == "columnar":
        return {"outputs": columns if len(columns) > 1 else next(iter(columns.values()))}
    batch = None
    for alias, (array, _) in sorted(outputs.items()):
        if array.ndim == 0:
            raise status.invalid_argument(f"Tensor name: {alias} has no shape information ")
        if batch is not None and array.shape[0] != batch:
            raise status.invalid_argument(
                f"Tensor name: {alias} has inconsistent batch size: {array.shape[0]} "
                f"expecting: {batch}"
            )
        batch = array.shape[0]
    if len(columns) == 1:
        return {"predictions": next(iter(columns.values()))}
    return {"predictions": [{alias: columns[alias][i] for alias in columns} for i in range(batch)]}


def _score(value):
    return float(str(np.float32(value))) if math.isfinite(value) else float(value)


def classification_json(result):
    if not result.classifications:
        raise status.invalid_argument("Cannot convert empty ClassificationResults to JSON")
    return {
        "results": [
            [
                [
                    entry.label.decode("utf-8", "replace")
                    if isinstance(entry.label, bytes)
                    else entry.label,
                    _score(entry.score),
                ]
                for entry in classifications.classes
            ]
            for classifications in result.classifications
        ]
    }


def regression_json(result):
    if not result.regressions:
        raise status.invalid_argument("Cannot convert empty RegressionResults to JSON")
    return {"results": [_score(regression.value) for regression in result.regressions]}
