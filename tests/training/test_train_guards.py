"""What `train` and `evaluate` tell about a run: rows left out, a finished folder, a time budget.

Tiny models on small files written here; each test trains for seconds.
"""

import json
import logging
import types

import keras
import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp import cli
from tfcharnlp.training import time_budget
from tfcharnlp.training.model_folder import CHECKPOINT_FILE
from tfcharnlp.training.trainer import train

pytestmark = pytest.mark.timeout(300)

POSITIVE = ["great film, loved it", "a joy to watch", "brilliant and moving"]
NEGATIVE = ["dull and boring", "a waste of time", "terrible plot, bad acting"]


def write_reviews(path, rows=80):
    lines = ["text,label"]
    for i in range(rows):
        texts, label = (POSITIVE, "pos") if i % 2 else (NEGATIVE, "neg")
        lines.append(f'"{texts[i % 3]} {i}",{label}')
    path.write_text("\n".join(lines) + "\n")
    return path


def tiny_config(tmp_path, **overrides):
    return {
        "data": {"path": str(write_reviews(tmp_path / "reviews.csv")), "validation_split": 0.25},
        "family": "multi_width_cnn",
        "embedding_dim": 8,
        "model_options": {"filters": 4, "kernel_sizes": [2, 3]},
        "max_length": 48,
        "epochs": 1,
        "batch_size": 8,
        "patience": 0,
        "output_dir": str(tmp_path / "runs"),
        "model_name": "tiny",
        **overrides,
    }


TRAIN_FLAGS = [
    "--family", "multi_width_cnn", "--embedding-dim", "8", "--max-length", "48",
    "--epochs", "1", "--batch-size", "8", "--patience", "0", "--model-name", "tiny",
]  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished run folder (labels neg, pos)."""
    tmp_path = tmp_path_factory.mktemp("trained")
    return train(tiny_config(tmp_path)).model_dir


class TestEvaluateAccountsForEveryRow(TestCase):
    def test_rows_skipped_and_unknown_labels_are_summarized_and_warned(
        self, trained, tmp_path, capsys
    ):
        path = tmp_path / "four.csv"
        path.write_bytes(
            b'text,label\ngreat film,pos\n"bad \xff bytes",neg\ndull film,neg\nit was ok,neutral\n'
        )
        out_dir = tmp_path / "evaluation"
        args = ["evaluate", str(trained), "--path", str(path), "--output", str(out_dir)]
        assert cli.main(args) == 0
        out = capsys.readouterr().out
        # The reader's summary, as `train` logs it, then the labels the model lacks.
        assert "rows read: 4, kept: 3, skipped: 1, header row" in out
        assert "skipped line 3: undecodable bytes" in out
        assert (
            "labels the model does not know: 1 row ('neutral' 1); the model's labels: neg, pos"
        ) in out
        assert "not scored" not in out
        assert f"Evaluation on {path}: 2 examples" in out
        warning = (
            "warning: 2 of 4 rows read are not in these numbers (1 skipped by the reader, "
            "1 with a label the model does not know)"
        )
        assert warning in out
        report = json.loads((out_dir / "report.json").read_text())
        assert report["examples"] == 2
        assert report["rows"] == {
            "read": 4,
            "skipped_by_reader": 1,
            "unknown_label": 1,
            "unknown_labels": {"neutral": 1},
        }
        assert any(note.startswith(warning) for note in report["notes"])
        assert warning in (out_dir / "report.txt").read_text()
        assert warning in (out_dir / "report.md").read_text()
        # -v lists every row left out.
        assert cli.main(["-v", *args]) == 0
        assert "  not scored [neutral]: it was ok" in capsys.readouterr().out

    def test_most_rows_unscorable_exits_2(self, trained, tmp_path, capsys):
        path = tmp_path / "other.csv"
        path.write_text("text,label\ngreat film,pos\nmeh,neutral\nso so,mixed\n")
        code = cli.main(["evaluate", str(trained), "--path", str(path)])
        assert code == 2
        captured = capsys.readouterr()
        assert "labels the model does not know: 2 rows" in captured.out  # said before failing
        assert "most rows cannot be scored (2 of 3" in captured.err
        assert not (trained / "evaluation" / "report.json").exists()

    def test_strict_fails_at_the_first_unknown_label(self, trained, tmp_path, capsys):
        path = tmp_path / "three.csv"
        path.write_text("text,label\ngreat film,pos\nmeh,neutral\n")
        assert cli.main(["evaluate", str(trained), "--path", str(path), "--strict"]) == 2
        assert "three.csv:3: label 'neutral' not in the configured labels" in (
            capsys.readouterr().err
        )

    def test_own_held_out_split_without_data_flags(self, trained, capsys):
        assert cli.main(["evaluate", str(trained)]) == 0
        out = capsys.readouterr().out
        assert "rows read: 80, kept: 80, skipped: 0" in out
        assert "Evaluation on validation:" in out and "warning" not in out


class TestFinishedRunFolder(TestCase):
    def test_rerun_needs_overwrite(self, tmp_path, capsys):
        # (An interrupted run, with its backup/, resumes: test_train_workflow's killed run.)
        data = write_reviews(tmp_path / "reviews.csv")
        args = ["train", "--path", str(data), *TRAIN_FLAGS, "--output", str(tmp_path / "runs")]
        assert cli.main(args) == 0
        folder = tmp_path / "runs" / "tiny"
        first = capsys.readouterr()
        # The report is printed once: on stdout, not again in the log.
        assert first.out.count("Evaluation on validation") == 1
        assert "Evaluation on" not in first.err
        model_time = (folder / "model.keras").stat().st_mtime_ns

        assert cli.main(args) == 2
        err = capsys.readouterr().err
        assert f"{folder} holds a finished run" in err
        assert "--overwrite" in err and "--model-name" in err
        assert (folder / "model.keras").stat().st_mtime_ns == model_time  # untouched

        (folder / "evaluation").mkdir()
        (folder / "evaluation" / "stale.txt").write_text("from the old run")
        assert cli.main([*args, "--overwrite"]) == 0
        assert (folder / "model.keras").stat().st_mtime_ns != model_time
        assert not (folder / "evaluation").exists()  # the old run is gone, not mixed in

    def test_tune_checks_the_retrain_folder_before_searching(self, tmp_path, capsys):
        config = tiny_config(tmp_path)
        train(config)
        code = cli.main(
            [
                "tune", "--path", config["data"]["path"], *TRAIN_FLAGS,
                "--output-dir", config["output_dir"], "--export-base", str(tmp_path / "models"),
                "--directory", str(tmp_path / "tuning"), "--max-trials", "1",
            ]
        )  # fmt: skip
        assert code == 2
        captured = capsys.readouterr()
        assert "holds a finished run" in captured.err and "--overwrite" in captured.err
        assert "trial" not in captured.out  # refused before any trial ran


class TestTimeBudget(TestCase):
    @pytest.mark.parametrize("patience", [0, 5])
    def test_stops_in_the_batch_that_spends_it_and_keeps_the_best_weights(
        self, tmp_path, monkeypatch, patience
    ):
        now = [0.0]
        monkeypatch.setattr(time_budget, "time", types.SimpleNamespace(monotonic=lambda: now[0]))

        class RuinTheThirdEpoch(keras.callbacks.Callback):
            """Epoch 3 takes a huge step (the worst epoch) and spends the budget in its 1st batch."""

            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 2:
                    self.model.optimizer.learning_rate.assign(1000.0)
                    now[0] = 100.0

            def on_train_end(self, logs=None):
                self.last = [np.array(w) for w in self.model.get_weights()]

        ruin = RuinTheThirdEpoch()
        config = tiny_config(
            tmp_path,
            epochs=6,
            max_time=50.0,
            patience=patience,
            schedule="none",
            monitor="val_loss",
        )
        result = train(config, extra_callbacks=[ruin])
        folder = result.model_dir
        history = result.history
        assert len(history["loss"]) == 3  # epochs 1, 2 and the cut epoch 3
        best = int(np.argmin(history["val_loss"])) + 1
        assert best in (1, 2) and history["val_loss"][2] > history["val_loss"][best - 1]

        outcome = result.time_budget
        assert (outcome.stopped, outcome.epochs, outcome.steps_in_last_epoch) == (True, 3, 1)
        steps = outcome.steps_per_epoch
        assert steps > 1
        kept = f"the weights of epoch {best}, the best by val_loss"
        assert kept in outcome.weights
        assert ("early stopping" if patience else CHECKPOINT_FILE) in outcome.weights

        # The model holds the best epoch's weights (the checkpoint's), not the last ones.
        best_model = keras.models.load_model(folder / CHECKPOINT_FILE)
        weights = result.model.get_weights()
        for mine, checkpointed in zip(weights, best_model.get_weights(), strict=True):
            self.assertAllClose(mine, checkpointed)
        assert any(not np.allclose(a, b) for a, b in zip(weights, ruin.last, strict=True))

        # Said in the report and recorded in train_config.json.
        sentence = (
            f"stopped by the time budget (max_time 50 s) after 3 epochs (epoch 3 cut after 1 of "
            f"{steps} steps)"
        )
        assert sentence in (folder / "report.txt").read_text()
        assert sentence in (folder / "report.md").read_text()
        report = json.loads((folder / "report.json").read_text())
        assert report["time_budget"]["stopped"] is True
        recorded = json.loads((folder / "train_config.json").read_text())
        assert recorded["max_time"] == 50.0
        assert recorded["time_budget"]["epochs"] == 3
        assert recorded["time_budget"]["weights"] == outcome.weights

    def test_the_flag_and_a_budget_not_reached(self, tmp_path, capsys, caplog):
        data = write_reviews(tmp_path / "reviews.csv")
        args = ["train", "--path", str(data), *TRAIN_FLAGS, "--output", str(tmp_path / "runs")]
        with caplog.at_level(logging.INFO):
            assert cli.main([*args, "--max-time", "3600"]) == 0
        out = capsys.readouterr().out
        assert "time budget: max_time 3600 s, not reached (1 epoch in" in out
        recorded = json.loads((tmp_path / "runs" / "tiny" / "train_config.json").read_text())
        assert recorded["max_time"] == 3600.0 and recorded["time_budget"]["stopped"] is False
        assert cli.main([*args, "--overwrite", "--max-time", "0"]) == 2
        assert "max_time" in capsys.readouterr().err
