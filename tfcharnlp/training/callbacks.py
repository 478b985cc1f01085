"""The Keras callbacks of a training run, assembled in one place."""

import pathlib
import sys
import time

import keras

from tfcharnlp.training.budget_schedule import FitScheduleToBudget
from tfcharnlp.training.model_folder import BACKUP_DIR, CHECKPOINT_FILE, HISTORY_FILE, LOG_DIR
from tfcharnlp.training.resume_state import ResumeState
from tfcharnlp.training.time_budget import TimeBudget


def on_terminal(stream=None):
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def progress_verbosity(stream=None):
    """Keras' `verbose`: 1 (a live progress bar) on a terminal, else 0 (`EpochLog` writes).

    Keras' own per-epoch output (verbose 2) takes two lines per epoch and
    its bars rewrite the line with `\\r`; a log file gets one plain line per
    epoch from `EpochLog` instead.
    """
    return 1 if on_terminal(stream) else 0


class EpochLog(keras.callbacks.Callback):
    """One plain line per epoch: `<prefix>epoch 2/10: loss 0.41 accuracy 0.83 ... (3.2 s)`.

    For output that is not a terminal (logs, CI, `> file`): no progress
    bars, no carriage returns, no colour codes.
    """

    def __init__(self, prefix="", stream=None):
        super().__init__()
        self.prefix = prefix
        self.stream = stream

    def on_train_begin(self, logs=None):
        self.epochs = self.params.get("epochs") if self.params else None

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        # Training metrics, then validation ones; the loss first in each.
        names = sorted(logs or {}, key=lambda n: (n.startswith("val_"), not n.endswith("loss"), n))
        values = " ".join(f"{name} {logs[name]:.4g}" for name in names)
        seconds = time.monotonic() - getattr(self, "start", time.monotonic())
        total = f"/{self.epochs}" if self.epochs else ""
        print(
            f"{self.prefix}epoch {epoch + 1}{total}: {values} ({seconds:.1f} s)",
            file=self.stream or sys.stdout,
            flush=True,
        )


def progress_callbacks(prefix="", stream=None):
    """The callbacks that report progress when Keras itself is quiet (`progress_verbosity` 0)."""
    return [] if on_terminal(stream) else [EpochLog(prefix, stream)]


def monitor_mode(monitor):
    """Losses go down; accuracies and F1 go up."""
    return "min" if "loss" in monitor else "max"


def build_callbacks(
    run_dir,
    monitor="val_loss",
    patience=0,
    checkpoint=True,
    backup=True,
    log_dir=None,
    extra=(),
    max_time=None,
    config=None,
):
    """Callbacks for `Model.fit`, writing into `run_dir`.

    - `BackupAndRestore` (`<run_dir>/backup/`): saved every epoch, deleted when
      `fit` ends normally, restored by the next `fit` after a crash or kill, so
      the run resumes at the epoch after the last one completed.
    - `CSVLogger` (`history.csv`, appending so a resumed run keeps its past epochs).
    - `TensorBoard` (`log_dir`, default `<run_dir>/logs`).
    - `ModelCheckpoint` of the best model by `monitor` (`checkpoints/best.keras`).
    - `EarlyStopping(patience, restore_best_weights=True)` when `patience > 0`.
    - `ResumeState` (with `backup` and the run's `config`): early stopping's and
      the checkpoint's memory kept across a kill, in `backup/`.
    - `TimeBudget(max_time)` when `max_time` (seconds) is given: stops after
      the batch that spends it; and `FitScheduleToBudget(max_time)`, which
      ends a decaying schedule within it.
    - `EpochLog` (one line per epoch) when the output is not a terminal.

    `extra` callbacks come first, so a test can raise from one to simulate a kill.
    """
    run_dir = pathlib.Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    mode = monitor_mode(monitor)
    callbacks = list(extra)
    if backup:
        # Backing up first means the epoch's state is on disk before later callbacks can fail.
        callbacks.append(keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR)))
    callbacks.append(keras.callbacks.CSVLogger(str(run_dir / HISTORY_FILE), append=True))
    callbacks.append(
        keras.callbacks.TensorBoard(log_dir=str(log_dir or run_dir / LOG_DIR), update_freq="epoch")
    )
    best_checkpoint = early_stopping = None
    if checkpoint:
        path = run_dir / CHECKPOINT_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        best_checkpoint = keras.callbacks.ModelCheckpoint(
            str(path), monitor=monitor, mode=mode, save_best_only=True, verbose=0
        )
        callbacks.append(best_checkpoint)
    if patience and patience > 0:
        early_stopping = keras.callbacks.EarlyStopping(
            monitor=monitor, mode=mode, patience=patience, restore_best_weights=True
        )
        callbacks.append(early_stopping)
    if max_time is not None:
        # Before ResumeState, so the backup holds the schedule as this epoch re-aimed it.
        callbacks.append(FitScheduleToBudget(max_time))
    if backup and config is not None:
        callbacks.append(ResumeState(run_dir / BACKUP_DIR, config, early_stopping, best_checkpoint))
    if max_time is not None:
        callbacks.append(TimeBudget(max_time))
    callbacks.extend(progress_callbacks())
    return callbacks


def has_backup(run_dir):
    """True when a previous run of this folder was interrupted and left a backup."""
    backup = pathlib.Path(run_dir) / BACKUP_DIR
    return backup.is_dir() and any(backup.iterdir())
