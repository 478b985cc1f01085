"""Push with infra validation: good candidates become the next version, bad ones change nothing."""

import filecmp
import os
import shutil

import grpc
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_service_pb2_grpc

from serving.push import push_model
from tests.serving import server_models
from tests.serving.conftest import predict_request
from tests.serving.reliability_helpers import wait_until
from tfcharnlp import cli, constants
from tfcharnlp.errors import ExportError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def candidates(tmp_path_factory):
    """Candidate SavedModels: `good` (with warmup), `bad_warmup`, `nan`, `corrupt`."""
    root = tmp_path_factory.mktemp("candidates")
    server_models.build_text_model(root, "good", warmup_texts=["warm", "up"])
    server_models.build_bad_warmup_model(root, "bad_warmup")
    server_models.build_text_model(root, "nan", offset=float("nan"))
    corrupt = root / "corrupt"
    shutil.copytree(root / "good", corrupt)
    (corrupt / constants.SAVED_MODEL_FILE).write_bytes(b"\x08\x01garbage, not a SavedModel")
    return root


def tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


def test_good_candidate_is_validated_and_published_as_next_versions(candidates, tmp_path):
    target = tmp_path / "models" / "demo"
    first = push_model(candidates / "good", target, texts=["a fine film", "dull"])
    assert first.pushed, first.reason
    assert (first.version, first.path) == (1, str(target / "1"))
    assert any(check.startswith("warmup: 1 record") for check in first.checks)
    assert any(check.startswith("texts: 2 answered") for check in first.checks)
    # The published copy is the candidate, file for file, and nothing else is left behind.
    comparison = filecmp.dircmp(candidates / "good", target / "1")
    assert not comparison.left_only and not comparison.right_only and not comparison.diff_files
    assert sorted(os.listdir(target)) == ["1"]
    second = push_model(candidates / "good", target)
    assert (second.pushed, second.version) == (True, 2)
    assert sorted(os.listdir(target)) == ["1", "2"]


@pytest.mark.parametrize(
    "name, reason",
    [
        ("bad_warmup", "warmup record 1/1 (Predict) failed: INVALID_ARGUMENT"),
        ("nan", "holds NaN or infinite values"),
        ("corrupt", "the candidate did not load"),
    ],
)
def test_bad_candidate_leaves_the_repository_untouched(candidates, tmp_path, name, reason):
    target = tmp_path / "models" / "demo"
    assert push_model(candidates / "good", target).pushed
    before = tree(target)
    result = push_model(candidates / name, target)
    assert not result.pushed
    assert reason in result.reason
    assert (result.version, result.path) == (None, None)
    assert tree(target) == before


def test_not_a_saved_model_is_an_export_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError):
        push_model(tmp_path / "empty", tmp_path / "models" / "demo")


def test_push_command_exit_codes(candidates, tmp_path, capsys):
    target = tmp_path / "models" / "demo"
    assert cli.main(["push", str(candidates / "good"), "--to", str(target), "--texts", "hi"]) == 0
    assert "pushed" in capsys.readouterr().out
    assert cli.main(["push", str(candidates / "bad_warmup"), "--to", str(target)]) == 1
    assert "NOT pushed" in capsys.readouterr().err
    assert cli.main(["push", str(tmp_path / "missing"), "--to", str(target)]) == 2
    assert sorted(os.listdir(target)) == ["1"]


def test_a_running_server_picks_up_the_pushed_version(candidates, tmp_path, serve):
    target = tmp_path / "models" / "demo"
    assert push_model(candidates / "good", target).pushed
    server = serve(model_name="demo", model_base_path=target, file_system_poll_wait_seconds=0.1)
    assert push_model(candidates / "good", target).pushed
    request = predict_request("demo", texts=["abc"], version=2)
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

        def served_by_version_2():
            try:
                return stub.Predict(request, timeout=10)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
                return None

        response = wait_until(served_by_version_2)
    assert response.model_spec.version.value == 2


class _TinyRowGenerator(tf.Module):
    """The generator signature's layout with per-prompt controls ([None] each)."""

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.string, name=constants.GENERATOR_PROMPT),
            tf.TensorSpec([None], tf.int32, name=constants.GENERATOR_LENGTH),
            tf.TensorSpec([None], tf.float32, name=constants.GENERATOR_TEMPERATURE),
            tf.TensorSpec([None], tf.int32, name=constants.GENERATOR_TOP_K),
            tf.TensorSpec([None], tf.int64, name=constants.GENERATOR_SEED),
        ]
    )
    def serve(self, prompt, length, temperature, top_k, seed):
        checks = [
            tf.debugging.assert_equal(tf.shape(control), tf.shape(prompt))
            for control in (length, temperature, top_k, seed)
        ]
        with tf.control_dependencies(checks):
            text = tf.strings.join([prompt, tf.strings.as_string(length)])
        return {constants.GENERATOR_OUTPUT: text}


def test_generator_candidate_with_per_prompt_controls(tmp_path):
    module = _TinyRowGenerator()
    candidate = tmp_path / "generator"
    tf.saved_model.save(
        module, str(candidate), signatures={constants.SERVING_SIGNATURE: module.serve}
    )
    result = push_model(candidate, tmp_path / "models" / "gen", texts=["ROMEO:", "JULIET:", "A"])
    assert result.pushed, result.reason
    assert "texts: 3 answered by serving_default (text)" in result.checks


@pytest.fixture(scope="module")
def length_classifiers(tmp_path_factory):
    """Classifier candidates: `exact` (1.0 on the length data), `rough` (0.75), `lstm`, ..."""
    from tests.training.length_classifiers import save_candidates

    return save_candidates(tmp_path_factory.mktemp("blessing"))


def test_baseline_publishes_only_a_candidate_at_least_as_good(length_classifiers, tmp_path):
    import json

    from tests.training.length_classifiers import write_length_data
    from tfcharnlp.data.config import DataConfig

    data = DataConfig(path=str(write_length_data(tmp_path / "lengths.csv")))
    target = tmp_path / "models" / "lengths"
    first = push_model(length_classifiers["rough"], target, baseline=data)
    assert first.pushed, first.reason
    blessing = json.loads((target / "1" / "assets.extra" / "blessing.json").read_text())
    assert blessing["blessed"] and blessing["baseline"] is None
    assert blessing["candidate"]["path"] == str(length_classifiers["rough"])

    better = push_model(length_classifiers["exact"], target, baseline=data)
    assert (better.pushed, better.version) == (True, 2)
    blessing = json.loads((target / "2" / "assets.extra" / "blessing.json").read_text())
    assert blessing["baseline"]["path"] == str(target / "1")
    assert (blessing["candidate"]["accuracy"], blessing["baseline"]["accuracy"]) == (1.0, 0.75)
    assert "blessing on" in better.summary() and "blessed: accuracy 1.0000" in better.summary()

    before = tree(target)
    worse = push_model(length_classifiers["rough"], target, baseline=data, metric="macro_f1")
    assert not worse.pushed and worse.version is None
    assert worse.reason.startswith("not blessed: macro_f1 ")
    assert "NOT blessed" in worse.summary()
    assert tree(target) == before

    # Another family is published when it is as good, with a warning.
    other = push_model(length_classifiers["lstm"], target, baseline=data)
    assert other.pushed
    assert "the candidate is a lstm, the served version a char_cnn" in other.blessing.warnings


def test_push_command_baseline_flags(length_classifiers, tmp_path, capsys):
    from tests.training.length_classifiers import write_length_data

    data = write_length_data(tmp_path / "lengths.csv")
    target = tmp_path / "models" / "lengths"
    push = ["push", "--to", str(target), "--baseline", str(data)]
    assert cli.main([*push, str(length_classifiers["exact"])]) == 0
    assert "blessed: accuracy 1.0000, no served version" in capsys.readouterr().out
    # Flags after the positional; equal is not enough with a margin.
    assert cli.main([*push, str(length_classifiers["exact"]), "--min-improvement", "0.01"]) == 1
    err = capsys.readouterr().err
    assert "NOT pushed" in err and "needs >= +0.0100" in err
    assert "served    accuracy 1.0000" in err  # the comparison is printed
    assert sorted(os.listdir(target)) == ["1"]
    # The baseline file is one source: with --path too it is a usage error.
    code = cli.main([*push, str(length_classifiers["exact"]), "--path", str(data)])
    assert code == 2
    assert "baseline" in capsys.readouterr().err
