"""`fit_model`: `Model.fit` with the run's callbacks, returning the whole run's history."""

import dataclasses
import logging
from typing import Optional

from tfcharnlp.training import callbacks as callbacks_lib
from tfcharnlp.training.budget_schedule import FitScheduleToBudget
from tfcharnlp.training.evaluation_report import read_history_csv
from tfcharnlp.training.model_folder import BACKUP_DIR, CHECKPOINT_FILE, HISTORY_FILE
from tfcharnlp.training.resume_state import check_resumable
from tfcharnlp.training.time_budget import TimeBudget, TimeBudgetOutcome

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class FitResult:
    """What `fit_model` returns.

    Args:
        history: {metric: [value per epoch]} over the whole run (read back from
            `history.csv`, so a resumed run includes the epochs before the kill).
        initial_epoch: the epoch the run started at (> 0 when resumed).
        time_budget: the `TimeBudgetOutcome` when `config.max_time` is set, else None.
    """

    history: dict
    initial_epoch: int
    time_budget: Optional[TimeBudgetOutcome] = None


def _best_epoch(history, monitor, initial_epoch):
    """`(epoch number from 1, value)` of the best `monitor` value since `initial_epoch`, or None."""
    values = history.get(monitor, [])[initial_epoch:]
    if not values:
        return None
    pick = min if callbacks_lib.monitor_mode(monitor) == "min" else max
    best = pick(range(len(values)), key=values.__getitem__)
    return initial_epoch + best + 1, values[best]


def _keep_best_weights(config, run_dir, model, monitor, history, initial_epoch):
    """After a fit the budget cut: the best epoch's weights, and a phrase saying which.

    Early stopping (patience > 0) has restored them already (Keras 3's
    `EarlyStopping.on_train_end` with `restore_best_weights`); without it
    they are read back from the run's best checkpoint. The epoch the budget
    cut short is a candidate like any other: it was validated too.
    """
    best = _best_epoch(history, monitor, initial_epoch)
    if best is None:
        return "the last weights (no epoch recorded)"
    epoch, value = best
    which = f"the weights of epoch {epoch}, the best by {monitor} ({value:.4g})"
    checkpoint = run_dir / CHECKPOINT_FILE
    if config.patience:
        return f"{which}, restored by early stopping"
    if config.checkpoint and checkpoint.is_file():
        model.load_weights(checkpoint)
        return f"{which}, read back from {CHECKPOINT_FILE}"
    return "the last weights (no checkpoint and no early stopping to keep the best)"


def fit_model(config, run_dir, model, train_ds, validation_ds, extra_callbacks=(), **fit_kwargs):
    """Fits `model` for `config.epochs` with the callbacks of `build_callbacks`; a `FitResult`.

    With `config.max_time`, a `TimeBudget` stops the fit within one batch
    (one call of `steps_per_execution` batches) of it, and the model then
    keeps the best epoch's weights (see `_keep_best_weights`).
    """
    # The config as the run resolved it (its data decided `max_length: auto`) is
    # what `ResumeState` records, so a backup is compared with the same values.
    check_resumable(run_dir / BACKUP_DIR, config)
    monitor = config.monitor
    if validation_ds is None and monitor.startswith("val_"):
        # Without a validation split (a test file only), watch the training metric instead.
        monitor = monitor[len("val_") :]
        logger.info("no validation data: early stopping and checkpoints watch %s", monitor)
    callbacks = callbacks_lib.build_callbacks(
        run_dir,
        monitor=monitor,
        patience=config.patience,
        checkpoint=config.checkpoint,
        backup=config.backup,
        log_dir=config.log_dir,
        extra=extra_callbacks,
        max_time=config.max_time,
        config=config,
    )
    if config.steps_per_epoch:
        train_ds = train_ds.repeat()
    model.fit(
        train_ds,
        validation_data=validation_ds,
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        callbacks=callbacks,
        # The tf.data pipeline shuffles; Keras' own flag does not apply to datasets.
        shuffle=False,
        verbose=callbacks_lib.progress_verbosity(),
        **fit_kwargs,
    )
    # BackupAndRestore records the epoch it restored on the model (Keras' own attribute).
    initial_epoch = getattr(model, "_initial_epoch", None) or 0
    history = read_history_csv(run_dir / HISTORY_FILE)
    budget = next((c for c in callbacks if isinstance(c, TimeBudget)), None)
    outcome = None
    if budget is not None:
        outcome = budget.outcome()
        fitted = next((c for c in callbacks if isinstance(c, FitScheduleToBudget)), None)
        outcome.schedule_end_epoch = fitted.end_epoch if fitted else None
        if outcome.stopped:
            # Said in the run's report (printed by its command), not logged a second time.
            outcome.weights = _keep_best_weights(
                config, run_dir, model, monitor, history, initial_epoch
            )
    return FitResult(history, initial_epoch, outcome)
