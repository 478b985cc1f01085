"""`train(config) -> TrainResult`: the one training path of `tfcharnlp train` and `tune`.

resolve the family's recipe -> seed -> distribution strategy -> the
classifier or language-model run (data, model, fit, held-out report, model
folder; see `model_folder` for its files). Exporting a SavedModel is the
caller's step (`tfcharnlp.export.export_model`), so training never depends
on export.
"""

import logging

from tfcharnlp.training import callbacks as callbacks_lib
from tfcharnlp.training import devices
from tfcharnlp.training.model_folder import HISTORY_FILE
from tfcharnlp.training.train_config import TrainConfig
from tfcharnlp.training.train_result import TrainResult

logger = logging.getLogger(__name__)

__all__ = ["TrainResult", "train"]


def train(config, extra_callbacks=(), strategy=None):
    """Runs one training job described by `config` (a `TrainConfig` or a mapping).

    Unset recipe fields take the family's recipe (`TrainConfig.resolve`).
    A folder left by a killed run of the same config (its `backup/`) is
    resumed at the epoch after the last completed one.

    Args:
        config: a `TrainConfig` or a dict of its fields.
        extra_callbacks: Keras callbacks run before the run's own.
        strategy: a `tf.distribute.Strategy`; default: `devices.distribution_strategy()`
            (MirroredStrategy over several GPUs).
    """
    if not isinstance(config, TrainConfig):
        config = TrainConfig.from_dict(config)
    config = config.resolve()
    import keras

    keras.utils.set_random_seed(config.seed)
    strategy = strategy or devices.distribution_strategy()
    run_dir = config.model_dir
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
