"""Predict on one servable: PredictRequest in, PredictResponse out.

Follows TensorFlow Serving's predict_util, in its order: the signature
defaults to `serving_default`; the request must send exactly the
signature's inputs, each a valid TensorProto; `output_filter` picks outputs
(unknown or duplicate aliases are INVALID_ARGUMENT); only then does the
session see the tensors (and refuse a wrong dtype). The response's
`model_spec` names the model, the numeric version and the signature run.
"""

from tensorflow_serving.apis import predict_pb2

from serving import tensor_codec
from serving.server import status
from tfcharnlp import constants


def signature_key(model_spec):
    return model_spec.signature_name or constants.SERVING_SIGNATURE


def fill_model_spec(model_spec, servable, signature_name):
    model_spec.name = servable.name
    model_spec.version.value = servable.version
    model_spec.signature_name = signature_name


def predict(servable, request, deadline=None):
    """Runs `request` on `servable` and returns the PredictResponse."""
    key = signature_key(request.model_spec)
    signature = servable.signature(key)
    response = predict_pb2.PredictResponse()
    fill_model_spec(response.model_spec, servable, key)

    signature.check_input_names(request.inputs.keys())
    arrays = {alias: input_array(alias, proto) for alias, proto in request.inputs.items()}
    output_keys = signature.check_output_filter(request.output_filter)
    outputs = servable.run(signature, arrays, deadline, output_keys)
    for alias in output_keys:
        array, dtype_enum = outputs[alias]
        output_proto(alias, array, dtype_enum, response.outputs[alias])
    return response


def input_array(alias, proto):
    """A request tensor as numpy; a tensor the codec refuses is the client's INVALID_ARGUMENT."""
    try:
        return tensor_codec.make_ndarray(proto)
    except ValueError as error:
        raise status.invalid_argument(f"input '{alias}': {error}") from error


def output_proto(alias, array, dtype_enum, proto):
    """Writes an output into `proto`'s typed value fields; one the codec cannot write is INTERNAL."""
    try:
        return tensor_codec.as_proto_field(array, dtype_enum, proto)
    except ValueError as error:
        raise status.internal(f"output '{alias}': {error}") from error
