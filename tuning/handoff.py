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


def retrain_best(
    hypermodel,
    best_hyperparameters_path,
    epochs=None,
    extra_callbacks=(),
    max_time=None,
    overwrite=False,
):
    """Trains the best configuration with `train()`; returns its `TrainResult`.

    `epochs` and `max_time` (seconds, see `TrainConfig.max_time`) replace
    the search's values when given; `overwrite` is `train()`'s.
    """
    from tfcharnlp.training.trainer import train

    changes = {"epochs": epochs} if epochs else {}
    # The search's own budget is not the retrain's: it gets max_time or none.
    changes["max_time"] = max_time
    config = best_config(hypermodel, best_hyperparameters_path, **changes)
    logger.info("retraining the best %s configuration in %s", config.family, config.model_dir)
    return train(config, extra_callbacks=extra_callbacks, overwrite=overwrite)
