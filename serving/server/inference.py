"""Classify, Regress and MultiInference on one servable, with tf.Example input.

The rules and messages are TensorFlow Serving's (classifier.cc,
regressor.cc, multi_inference.cc). A signature qualifies for Classify when
its method name is `tensorflow/serving/classify`; TF2 SavedModels always
store `tensorflow/serving/predict`, so, as TensorFlow Serving does by default
(`--enable_signature_method_name_check=false`), a predict signature with the
classify layout (one input `inputs`, outputs `classes` and/or `scores`) is
accepted too. Anything else gets TensorFlow Serving's method-name error.
"""

import grpc
import numpy as np
from tensorflow_serving.apis import classification_pb2, inference_pb2, regression_pb2

from serving.server import status
from serving.server.predict import fill_model_spec, signature_key

CLASSIFY_INPUTS = "inputs"
CLASSIFY_CLASSES = "classes"
CLASSIFY_SCORES = "scores"
REGRESS_INPUTS = "inputs"
REGRESS_OUTPUTS = "outputs"


def serialized_examples(input_proto):
    """The request's tf.Examples as a string array, one serialized Example per row.

    With `example_list_with_context`, the context is merged into each example
    the way TensorFlow Serving does it: the two serialized messages are
    concatenated, which protobuf parses as a merge.
    """
    kind = input_proto.WhichOneof("kind")
    if kind == "example_list":
        rows = [example.SerializeToString() for example in input_proto.example_list.examples]
    elif kind == "example_list_with_context":
        with_context = input_proto.example_list_with_context
        context = with_context.context.SerializeToString()
        rows = [context + example.SerializeToString() for example in with_context.examples]
    else:
        rows = []
    if not rows:
        raise status.invalid_argument("Input is empty.")
    array = np.empty(len(rows), dtype=object)
    array[:] = rows
    return array


def _method_error(kind, expected, signature):
    return status.invalid_argument(
        f"Expected {kind} signature method_name to be {expected}. Was: {signature.method_name}"
    )


def _has_layout(signature, inputs, outputs):
    return set(signature.inputs) == set(inputs) and 0 < len(set(signature.outputs) & set(outputs))


def _signature_for_method(servable, key, kind, method_name, inputs, outputs):
    """The signature `key`, if it has `method_name` or is a predict signature
    with that method's layout (`inputs`, some of `outputs`)."""
    signature = servable.signatures.get(key)
    if signature is None:
        raise status.invalid_argument(f"No signature was found with the name: {key}")
    if signature.method_name != method_name and not (
        signature.method_name == status.PREDICT_METHOD_NAME
        and _has_layout(signature, inputs, outputs)
    ):
        raise _method_error(kind, method_name, signature)
    return signature


def classification_signature(servable, key):
    signature = _signature_for_method(
        servable,
        key,
        "classification",
        status.CLASSIFY_METHOD_NAME,
        [CLASSIFY_INPUTS],
        [CLASSIFY_CLASSES, CLASSIFY_SCORES],
    )
    if len(signature.inputs) != 1:
        raise status.invalid_argument("Expected one input Tensor.")
    if len(signature.outputs) not in (1, 2):
        raise status.invalid_argument(
            f"Expected one or two output Tensors, found {len(signature.outputs)}"
        )
    if CLASSIFY_INPUTS not in signature.inputs:
        raise status.failed_precondition(
            f"No classification inputs found in SignatureDef: {signature.signature_def}"
        )
    if CLASSIFY_CLASSES not in signature.outputs and CLASSIFY_SCORES not in signature.outputs:
        raise status.failed_precondition(
            'Expected classification signature outputs to contain at least one of "classes" or '
            f'"scores". Signature was: {signature.signature_def}'
        )
    return signature


def regression_signature(servable, key):
    signature = _signature_for_method(
        servable,
        key,
        "regression",
        status.REGRESS_METHOD_NAME,
        [REGRESS_INPUTS],
        [REGRESS_OUTPUTS],
    )
    if len(signature.inputs) != 1:
        raise status.invalid_argument("Expected one input Tensor.")
    if len(signature.outputs) != 1:
        raise status.invalid_argument("Expected one output Tensor.")
    if REGRESS_INPUTS not in signature.inputs:
        raise status.invalid_argument(
            f"No regression inputs found in SignatureDef: {signature.signature_def}"
        )
    if REGRESS_OUTPUTS not in signature.outputs:
        raise status.invalid_argument(
            f"No regression outputs found in SignatureDef: {signature.signature_def}"
        )
    return signature


def _run(servable, signature, examples, deadline):
    # A signature whose input is not a string gets the session's dtype error,
    # as in TensorFlow Serving.
    alias = next(iter(signature.inputs))
    return servable.run(signature, {alias: examples}, deadline)


def _classification_result(outputs, num_examples, result):
    classes = outputs.get(CLASSIFY_CLASSES, (None, None))[0]
    scores = outputs.get(CLASSIFY_SCORES, (None, None))[0]
    for name, tensor, dtype in (("classes", classes, "DT_STRING"), ("scores", scores, "DT_FLOAT")):
        if tensor is None:
            continue
        if tensor.ndim != 2:
            raise status.invalid_argument(
                f"Expected Tensor shape: [batch_size num_classes] but got {list(tensor.shape)}"
            )
        if (dtype == "DT_STRING") != (tensor.dtype == object) or (
            dtype == "DT_FLOAT" and tensor.dtype != np.float32
        ):
            raise status.invalid_argument(f"Expected {name} Tensor of {dtype}. Got: {tensor.dtype}")
        if tensor.shape[0] != num_examples:
            raise status.invalid_argument(
                f"Expected {name} output batch size of {num_examples}. Got: {tensor.shape[0]}"
            )
    if classes is not None and scores is not None and classes.shape[1] != scores.shape[1]:
        raise status.invalid_argument(
            f"Tensors class and score should match in dim_size(1). Got {classes.shape[1]} vs. {scores.shape[1]}"
        )
    num_classes = (classes if classes is not None else scores).shape[1]
    for i in range(num_examples):
        classifications = result.classifications.add()
        for c in range(num_classes):
            entry = classifications.classes.add()
            if classes is not None:
                entry.label = classes[i, c]
            if scores is not None:
                entry.score = float(scores[i, c])


def _regression_result(outputs, num_examples, result):
    values = outputs[REGRESS_OUTPUTS][0]
    if not (values.ndim == 1 or (values.ndim == 2 and values.shape[1] == 1)):
        raise status.invalid_argument(
            f"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got {list(values.shape)}"
        )
    if values.shape[0] != num_examples:
        raise status.invalid_argument(
            f"Input batch size did not match output batch size: {num_examples} vs. {values.shape[0]}"
        )
    if values.dtype != np.float32:
        raise status.invalid_argument(f"Expected output Tensor of DT_FLOAT.  Got: {values.dtype}")
    for value in values.ravel().tolist():
        result.regressions.add(value=value)


def classify(servable, request, deadline=None):
    return _run_examples(
        servable,
        request,
        deadline,
        classification_signature,
        classification_pb2.ClassificationResponse,
        _classification_result,
    )


def regress(servable, request, deadline=None):
    return _run_examples(
        servable,
        request,
        deadline,
        regression_signature,
        regression_pb2.RegressionResponse,
        _regression_result,
    )


def _run_examples(servable, request, deadline, find_signature, response_cls, fill_result):
    """Classify / Regress: the signature's outputs on the request's examples."""
    key = signature_key(request.model_spec)
    signature = find_signature(servable, key)
    examples = serialized_examples(request.input)
    outputs = _run(servable, signature, examples, deadline)
    response = response_cls()
    fill_model_spec(response.model_spec, servable, key)
    fill_result(outputs, len(examples), response.result)
    return response


def check_multi_inference(request):
    """TensorFlow Serving's request checks, before any servable is looked up."""
    if not request.tasks:
        raise status.invalid_argument("MultiInferenceRequest must have at least one task")
    name, keys = None, set()
    for task in request.tasks:
        if not task.model_spec.name:
            raise status.invalid_argument("Found ModelSpec with an empty model name.")
        if name is None:
            name = task.model_spec.name
        elif task.model_spec.name != name:
            raise status.invalid_argument(
                "All ModelSpecs in a MultiInferenceRequest must access the same model name."
            )
        key = signature_key(task.model_spec)
        if key in keys:
            raise status.invalid_argument(f"Duplicate evaluation of signature: {key}")
        keys.add(key)


def multi_inference(servable, request, deadline=None):
    check_multi_inference(request)
    plan = []
    for task in request.tasks:
        key = signature_key(task.model_spec)
        if key not in servable.signatures:
            raise status.invalid_argument(f"Requested signature not found in model graph: {key}")
        if task.method_name == status.CLASSIFY_METHOD_NAME:
            plan.append((task, key, classification_signature(servable, key)))
        elif task.method_name == status.REGRESS_METHOD_NAME:
            plan.append((task, key, regression_signature(servable, key)))
        else:
            raise status.StatusError(
                grpc.StatusCode.UNIMPLEMENTED,
                f"Unsupported signature method_name: {task.method_name}",
            )
    examples = serialized_examples(request.input)
    response = inference_pb2.MultiInferenceResponse()
    for task, key, signature in plan:
        outputs = _run(servable, signature, examples, deadline)
        result = response.results.add()
        fill_model_spec(result.model_spec, servable, key)
        if task.method_name == status.CLASSIFY_METHOD_NAME:
            _classification_result(outputs, len(examples), result.classification_result)
        else:
            _regression_result(outputs, len(examples), result.regression_result)
    return response
