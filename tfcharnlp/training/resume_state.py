"""What a killed run must remember besides its weights: early stopping's, the checkpoint's.

Keras' `BackupAndRestore` brings back the weights, the optimizer and the
epoch, but `EarlyStopping` and `ModelCheckpoint` start from scratch in the
resumed process: patience begins again, early stopping forgets its best
weights, and `checkpoints/best.keras` can be overwritten by an epoch worse
than one before the kill; a schedule fitted to the time budget
(`BudgetFittedSchedule`) would restart unfitted. `ResumeState` saves their
memory into the backup folder after every epoch and gives it back when the
run resumes, together with the config that wrote it, so a backup is resumed
only by the same run.
"""

import json
import logging
import os
import pathlib

import keras
import numpy as np

from tfcharnlp.errors import ConfigError
from tfcharnlp.training.budget_schedule import fitted_schedule

logger = logging.getLogger(__name__)

STATE_FILE = "resume_state.json"
BEST_WEIGHTS_FILE = "early_stopping_best.npz"
# Fields a resumed run may change: they bound or place the run, not what it computes.
RESUMABLE_CHANGES = ("max_time", "export", "export_base")


class ResumeState(keras.callbacks.Callback):
    """Saves and restores `early_stopping`'s and `checkpoint`'s state in `backup_dir`.

    Place it after both callbacks: its `on_train_begin` then runs after their
    own resets, and its `on_epoch_end` after their updates of the epoch.

    Args:
        backup_dir: the `BackupAndRestore` folder (deleted with it when `fit` ends).
        config: the run's resolved `TrainConfig` (recorded to refuse another run's backup).
        early_stopping: the run's `keras.callbacks.EarlyStopping`, or None.
        checkpoint: the run's best-only `keras.callbacks.ModelCheckpoint`, or None.
    """

    def __init__(self, backup_dir, config, early_stopping=None, checkpoint=None):
        super().__init__()
        self.backup_dir = pathlib.Path(backup_dir)
        self.config = config
        self.early_stopping = early_stopping
        self.checkpoint = checkpoint

    def on_train_begin(self, logs=None):
        state = read_state(self.backup_dir)
        if state is None:
            return
        stopping, checkpoint = self.early_stopping, self.checkpoint
        if stopping is not None and state.get("early_stopping"):
            saved = state["early_stopping"]
            stopping.wait, stopping.best = saved["wait"], saved["best"]
            stopping.best_epoch = saved["best_epoch"]
            weights = self.backup_dir / BEST_WEIGHTS_FILE
            if stopping.restore_best_weights and weights.is_file():
                with np.load(weights) as arrays:
                    stopping.best_weights = [arrays[f"w{i}"] for i in range(len(arrays.files))]
        if checkpoint is not None and state.get("checkpoint_best") is not None:
            checkpoint.best = state["checkpoint_best"]
        schedule = fitted_schedule(self.model.optimizer)
        if schedule is not None and state.get("schedule_warp"):
            schedule.set_warp(*state["schedule_warp"])
        logger.info(
            "resumed early stopping's and the best checkpoint's state of epoch %d: %s",
            state["epoch"] + 1,
            {key: state.get(key) for key in ("early_stopping", "checkpoint_best", "schedule_warp")},
        )

    def on_epoch_end(self, epoch, logs=None):
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        state = {"epoch": epoch, "config": self.config.to_dict()}
        stopping = self.early_stopping
        if stopping is not None:
            state["early_stopping"] = {
                "wait": stopping.wait,
                "best": _plain(stopping.best),
                "best_epoch": stopping.best_epoch,
            }
            if stopping.restore_best_weights and stopping.best_epoch == epoch:
                # This epoch is the best so far: its weights are what early stopping keeps.
                arrays = {f"w{i}": w for i, w in enumerate(stopping.best_weights or [])}
                _write_atomically(self.backup_dir / BEST_WEIGHTS_FILE, arrays)
        if self.checkpoint is not None:
            state["checkpoint_best"] = _plain(self.checkpoint.best)
        schedule = fitted_schedule(self.model.optimizer)
        if schedule is not None:
            state["schedule_warp"] = list(schedule.warp())
        _write_atomically(self.backup_dir / STATE_FILE, state)


def read_state(backup_dir):
    """The saved state of an interrupted run, or None (no state file)."""
    path = pathlib.Path(backup_dir) / STATE_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def check_resumable(backup_dir, config):
    """A `ConfigError` naming every field where `config` differs from the backup's run."""
    state = read_state(backup_dir)
    if state is None:
        return
    recorded, current = state["config"], config.to_dict()
    differing = [
        field
        for field in sorted(set(recorded) | set(current))
        if field not in RESUMABLE_CHANGES and recorded.get(field) != current.get(field)
    ]
    if differing:
        changes = "; ".join(
            f"{field}: {recorded.get(field)!r} -> {current.get(field)!r}" for field in differing
        )
        raise ConfigError(
            "config",
            f"{backup_dir} holds an interrupted run with other settings ({changes}); rerun "
            "with the same settings to resume it, or with --overwrite to start over",
        )


def _plain(value):
    """A JSON-ready number (Keras keeps bests as numpy floats, or None before the first)."""
    return None if value is None else float(value)


def _write_atomically(path, content):
    """Writes JSON (a dict) or an `.npz` (a dict of arrays) so a kill leaves the old file whole."""
    partial = path.with_name(path.name + ".partial")
    if path.suffix == ".npz":
        with open(partial, "wb") as stream:
            np.savez(stream, **content)
    else:
        partial.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)
