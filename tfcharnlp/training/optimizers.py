"""Learning-rate schedules and optimizers built from a resolved `TrainConfig` (`resolve()`)."""

import keras

from tfcharnlp.training.budget_schedule import BudgetFittedSchedule
from tfcharnlp.training.cyclic_learning_rate import CyclicLearningRate
from tfcharnlp.training.step_decay import StepDecay


def make_schedule(config, steps_per_epoch):
    """The config's learning rate: a float (`schedule: none`) or a `LearningRateSchedule`.

    Schedules count optimizer steps, so epoch-valued settings are converted
    with `steps_per_epoch`; this keeps them exact when a run resumes from a
    backup (the optimizer's iteration count is restored with it). Under
    `max_time` the schedules that decay over the run (cosine, linear) are
    `BudgetFittedSchedule`s, so they end within the budget.
    """
    steps_per_epoch = max(1, int(steps_per_epoch))
    schedule = _planned_schedule(config, steps_per_epoch)
    if config.max_time is not None and config.schedule in ("cosine", "linear"):
        return BudgetFittedSchedule(schedule, total_steps=config.epochs * steps_per_epoch)
    return schedule


def _planned_schedule(config, steps_per_epoch):
    if config.schedule == "none":
        return config.learning_rate
    if config.schedule == "step":
        return StepDecay(
            config.learning_rate,
            decay_steps=max(1, round(config.decay_epochs * steps_per_epoch)),
            decay_rate=config.decay_rate,
            minimum_learning_rate=config.min_learning_rate,
        )
    if config.schedule == "cyclic":
        return CyclicLearningRate(
            config.learning_rate,
            config.max_learning_rate,
            step_size=max(1, round(config.cycle_epochs * steps_per_epoch)),
            mode=config.cyclic_mode,
        )
    if config.schedule == "linear":
        # fastText's: from the initial rate down to the floor at the last step.
        return keras.optimizers.schedules.PolynomialDecay(
            config.learning_rate,
            decay_steps=max(1, config.epochs * steps_per_epoch),
            end_learning_rate=config.min_learning_rate,
            power=1.0,
        )
    if config.schedule == "cosine":
        total = max(1, config.epochs * steps_per_epoch)
        warmup = min(round((config.warmup_epochs or 0.0) * steps_per_epoch), total - 1)
        alpha = config.min_learning_rate / config.learning_rate
        if warmup <= 0:
            return keras.optimizers.schedules.CosineDecay(
                config.learning_rate, decay_steps=total, alpha=alpha
            )
        # From 0 up to the rate, then the cosine over the remaining steps.
        return keras.optimizers.schedules.CosineDecay(
            0.0,
            decay_steps=total - warmup,
            alpha=alpha,
            warmup_target=config.learning_rate,
            warmup_steps=warmup,
        )
    raise ValueError(f"unknown schedule {config.schedule!r}")  # validate() rejects it first


def make_optimizer(config, steps_per_epoch):
    """Adam, SGD with momentum, or `SparseAdam`, on the config's learning rate or schedule.

    `SparseAdam` updates only the embedding rows a batch used (the others
    keep their moments): the optimizer of a table of millions of hashed
    n-grams (`ngram_bag`), where Adam's full-table update costs more than
    the rest of the step. On dense gradients it is Adam.
    """
    learning_rate = make_schedule(config, steps_per_epoch)
    kwargs = {"clipnorm": config.clipnorm} if config.clipnorm else {}
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=config.momentum, **kwargs)
    if config.optimizer == "sparse_adam":
        from tfcharnlp.models.sparse_adam import SparseAdam

        return SparseAdam(learning_rate, **kwargs)
    return keras.optimizers.Adam(learning_rate, **kwargs)
