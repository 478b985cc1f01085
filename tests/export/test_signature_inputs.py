"""Our exported signatures refuse bad input themselves, as a graph, in any server.

TensorFlow Serving feeds tensors as sent; these tests do the same outside
our server, in a child process (a crash there fails the test instead of
killing pytest), with `bench/tf_serving_runtime_probe.py`: each case runs in a
Session over the signature's tensor names (TF Serving's way) and through the
loaded concrete function called flat. Every bad case must be an
InvalidArgumentError in both, with a message that names the problem.
"""

import sys

import numpy as np
import pytest

from bench import tf_serving_runtime_probe as probe
from tests.serving import exported_families
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SHAPE_ERROR = "is not compatible with expected shape"


def classifier_cases(inputs):
    examples = inputs[constants.CLASSIFY_SIGNATURE][constants.CLASSIFY_INPUTS]
    return {
        "classify scalar": (
            constants.CLASSIFY_SIGNATURE,
            {constants.CLASSIFY_INPUTS: examples[0]},
            SHAPE_ERROR,
        ),
    }


def generator_cases(inputs):
    serve = {key: value[:1] for key, value in inputs[constants.SERVING_SIGNATURE].items()}
    step = inputs[constants.NEXT_CHAR_SIGNATURE]
    ids, state = step[constants.STEP_IDS], step[constants.STEP_STATE]
    return {
        "scalar length": (
            constants.SERVING_SIGNATURE,
            {**serve, constants.GENERATOR_LENGTH: np.array(5, np.int32)},
            SHAPE_ERROR,
        ),
        "[1,1] seed": (
            constants.SERVING_SIGNATURE,
            {**serve, constants.GENERATOR_SEED: np.array([[1]], np.int64)},
            SHAPE_ERROR,
        ),
        "too many lengths": (
            constants.SERVING_SIGNATURE,
            {**serve, constants.GENERATOR_LENGTH: np.array([3, 4], np.int32)},
            "one value per prompt",
        ),
        "NaN temperature": (
            constants.SERVING_SIGNATURE,
            {**serve, constants.GENERATOR_TEMPERATURE: np.array([np.nan], np.float32)},
            "temperature must be finite",
        ),
        "length above the maximum": (
            constants.SERVING_SIGNATURE,
            {**serve, constants.GENERATOR_LENGTH: np.array([65], np.int32)},
            "length must be <= 64",
        ),
        "id outside the vocabulary": (
            constants.NEXT_CHAR_SIGNATURE,
            {constants.STEP_IDS: np.array([10_000, 1, 1], np.int32), constants.STEP_STATE: state},
            "ids must be < the vocabulary size",
        ),
        "negative id": (
            constants.NEXT_CHAR_SIGNATURE,
            {constants.STEP_IDS: np.array([-1, 1, 1], np.int32), constants.STEP_STATE: state},
            "ids must be >= 0",
        ),
        "state of the wrong width": (
            constants.NEXT_CHAR_SIGNATURE,
            {constants.STEP_IDS: ids, constants.STEP_STATE: state[:, :-1]},
            SHAPE_ERROR,
        ),
        "batch sizes differ": (
            constants.NEXT_CHAR_SIGNATURE,
            {constants.STEP_IDS: ids[:2], constants.STEP_STATE: state},
            "same batch size",
        ),
        "scalar id": (
            constants.NEXT_CHAR_SIGNATURE,
            {constants.STEP_IDS: ids[0], constants.STEP_STATE: state[:1]},
            SHAPE_ERROR,
        ),
    }


EXTRA_CASES = {
    "char_classifier": classifier_cases,
    "char_cnn_classifier": classifier_cases,
    "word_classifier": classifier_cases,
    "ngram_classifier": classifier_cases,
    "generator": generator_cases,
}


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """{family: {runner: {case: result}}}, with each case's expected error (None: answered)."""
    workdir = tmp_path_factory.mktemp("signature_inputs")
    models, expected = [], {}
    for name in exported_families.FAMILIES:
        path, _, inputs = exported_families.export_family(name, workdir / "models")
        cases, expected[name] = {}, {}
        for case, arrays in exported_families.bad_string_inputs(name, inputs).items():
            cases[f"string {case}"] = (constants.SERVING_SIGNATURE, arrays)
            expected[name][f"string {case}"] = None if case == "empty" else SHAPE_ERROR
        for case, (signature, arrays, error) in EXTRA_CASES[name](inputs).items():
            cases[case] = (signature, arrays)
            expected[name][case] = error
        models.append({"name": name, "path": str(path), "cases": probe.cases_of(cases)})
    _, results = probe.run_in(sys.executable, models, str(workdir))
    return results, expected


@pytest.mark.parametrize("name", list(exported_families.FAMILIES))
@pytest.mark.parametrize("runner", list(probe.RUNNERS))
def test_bad_inputs_are_invalid_argument_in_the_graph(probed, name, runner):
    results, expected = probed
    assert "crashed" not in results[name], results[name]
    for case, error in expected[name].items():
        result = results[name][runner][case]
        if error is None:
            assert "outputs" in result, (case, result)
            for tensor in result["outputs"].values():
                assert tensor["shape"][0] == 0, (case, tensor)
        else:
            assert "error" in result, (case, result)
            assert result["error"]["type"] == "InvalidArgumentError", (case, result)
            assert error in result["error"]["message"], (case, result["error"]["message"])
