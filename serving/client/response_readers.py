"""The client's answers, read from the server's protos into `serving.client.results` values.

Pure functions (protos in, values out); tensors are read by
`serving.tensor_codec`, from the typed value fields TensorFlow Serving
answers in or from `tensor_content`.
"""

import grpc
import numpy as np

from serving.client.errors import ServingError
from serving.client.results import (
    ModelMetadata,
    ModelVersionStatus,
    Prediction,
    SignatureInfo,
    TensorSpec,
)
from serving.protos import import_protos
from serving.tensor_codec import DT_STRING, data_type_name, make_ndarray, numpy_dtype
from tfcharnlp import constants

get_model_metadata_pb2, get_model_status_pb2 = import_protos(
    "tensorflow_serving.apis.get_model_metadata_pb2",
    "tensorflow_serving.apis.get_model_status_pb2",
)

_VERSION_STATES = get_model_status_pb2.ModelVersionStatus.State
_CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}


def outputs_to_numpy(response):
    """`{output key: numpy array}` of a PredictResponse; strings as object arrays of bytes."""
    outputs = {}
    for key, proto in response.outputs.items():
        try:
            array = make_ndarray(proto)
        except ValueError as error:
            raise ServingError(
                grpc.StatusCode.INTERNAL, f"output {key!r} cannot be read: {error}"
            ) from error
        # Arrays read from tensor_content are views of the message: give the caller its own.
        outputs[key] = array if array.flags.writeable else array.copy()
    return outputs


def _decode(value):
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _required(outputs, key, kind):
    """`outputs[key]`; FAILED_PRECONDITION when the model has no such output (not a `kind`)."""
    if key not in outputs:
        raise ServingError(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"the model answered without {key!r} (outputs: {sorted(outputs)}); is it a {kind}?",
        )
    return outputs[key]


def predictions(response, count):
    """One `Prediction` per text of a classifier's PredictResponse for `count` texts."""
    outputs = outputs_to_numpy(response)
    probabilities = _required(outputs, constants.PROBABILITIES, "classifier")
    class_ids = outputs.get(constants.CLASS_IDS)
    labels = outputs.get(constants.LABELS)
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(len(probabilities), -1)
    if class_ids is None:
        class_ids = probabilities.argmax(axis=-1)
    for name, values in (
        (constants.PROBABILITIES, probabilities),
        (constants.CLASS_IDS, class_ids),
        (constants.LABELS, labels),
    ):
        if values is not None and len(values) != count:
            raise ServingError(
                grpc.StatusCode.INTERNAL,
                f"output {name!r} has {len(values)} rows for {count} texts",
            )
    answered = []
    for row in range(count):
        class_id = int(class_ids[row])
        label = _decode(labels[row]) if labels is not None else str(class_id)
        answered.append(
            Prediction(
                label=label,
                class_id=class_id,
                probabilities=tuple(float(p) for p in probabilities[row]),
            )
        )
    return answered


def generated_texts(response, count):
    """The generated strings of a generator's PredictResponse for `count` prompts."""
    outputs = outputs_to_numpy(response)
    texts = _required(outputs, constants.GENERATOR_OUTPUT, "generator")
    texts = np.asarray(texts, dtype=object).reshape(-1)
    if len(texts) != count:
        raise ServingError(
            grpc.StatusCode.INTERNAL, f"{len(texts)} generated texts for {count} prompts"
        )
    return [_decode(text) for text in texts]


def dtype_name(dtype_enum):
    """`DT_FLOAT` -> `"float32"`, `DT_STRING` -> `"string"` (numpy-style names, as `TensorSpec` holds)."""
    if dtype_enum == DT_STRING:
        return "string"
    try:
        return numpy_dtype(dtype_enum).name
    except ValueError:
        return data_type_name(dtype_enum)


def _tensor_spec(tensor_info):
    shape = tensor_info.tensor_shape
    dims = None if shape.unknown_rank else tuple(None if d.size < 0 else d.size for d in shape.dim)
    return TensorSpec(dtype=dtype_name(tensor_info.dtype), shape=dims)


def metadata(response):
    """`ModelMetadata` of a GetModelMetadataResponse (its `signature_def` entry)."""
    signatures = {}
    if "signature_def" in response.metadata:
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_map)
        for name, signature in signature_map.signature_def.items():
            signatures[name] = SignatureInfo(
                method_name=signature.method_name,
                inputs={key: _tensor_spec(info) for key, info in signature.inputs.items()},
                outputs={key: _tensor_spec(info) for key, info in signature.outputs.items()},
            )
    version = response.model_spec.version.value if response.model_spec.HasField("version") else None
    return ModelMetadata(name=response.model_spec.name, version=version, signatures=signatures)


def statuses(response):
    """`ModelVersionStatus` per version of a GetModelStatusResponse, oldest first."""
    found = [
        ModelVersionStatus(
            version=int(status.version),
            state=_VERSION_STATES.Name(status.state),
            error_code=_CODE_NAMES.get(status.status.error_code, str(status.status.error_code)),
            error_message=status.status.error_message,
        )
        for status in response.model_version_status
    ]
    return sorted(found, key=lambda status: status.version)


def available_version(found, version=None):
    """The newest AVAILABLE status (of `version`, if given), or None."""
    available = [s for s in found if s.available and (version is None or s.version == version)]
    return available[-1] if available else None


def describe_statuses(found):
    """`version 1 AVAILABLE, version 2 END (its load error)` for messages."""
    return (
        ", ".join(
            f"version {s.version} {s.state}" + (f" ({s.error_message})" if s.error_message else "")
            for s in found
        )
        or "no versions"
    )
