"""The client's requests, built from plain values: ModelSpec, Predict, metadata and status requests.

Pure functions (values in, protos out); the request's tensors are made by
`serving.tensor_codec` and the names come from `tfcharnlp.constants`.
"""

import random

import numpy as np

from serving.client.errors import client_error
from serving.protos import import_protos
from serving.tensor_codec import make_tensor_proto
from tfcharnlp import constants
from tfcharnlp.errors import ConfigError
from tfcharnlp.per_prompt import per_prompt

get_model_metadata_pb2, get_model_status_pb2, model_pb2, predict_pb2 = import_protos(
    "tensorflow_serving.apis.get_model_metadata_pb2",
    "tensorflow_serving.apis.get_model_status_pb2",
    "tensorflow_serving.apis.model_pb2",
    "tensorflow_serving.apis.predict_pb2",
)

# The generator's inputs as our exporter declares them (each one value per
# prompt, shape [None]); used when the server cannot tell (no
# GetModelMetadata) - otherwise the signature's dtypes win.
GENERATOR_DTYPES = {
    constants.GENERATOR_PROMPT: "string",
    constants.GENERATOR_LENGTH: "int32",
    constants.GENERATOR_TEMPERATURE: "float32",
    constants.GENERATOR_TOP_K: "int32",
    constants.GENERATOR_SEED: "int64",
}
GENERATOR_CONTROLS = tuple(key for key in GENERATOR_DTYPES if key != constants.GENERATOR_PROMPT)


def model_spec(model_name, version=None, version_label=None, signature_name=None):
    """A `ModelSpec`: name, optional version or label (not both), optional signature."""
    if not model_name:
        raise client_error("a model name is required")
    if version is not None and version_label is not None:
        raise client_error("give a version or a version label, not both")
    spec = model_pb2.ModelSpec(name=model_name)
    if version is not None:
        spec.version.value = int(version)
    if version_label is not None:
        spec.version_label = version_label
    if signature_name:
        spec.signature_name = signature_name
    return spec


def predict_request(spec, inputs, output_filter=None):
    """A `PredictRequest` from `{input key: array-like or TensorProto}`."""
    if not inputs:
        raise client_error("a predict request needs at least one input")
    request = predict_pb2.PredictRequest()
    request.model_spec.CopyFrom(spec)
    for key, value in inputs.items():
        try:
            request.inputs[key].CopyFrom(make_tensor_proto(value))
        except (TypeError, ValueError) as error:
            raise client_error(f"input {key!r}: {error}") from error
    if output_filter:
        request.output_filter.extend(output_filter)
    return request


def classify_inputs(texts):
    return {constants.CLASSIFIER_INPUT: make_tensor_proto(texts, "string")}


def generator_controls(count, length, temperature, top_k, seed):
    """`{control key: numpy vector of one value per prompt}` for `count` prompts.

    Each control is one value for every prompt or a sequence with one value
    per prompt; `seed=None` draws a fresh seed per prompt.
    """
    if seed is None:
        seed = [random_seed() for _ in range(count)]
    values = dict(zip(GENERATOR_CONTROLS, (length, temperature, top_k, seed), strict=True))
    try:
        return {key: per_prompt(key, value, count) for key, value in values.items()}
    except ConfigError as error:
        raise client_error(str(error)) from error


def generator_inputs(prompts, controls, input_specs=None):
    """The generator signature's inputs: the prompts and their controls, one value per prompt.

    Args:
        prompts: list of prompt strings.
        controls: `{control key: one value per prompt}` (`generator_controls`).
        input_specs: the signature's `{key: TensorSpec}` when known (from
            GetModelMetadata): each input is then sent in the dtype the
            signature declares, and a control it does not take is left out.
            Unknown signature: every control, in the contract's dtypes.
    """
    if input_specs is not None and constants.GENERATOR_PROMPT not in input_specs:
        raise client_error(
            f"the signature has no {constants.GENERATOR_PROMPT!r} input "
            f"(inputs: {sorted(input_specs)}); is this a generator model?"
        )
    values = {constants.GENERATOR_PROMPT: prompts, **controls}
    inputs = {}
    for key, value in values.items():
        dtype = GENERATOR_DTYPES[key]
        if input_specs is not None:
            if key not in input_specs:
                continue
            dtype = input_specs[key].dtype
        inputs[key] = make_tensor_proto(value, dtype)
    return inputs


def random_seed():
    """A fresh seed for a call that gave none (the exported graph needs one)."""
    return random.SystemRandom().randrange(2**31)


def metadata_request(spec):
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.CopyFrom(spec)
    request.metadata_field.append("signature_def")
    return request


def status_request(spec):
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = spec.name
    if spec.HasField("version"):
        request.model_spec.version.value = spec.version.value
    if spec.version_label:
        request.model_spec.version_label = spec.version_label
    return request


def chunk_slices(count, size):
    """Consecutive slices of at most `size` of `count` items."""
    if size < 1:
        raise ValueError(f"chunk size must be >= 1, got {size}")
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def as_text_list(texts, what="texts"):
    """`texts` as a list of str/bytes; a single string is one text (not its characters)."""
    if isinstance(texts, (str, bytes)):
        return [texts]
    if isinstance(texts, np.ndarray):
        texts = texts.reshape(-1).tolist()
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, (str, bytes)):
            raise client_error(f"{what}[{index}] is {type(text).__name__}, expected str or bytes")
    return texts
