"""`train(config) -> TrainResult`: the one training path of `tfcharnlp train` and `tune`.

resolve the family's recipe -> seed -> distribution strategy -> the
classifier or language-model run (data, model, fit, held-out report, model
folder; see `model_folder` for its files). Exporting a SavedModel is the
caller's step (`tfcharnlp.export.export_model`), so training never depends
on export.
"""

import logging
import shutil

from tfcharnlp.errors import ConfigError
from tfcharnlp.training import callbacks as callbacks_lib
from tfcharnlp.training import devices
from tfcharnlp.training.model_folder import HISTORY_FILE, MODEL_FILE, is_trained_folder
from tfcharnlp.training.train_config import TrainConfig
from tfcharnlp.training.train_result import TrainResult

logger = logging.getLogger(__name__)

__all__ = ["TrainResult", "train"]


def check_run_folder(run_dir, overwrite=False):
    """Refuses to train into a finished run's folder unless `overwrite`.

    A finished run holds `model.keras` and no `backup/`; rerunning the same
    command would otherwise replace its model and reports without a word. An
    interrupted run (its `backup/` left) is not refused: `train` resumes it.
    """
    if overwrite or not is_trained_folder(run_dir) or callbacks_lib.has_backup(run_dir):
        return
    raise ConfigError(
        "overwrite",
        f"{run_dir} holds a finished run ({MODEL_FILE}, its reports); rerun with --overwrite "
        "to replace it, or give --model-name (or --output-dir) for a new folder",
    )


def train(config, extra_callbacks=(), strategy=None, overwrite=False):
    """Runs one training job described by `config` (a `TrainConfig` or a mapping).

    Unset recipe fields take the family's recipe (`TrainConfig.resolve`).
    A folder left by a killed run of the same config (its `backup/`) is
    resumed at the epoch after the last completed one. A finished run's
    folder is a `ConfigError` (`check_run_folder`) unless `overwrite`, which
    deletes the folder first (an interrupted run's too: it starts over).

    Args:
        config: a `TrainConfig` or a dict of its fields.
        extra_callbacks: Keras callbacks run before the run's own.
        strategy: a `tf.distribute.Strategy`; default: `devices.distribution_strategy()`
            (MirroredStrategy over several GPUs).
        overwrite: replace the run in the folder, finished or interrupted.
    """
    if not isinstance(config, TrainConfig):
        config = TrainConfig.from_dict(config)
    config = config.resolve()
    run_dir = config.model_dir
    check_run_folder(run_dir, overwrite)
    if overwrite and (is_trained_folder(run_dir) or callbacks_lib.has_backup(run_dir)):
        # Only a folder holding a run is deleted, never one that merely has the name.
        logger.info("overwrite: deleting the run in %s", run_dir)
        shutil.rmtree(run_dir)
    import keras

    keras.utils.set_random_seed(config.seed)
    strategy = strategy or devices.distribution_strategy()
    run_dir.mkdir(parents=True, exist_ok=True)
    if callbacks_lib.has_backup(run_dir):
        logger.info("resuming the interrupted run in %s", run_dir)
    else:
        # A fresh run must not append to the per-epoch log of an older one.
        (run_dir / HISTORY_FILE).unlink(missing_ok=True)
    if config.is_language_model:
        from tfcharnlp.training.language_model_run import train_language_model

        return train_language_model(config, run_dir, strategy, extra_callbacks)
    from tfcharnlp.training.classifier_run import train_classifier

    return train_classifier(config, run_dir, strategy, extra_callbacks)
