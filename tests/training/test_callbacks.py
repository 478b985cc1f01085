import csv

import keras
import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.training.callbacks import (
    EpochLog,
    build_callbacks,
    has_backup,
    monitor_mode,
    progress_verbosity,
)


class Killed(Exception):
    pass


class KillAtEpoch(keras.callbacks.Callback):
    """Raises when `epoch` begins, as a SIGKILL would stop the process mid-run."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Killed(f"killed at epoch {epoch}")


class RecordEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def tiny_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(
        "adam",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    return x, y


class TestCallbacks(TestCase):
    def test_resume_after_kill(self, tmp_path):
        x, y = data()
        first = RecordEpochs()
        callbacks = build_callbacks(tmp_path, patience=0, extra=[first, KillAtEpoch(2)])
        model = tiny_model()
        with pytest.raises(Killed):
            model.fit(x, y, validation_data=(x, y), epochs=4, callbacks=callbacks, verbose=0)
        assert first.epochs == [0, 1, 2]
        assert has_backup(tmp_path)
        weights_at_kill = [w.copy() for w in model.get_weights()]

        # A new process: fresh model, same folder. Epochs 0 and 1 completed, so it resumes at 2.
        second = RecordEpochs()
        restored = tiny_model()
        callbacks = build_callbacks(tmp_path, patience=0, extra=[second])
        restored.fit(x, y, validation_data=(x, y), epochs=4, callbacks=callbacks, verbose=0)
        assert second.epochs == [2, 3]
        # The backup is removed once the run completes.
        assert not has_backup(tmp_path)
        # The per-epoch CSV holds all four epochs across both processes.
        with open(tmp_path / "history.csv") as stream:
            rows = list(csv.DictReader(stream))
        assert [int(row["epoch"]) for row in rows] == [0, 1, 2, 3]
        assert set(rows[0]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
        # The resumed model started from the weights of the kill, not from scratch.
        assert not all(
            np.allclose(a, b) for a, b in zip(weights_at_kill, restored.get_weights(), strict=True)
        )

    def test_checkpoint_tensorboard_and_early_stopping(self, tmp_path):
        x, y = data()
        callbacks = build_callbacks(
            tmp_path, monitor="val_loss", patience=1, log_dir=tmp_path / "tb"
        )
        kinds = [type(c).__name__ for c in callbacks]
        assert kinds == [
            "BackupAndRestore",
            "CSVLogger",
            "TensorBoard",
            "ModelCheckpoint",
            "EarlyStopping",
            "EpochLog",  # the test's output is not a terminal
        ]
        assert callbacks[-2].restore_best_weights
        tiny_model().fit(x, y, validation_data=(x, y), epochs=2, callbacks=callbacks, verbose=0)
        assert (tmp_path / "checkpoints" / "best.keras").is_file()
        assert any((tmp_path / "tb").rglob("events.out.tfevents.*"))
        without = build_callbacks(tmp_path / "b", patience=0, checkpoint=False, backup=False)
        assert [type(c).__name__ for c in without] == ["CSVLogger", "TensorBoard", "EpochLog"]

    def test_modes_and_verbosity(self):
        assert monitor_mode("val_loss") == "min"
        assert monitor_mode("val_accuracy") == "max"
        assert monitor_mode("val_macro_f1") == "max"

        class Terminal:
            def isatty(self):
                return True

        assert progress_verbosity(Terminal()) == 1
        with open(__file__) as stream:
            assert progress_verbosity(stream) == 0  # EpochLog writes plain lines instead

    def test_epoch_log_writes_one_plain_line_per_epoch(self):
        import io

        x, y = data()
        stream = io.StringIO()
        tiny_model().fit(
            x, y, validation_data=(x, y), epochs=3, verbose=0,
            callbacks=[EpochLog("trial 7 ", stream=stream)],
        )  # fmt: skip
        lines = stream.getvalue().splitlines()
        assert len(lines) == 3
        assert lines[0].startswith("trial 7 epoch 1/3: loss ")
        assert "val_accuracy" in lines[2] and lines[2].endswith(" s)")
        assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()
