"""A killed run resumes with early stopping's and the best checkpoint's memory, or not at all."""

import keras
import numpy as np
import pytest

from tfcharnlp.errors import ConfigError
from tfcharnlp.training.resume_state import ResumeState, check_resumable
from tfcharnlp.training.train_config import TrainConfig

CONFIG = TrainConfig.from_dict({"data": {"path": "train.csv"}, "family": "lstm"}).resolve()


def tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def run_callbacks(model, backup_dir, tmp_path, patience=2):
    """One process's callbacks, as `build_callbacks` orders them."""
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "best.keras"), monitor="val_loss", mode="min", save_best_only=True
    )
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", mode="min", patience=patience, restore_best_weights=True
    )
    resume = ResumeState(backup_dir, CONFIG, stopping, checkpoint)
    callbacks = [checkpoint, stopping, resume]
    for callback in callbacks:
        callback.set_model(model)
        callback.on_train_begin()
    return callbacks


def epoch(model, callbacks, number, val_loss, weight):
    """Ends epoch `number` with the weights all set to `weight` and the given validation loss."""
    model.set_weights([np.full_like(w, weight) for w in model.get_weights()])
    for callback in callbacks:
        callback.on_epoch_end(number, {"val_loss": val_loss, "loss": val_loss})


def test_patience_best_weights_and_checkpoint_survive_a_kill(tmp_path):
    backup = tmp_path / "backup"
    model = tiny_model()
    first = run_callbacks(model, backup, tmp_path)
    epoch(model, first, 0, val_loss=1.0, weight=0.25)  # the best epoch
    epoch(model, first, 1, val_loss=2.0, weight=0.5)  # one epoch without improvement
    # Killed here; a new process builds new callbacks and resumes at epoch 2.
    resumed = tiny_model()
    second = run_callbacks(resumed, backup, tmp_path)
    checkpoint, stopping, _ = second
    assert (stopping.wait, stopping.best, stopping.best_epoch) == (1, 1.0, 0)
    assert checkpoint.best == 1.0
    epoch(resumed, second, 2, val_loss=3.0, weight=0.75)
    # Patience 2 is spent over both processes: epochs 1 and 2 did not improve.
    assert resumed.stop_training
    # The worse epoch did not replace the best checkpoint (saved at epoch 0).
    saved = keras.saving.load_model(tmp_path / "best.keras")
    np.testing.assert_allclose(saved.get_weights()[0], 0.25)
    # Early stopping restores the weights of epoch 0, from before the kill.
    stopping.on_train_end()
    np.testing.assert_allclose(resumed.get_weights()[0], 0.25)


def test_a_fresh_folder_starts_from_scratch(tmp_path):
    checkpoint, stopping, _ = run_callbacks(tiny_model(), tmp_path / "backup", tmp_path)
    assert stopping.wait == 0 and stopping.best is None and checkpoint.best is None


def test_a_backup_of_other_settings_is_refused(tmp_path):
    backup = tmp_path / "backup"
    model = tiny_model()
    epoch(model, run_callbacks(model, backup, tmp_path), 0, val_loss=1.0, weight=0.1)
    check_resumable(backup, CONFIG)  # the same run resumes
    check_resumable(backup, CONFIG.replace(max_time=60.0))  # a new time budget is allowed
    with pytest.raises(ConfigError) as raised:
        check_resumable(backup, CONFIG.replace(learning_rate=0.5, batch_size=7))
    message = str(raised.value)
    assert "batch_size: 32 -> 7" in message and "learning_rate: 0.002 -> 0.5" in message
    assert "--overwrite" in message
