"""Training, evaluation, export and tuning under a real MirroredStrategy over 4 logical CPUs.

Each run is a process of its own (`mirrored_driver`): logical devices must
be configured before TensorFlow initialises. The data slice is chosen so
that the last batch of both splits is smaller than the number of replicas
(SMS Spam, 196 rows, validation 0.15: 162 training rows = 5 x 32 + 2, and
34 validation rows = 32 + 2), which leaves replicas without examples.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

REPLICAS = 4
PER_REPLICA_BATCH = 8
SLICE = ["--preset", "sms_spam", "--max-rows", "196", "--validation-split", "0.15"]
TINY_CHAR_CNN = [
    "--family", "char_cnn", "--max-length", "128", "--batch-size", str(PER_REPLICA_BATCH),
    "--epochs", "2", "--patience", "0", "--no-backup",
]  # fmt: skip


def run_driver(repo_root, shared_data, *args, timeout=400):
    env = dict(os.environ, PYTHONPATH=str(repo_root), TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, "-m", "tests.training.mirrored_driver", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.integration
@pytest.mark.timeout(500)
def test_train_evaluate_and_export_under_four_replicas(tmp_path, repo_root, shared_data):
    config = tmp_path / "tiny.yaml"
    config.write_text("model_options:\n  filters: 8\n  dense_units: 16\n")
    run = run_driver(
        repo_root,
        shared_data,
        "--replicas", str(REPLICAS), "--",
        "train", "--config", str(config), "--data", str(shared_data), *SLICE, *TINY_CHAR_CNN,
        "--output-dir", str(tmp_path / "runs"), "--model-name", "spam",
        "--export-base", str(tmp_path / "models"),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # The global batch is the per-replica batch times the replicas; only full batches train.
    assert f"BATCH global={REPLICAS * PER_REPLICA_BATCH} steps={162 // 32}" in run.stdout
    assert f"BUILT policy=float32 compute=float32 replicas={REPLICAS}" in run.stdout
    folder = tmp_path / "runs" / "spam"
    recorded = json.loads((folder / "train_config.json").read_text())
    assert recorded["batch_size"] == PER_REPLICA_BATCH and recorded["batch_per_replica"]
    assert len(re.findall(r"^epoch \d/2: ", run.stdout, re.M)) == 2
    # Every held-out example is evaluated, the partial last batch included.
    report = json.loads((folder / "report.json").read_text())
    assert report["examples"] == 34
    assert np.sum(report["confusion_matrix"]) == 34

    # The exported version answers as the trained model does.
    import tensorflow as tf

    from tfcharnlp import constants
    from tfcharnlp.export.cpu_portable import non_portable_ops
    from tfcharnlp.training.model_folder import load_classifier

    version = tmp_path / "models" / "spam" / "1"
    assert non_portable_ops(version) == []
    texts = ["WINNER!! claim your prize now", "see you at home", ""]
    local = load_classifier(folder).probabilities(texts)
    served = tf.saved_model.load(str(version)).signatures[constants.SERVING_SIGNATURE](
        text=tf.constant(texts)
    )[constants.PROBABILITIES]
    np.testing.assert_allclose(served.numpy(), local, atol=1e-5)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_partial_last_batch_under_four_replicas_aborts_the_process(
    tmp_path, repo_root, shared_data
):
    # Why training batches are dropped to full ones: the same run keeping its last
    # batch of 2 examples (two replicas without any) dies in TensorFlow's CPU
    # max-pooling gradient. If this starts passing, TensorFlow fixed it.
    config = tmp_path / "tiny.yaml"
    config.write_text("model_options:\n  filters: 8\n  dense_units: 16\n")
    run = run_driver(
        repo_root,
        shared_data,
        "--replicas", str(REPLICAS), "--keep-remainder", "--",
        "train", "--config", str(config), "--data", str(shared_data), *SLICE, *TINY_CHAR_CNN,
        "--output-dir", str(tmp_path / "runs"), "--model-name", "spam", "--epochs", "1",
    )  # fmt: skip
    assert run.returncode != 0
    assert "MaxPooling" in run.stderr or "Check failed" in run.stderr, run.stderr[-2000:]


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_tune_and_retrain_under_four_replicas_in_mixed_precision(tmp_path, repo_root, shared_data):
    run = run_driver(
        repo_root,
        shared_data,
        "--replicas", str(REPLICAS), "--tensor-cores", "--",
        "tune", "--family", "multi_width_cnn", "--tuner", "random", "--max-trials", "2",
        "--epochs", "1", "--data", str(shared_data), *SLICE, "--max-length", "64",
        "--batch-size", str(PER_REPLICA_BATCH), "--embedding-dim", "8",
        "--directory", str(tmp_path), "--project-name", "spam",
        "--output-dir", str(tmp_path / "runs"), "--model-name", "spam",
        "--export-base", str(tmp_path / "models"),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    built = re.findall(r"^BUILT (.*)$", run.stdout, re.M)
    # Two builds declare the search space (ours and KerasTuner's, outside any strategy),
    # then one per trial and one for the retrain: each of those under the mirrored
    # strategy and in mixed precision at build time, although KerasTuner clears the
    # session (and with it the global dtype policy) before every trial.
    declare, trained = built[:2], built[2:]
    assert set(declare) == {"policy=mixed_float16 compute=float16 replicas=1"}, built
    assert trained == [f"policy=mixed_float16 compute=float16 replicas={REPLICAS}"] * 3, built
    assert re.findall(r"^trial (\d+): val_accuracy ", run.stdout, re.M) == ["0", "1"]

    from tfcharnlp.export.cpu_portable import non_portable_ops

    version = tmp_path / "models" / "spam" / "1"
    # Trained in float16: exported in float32, with no GPU-only op.
    assert non_portable_ops(version) == []
    recorded = json.loads((tmp_path / "runs" / "spam" / "train_config.json").read_text())
    assert recorded["batch_size"] == PER_REPLICA_BATCH
