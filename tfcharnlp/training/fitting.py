"""`fit_model`: `Model.fit` with the run's callbacks, returning the whole run's history."""

import logging

from tfcharnlp.training import callbacks as callbacks_lib
from tfcharnlp.training.evaluation_report import read_history_csv
from tfcharnlp.training.model_folder import HISTORY_FILE

logger = logging.getLogger(__name__)


def fit_model(config, run_dir, model, train_ds, validation_ds, extra_callbacks=(), **fit_kwargs):
    """Fits `model` for `config.epochs` with the callbacks of `build_callbacks`.

    Returns `(history, initial_epoch)`: {metric: [value per epoch]} over the
    whole run (read back from `history.csv`, so a resumed run includes the
    epochs before the kill) and the epoch the run started at.
    """
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
    return read_history_csv(run_dir / HISTORY_FILE), initial_epoch
