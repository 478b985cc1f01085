"""Decaying learning-rate schedules fitted to the time budget (`max_time`).

A cosine or linear schedule decays over the recipe's epochs. Under a time
budget a run can stop long before the last of them with its rate still
high: the quality benchmark's SST-2 CharCNN fitted 7 of its 24 epochs in
600 s and stopped at 86% of its peak rate. `BudgetFittedSchedule` runs
the planned schedule on a warped step, `offset + rate * step` (two
variables, read in the graph), and `FitScheduleToBudget` re-aims the warp
after every epoch, from the epoch's measured time, so the planned schedule
ends when the budget or the last epoch is expected to: the rate reaches
its floor within the time the run has. Runs that fit their budget keep
the planned schedule step for step.
"""

import logging
import time

import keras
from keras import ops

from tfcharnlp.training.time_budget import optimizer_step

logger = logging.getLogger(__name__)


@keras.saving.register_keras_serializable(package="tfcharnlp")
class BudgetFittedSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """`schedule` read at `clip(offset + rate * step, 0, total_steps)`.

    Args:
        schedule: the planned `LearningRateSchedule`, ending at `total_steps`.
        total_steps: the planned schedule's length in optimizer steps.
        offset, rate: the warp (0 and 1: the planned schedule itself);
            `aim` sets them.

    Call arguments:
        step: the optimizer's iteration count.

    Example:

    ```python
    planned = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=1000)
    schedule = BudgetFittedSchedule(planned, total_steps=1000)
    schedule.aim(step=100, remaining_steps=200)  # end at step 300, not 1000
    float(schedule(300))  # 0.0: the planned schedule's end
    ```
    """

    def __init__(self, schedule, total_steps, offset=0.0, rate=1.0):
        if isinstance(schedule, dict):
            schedule = keras.optimizers.schedules.deserialize(schedule)
        self.schedule = schedule
        self.total_steps = int(total_steps)
        self.offset = keras.Variable(float(offset), dtype="float32", trainable=False, name="offset")
        self.rate = keras.Variable(float(rate), dtype="float32", trainable=False, name="rate")

    def __call__(self, step):
        warped = self.offset + self.rate * ops.cast(step, "float32")
        return self.schedule(ops.clip(warped, 0.0, float(self.total_steps)))

    def position(self, step):
        """The planned schedule's step that optimizer step `step` reads (a float)."""
        warped = float(self.offset.numpy()) + float(self.rate.numpy()) * step
        return min(max(warped, 0.0), float(self.total_steps))

    def aim(self, step, remaining_steps):
        """Continues from where `step` stands and ends the schedule `remaining_steps` later."""
        here = self.position(step)
        rate = (self.total_steps - here) / max(1.0, float(remaining_steps))
        self.set_warp(here - rate * step, rate)

    def warp(self):
        """`(offset, rate)` as floats, for the resume state."""
        return float(self.offset.numpy()), float(self.rate.numpy())

    def set_warp(self, offset, rate):
        self.offset.assign(float(offset))
        self.rate.assign(float(rate))

    def get_config(self):
        offset, rate = self.warp()
        return {
            "schedule": keras.optimizers.schedules.serialize(self.schedule),
            "total_steps": self.total_steps,
            "offset": offset,
            "rate": rate,
        }


def fitted_schedule(optimizer):
    """The optimizer's `BudgetFittedSchedule`, or None (another rate or schedule)."""
    # Keras keeps an optimizer's schedule in `_learning_rate`: it has no public accessor
    # (`optimizer.learning_rate` is the schedule's current value).
    schedule = getattr(optimizer, "_learning_rate", None)
    return schedule if isinstance(schedule, BudgetFittedSchedule) else None


class FitScheduleToBudget(keras.callbacks.Callback):
    """After each epoch, aims the `BudgetFittedSchedule` at the budget's or the run's end.

    The epochs still to come are the smaller of those the run plans and
    those the budget's remaining seconds fit at the last epoch's pace
    (validation included; a fraction counts). Without a `BudgetFittedSchedule`
    on the model's optimizer it does nothing.

    Args:
        seconds: the budget, in seconds of wall time from the start of `fit`.
        clock: a function returning seconds (default `time.monotonic`).
    """

    def __init__(self, seconds, clock=None):
        super().__init__()
        self.seconds = float(seconds)
        self.clock = clock or time.monotonic
        self.schedule = None
        self.start = self.epoch_start = None
        self.epoch_first_step = 0
        # The epoch (counted from 1, a fraction allowed) the schedule is aimed to end at,
        # when the budget moved it before the run's last epoch; else None.
        self.end_epoch = None

    def on_train_begin(self, logs=None):
        self.schedule = fitted_schedule(self.model.optimizer)
        self.start = self.clock()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = self.clock()
        self.epoch_first_step = optimizer_step(self.model)

    def on_epoch_end(self, epoch, logs=None):
        epochs_left = self.params.get("epochs", 0) - (epoch + 1)
        if self.schedule is None or epochs_left <= 0:
            return
        now = self.clock()
        pace = max(now - self.epoch_start, 1e-9)
        fitting = max(0.0, self.seconds - (now - self.start)) / pace
        epochs = min(float(epochs_left), fitting)
        step = optimizer_step(self.model)
        steps_per_epoch = self.params.get("steps") or step - self.epoch_first_step
        self.schedule.aim(step, epochs * steps_per_epoch)
        self.end_epoch = epoch + 1 + epochs if epochs < epochs_left else None
        if epochs < epochs_left:
            logger.info(
                "learning-rate schedule fitted to the time budget: it ends in %.1f more epochs "
                "(%.0f s each), not %d",
                epochs,
                pace,
                epochs_left,
            )
