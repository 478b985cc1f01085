"""Well-formed TF Serving requests with bad contents, to reach the server's own validation.

Random bytes mostly stop in grpcio's deserializer; these messages parse, so
each one tests what the server does with it: wrong dtypes and shapes, huge
dims, empty and non-UTF-8 strings, NaN, negative versions, missing fields,
oversized batches, for Predict, Classify, Regress and GetModelMetadata.
`structured_cases(model)` returns `[(name, method, request)]`; the method is
a `PredictionService` method name.
"""

import numpy as np
from tensorflow.core.example import example_pb2, feature_pb2
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    predict_pb2,
    regression_pb2,
)

from tests.serving.reliability_helpers import bad_tensors, tensor_proto

TEXT_INPUT = "text"
TEXT_FEATURE = "text"
OVERSIZED_BATCH = 50_000


def _strings(values):
    return tensor_proto(types_pb2.DT_STRING, [len(values)], string_val=values)


def _predict(model, inputs=None, **spec):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    for key, value in spec.items():
        if key == "version":
            request.model_spec.version.value = value
        else:
            setattr(request.model_spec, key, value)
    for key, proto in (inputs if inputs is not None else {TEXT_INPUT: _strings([b"ok"])}).items():
        request.inputs[key].CopyFrom(proto)
    return request


def _example(**features):
    example = example_pb2.Example()
    for key, feature in features.items():
        example.features.feature[key].CopyFrom(feature)
    return example


def _bytes_feature(*values):
    return feature_pb2.Feature(bytes_list=feature_pb2.BytesList(value=list(values)))


def _examples_request(kind, model, examples, context=None, **spec):
    request = (
        classification_pb2.ClassificationRequest()
        if kind == "Classify"
        else regression_pb2.RegressionRequest()
    )
    request.model_spec.name = model
    request.model_spec.signature_name = spec.pop("signature_name", kind.lower())
    if "version" in spec:
        request.model_spec.version.value = spec.pop("version")
    if context is not None:
        request.input.example_list_with_context.context.CopyFrom(context)
        request.input.example_list_with_context.examples.extend(examples)
    elif examples is not None:
        request.input.example_list.examples.extend(examples)
    return request


def predict_cases(model):
    nan = tensor_proto(types_pb2.DT_FLOAT, [2], float_val=[float("nan"), float("inf")])
    cases = [(f"tensor {name}", {TEXT_INPUT: proto}) for name, proto in bad_tensors().items()]
    cases += [
        ("empty string", {TEXT_INPUT: _strings([b""])}),
        ("non-UTF-8 strings", {TEXT_INPUT: _strings([b"\xff\xfe\xfd", b"\xc3\x28", b"\x80"])}),
        ("NUL bytes", {TEXT_INPUT: _strings([b"a\x00b", b"\x00" * 100])}),
        ("NaN and inf floats", {TEXT_INPUT: nan}),
        ("no inputs", {}),
        ("unknown input key", {"not_an_input": _strings([b"a"])}),
        ("extra input key", {TEXT_INPUT: _strings([b"a"]), "extra": _strings([b"b"])}),
        ("batch of 0", {TEXT_INPUT: _strings([])}),
        ("shape [0, 5]", {TEXT_INPUT: tensor_proto(types_pb2.DT_STRING, [0, 5])}),
        ("huge dims, few values", {TEXT_INPUT: tensor_proto(types_pb2.DT_STRING, [2**40])}),
        (
            f"oversized batch ({OVERSIZED_BATCH:,} texts)",
            {TEXT_INPUT: _strings([b"a"] * OVERSIZED_BATCH)},
        ),
        ("dtype half", {TEXT_INPUT: tensor_proto(types_pb2.DT_HALF, [1], half_val=[1])}),
        ("dtype bool", {TEXT_INPUT: tensor_proto(types_pb2.DT_BOOL, [1], bool_val=[True])}),
        (
            "dtype complex64",
            {TEXT_INPUT: tensor_proto(types_pb2.DT_COMPLEX64, [1], scomplex_val=[1, 2])},
        ),
        (
            "dtype int64 content",
            {
                TEXT_INPUT: tensor_proto(
                    types_pb2.DT_INT64, [3], tensor_content=np.arange(3).tobytes()
                )
            },
        ),
        (
            "truncated tensor_content",
            {TEXT_INPUT: tensor_proto(types_pb2.DT_FLOAT, [4], tensor_content=b"\x00" * 7)},
        ),
    ]
    requests = [(f"Predict: {name}", _predict(model, inputs)) for name, inputs in cases]
    requests += [
        ("Predict: negative version", _predict(model, version=-1)),
        ("Predict: version 2**62", _predict(model, version=2**62)),
        ("Predict: empty model name", _predict("")),
        ("Predict: unknown model", _predict("no_such_model")),
        ("Predict: unknown signature", _predict(model, signature_name="nope")),
        ("Predict: unknown version label", _predict(model, version_label="nope")),
        (
            "Predict: NUL and U+FFFD in signature name",
            _predict(model, signature_name="a\x00\ufffd"),
        ),
    ]
    filtered = _predict(model)
    filtered.output_filter.extend(["no_such_output"])
    requests.append(("Predict: unknown output filter", filtered))
    duplicated = _predict(model)
    duplicated.output_filter.extend(["labels", "labels"])
    requests.append(("Predict: duplicated output filter", duplicated))
    return [(name, "Predict", request) for name, request in requests]


def example_cases(model, kind):
    floats = feature_pb2.Feature(float_list=feature_pb2.FloatList(value=[float("nan")]))
    ints = feature_pb2.Feature(int64_list=feature_pb2.Int64List(value=[2**63 - 1]))
    cases = [
        ("no input", None, {}),
        ("empty example list", [], {}),
        ("empty example", [example_pb2.Example()], {}),
        ("NaN float feature", [_example(**{TEXT_FEATURE: floats})], {}),
        ("int64 feature for a string", [_example(**{TEXT_FEATURE: ints})], {}),
        (
            "two values for a scalar feature",
            [_example(**{TEXT_FEATURE: _bytes_feature(b"a", b"b")})],
            {},
        ),
        ("non-UTF-8 bytes", [_example(**{TEXT_FEATURE: _bytes_feature(b"\xff\xfe")})], {}),
        ("empty string", [_example(**{TEXT_FEATURE: _bytes_feature(b"")})], {}),
        ("negative version", [_example(**{TEXT_FEATURE: _bytes_feature(b"a")})], {"version": -1}),
        (
            "unknown signature",
            [_example(**{TEXT_FEATURE: _bytes_feature(b"a")})],
            {"signature_name": "nope"},
        ),
        (
            "predict signature",
            [_example(**{TEXT_FEATURE: _bytes_feature(b"a")})],
            {"signature_name": "serving_default"},
        ),
        (
            f"oversized batch ({OVERSIZED_BATCH:,} examples)",
            [_example(**{TEXT_FEATURE: _bytes_feature(b"a")})] * OVERSIZED_BATCH,
            {},
        ),
    ]
    requests = [
        (f"{kind}: {name}", _examples_request(kind, model, examples, **spec))
        for name, examples, spec in cases
    ]
    context = _example(**{TEXT_FEATURE: floats})
    requests.append(
        (
            f"{kind}: context with a NaN feature",
            _examples_request(kind, model, [example_pb2.Example()], context=context),
        )
    )
    requests.append(
        (f"{kind}: context, no examples", _examples_request(kind, model, [], context=context))
    )
    return [(name, kind, request) for name, request in requests]


def metadata_cases(model):
    def request(name=model, fields=("signature_def",), version=None):
        message = get_model_metadata_pb2.GetModelMetadataRequest()
        message.model_spec.name = name
        message.metadata_field.extend(fields)
        if version is not None:
            message.model_spec.version.value = version
        return message

    cases = [
        ("no metadata field", request(fields=())),
        ("unknown metadata field", request(fields=("nope",))),
        ("field twice", request(fields=("signature_def", "signature_def"))),
        ("negative version", request(version=-1)),
        ("empty model name", request(name="")),
        ("unknown model", request(name="no_such_model")),
    ]
    return [(f"GetModelMetadata: {name}", "GetModelMetadata", message) for name, message in cases]


def structured_cases(model):
    """`[(name, PredictionService method, request message)]`: well-formed, bad contents."""
    return [
        *predict_cases(model),
        *example_cases(model, "Classify"),
        *example_cases(model, "Regress"),
        *metadata_cases(model),
    ]
