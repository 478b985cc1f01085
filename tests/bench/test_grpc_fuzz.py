"""bench.grpc_fuzz: the structured cases are well-formed messages for the methods they name."""

from bench import grpc_fuzz

METHODS = {"Predict", "Classify", "Regress", "GetModelMetadata"}


def test_structured_cases_are_named_once_and_serialize():
    cases = grpc_fuzz.structured_cases("m")
    names = [name for name, _, _ in cases]
    assert len(names) == len(set(names))
    assert {method for _, method, _ in cases} == METHODS
    for name, method, request in cases:
        assert name.startswith(f"{method}: ")
        type(request).FromString(request.SerializeToString())  # Parses: it is well-formed.


def test_cases_cover_the_kinds_of_bad_contents():
    names = " ".join(name for name, _, _ in grpc_fuzz.structured_cases("m")).lower()
    for kind in (
        "dtype",
        "huge dims",
        "empty string",
        "non-utf-8",
        "nan",
        "negative version",
        "no inputs",
        "oversized batch",
        "unknown model",
    ):
        assert kind in names, kind


def test_oversized_batch_has_that_many_rows():
    cases = {name: request for name, _, request in grpc_fuzz.structured_cases("m")}
    predict = next(r for n, r in cases.items() if n.startswith("Predict: oversized"))
    assert len(predict.inputs["text"].string_val) == grpc_fuzz.OVERSIZED_BATCH
    classify = next(r for n, r in cases.items() if n.startswith("Classify: oversized"))
    assert len(classify.input.example_list.examples) == grpc_fuzz.OVERSIZED_BATCH
