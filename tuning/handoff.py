"""The hand-off to training: the best trial's values -> a `TrainConfig` -> `train()`.

As TFX's Trainer does after its Tuner: the winner is rebuilt from the same
search space (`HyperParameters.from_config` of `best_hyperparameters.json`),
here as the `TrainConfig` its values describe, and trained by `train()`,
the path `tfcharnlp train` takes: the same data and preprocessor, the
distribution strategy and precision, callbacks (early stopping,
checkpoints, backup, TensorBoard), the held-out report and plots, and the
model folder. Exporting it is the `tune` command's step.
"""

import logging

from tuning import search_space as search_space_lib

logger = logging.getLogger(__name__)


def best_config(hypermodel, best_hyperparameters_path, **changes):
    """The `TrainConfig` of the best trial's values, with `changes` (e.g. `epochs`) applied."""
    hyperparameters = search_space_lib.load_hyperparameters(best_hyperparameters_path)
    return hypermodel.trial_config(hyperparameters).replace(**changes)


def retrain_best(hypermodel, best_hyperparameters_path, epochs=None, extra_callbacks=()):
    """Trains the best configuration with `train()`; returns its `TrainResult`."""
    from tfcharnlp.training.trainer import train

    changes = {"epochs": epochs} if epochs else {}
    config = best_config(hypermodel, best_hyperparameters_path, **changes)
    logger.info("retraining the best %s configuration in %s", config.family, config.model_dir)
    return train(config, extra_callbacks=extra_callbacks)
