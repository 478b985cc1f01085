"""`TimeBudget`: a wall-clock limit on `Model.fit`, checked after every batch.

Keras 3's fit loop reads `model.stop_training` after each training batch
(and after each epoch): a callback that sets it in `on_train_batch_end`
ends the run within one batch of the budget (with `steps_per_execution`,
within one call of that many batches). The epoch it stopped in still
ends as any epoch does: validated, logged to history.csv, checkpointed, and
seen by early stopping. The clock starts when fitting starts; reading the
data and building the model before it, and the report and export after it,
are not counted. A resumed run starts a new budget.
"""

import dataclasses
import time
from typing import Optional

import keras


def _epochs(count):
    return f"{count} epoch" if count == 1 else f"{count} epochs"


def optimizer_step(model):
    """The optimizer's step count: callbacks count steps by it, not by batch hooks.

    With `steps_per_execution`, Keras calls the batch hooks once per call of
    that many steps.
    """
    return int(model.optimizer.iterations.numpy())


@dataclasses.dataclass
class TimeBudgetOutcome:
    """What the budget did to one `fit`, for the report and train_config.json.

    Args:
        max_time: the budget in seconds.
        seconds: wall time of the fit.
        stopped: True when the budget ended the fit before its last epoch was done.
        epochs: epochs run, counted from the first of the whole run (a resumed
            run's earlier epochs included), the cut one included.
        steps_in_last_epoch: batches the last epoch ran.
        steps_per_epoch: batches of a whole epoch, or None when unknown.
        weights: which weights the model keeps, as a phrase.
        schedule_end_epoch: the epoch a schedule fitted to the budget was last
            aimed to end at (`FitScheduleToBudget`), or None.
    """

    max_time: float
    seconds: float
    stopped: bool
    epochs: int
    steps_in_last_epoch: int
    steps_per_epoch: Optional[int] = None
    weights: str = "the last epoch's weights"
    schedule_end_epoch: Optional[float] = None

    def describe(self):
        """One sentence: `stopped by the time budget (max_time 30 s) after 3 epochs, 31.2 s; ...`."""
        if not self.stopped:
            return (
                f"time budget: max_time {self.max_time:g} s, not reached "
                f"({_epochs(self.epochs)} in {self.seconds:.1f} s)"
            )
        cut = ""
        if self.steps_per_epoch and self.steps_in_last_epoch < self.steps_per_epoch:
            cut = (
                f" (epoch {self.epochs} cut after {self.steps_in_last_epoch} of "
                f"{self.steps_per_epoch} steps)"
            )
        fitted = ""
        if self.schedule_end_epoch is not None:
            fitted = (
                "; the learning-rate schedule was fitted to the budget, to end at epoch "
                f"{self.schedule_end_epoch:.1f}"
            )
        return (
            f"stopped by the time budget (max_time {self.max_time:g} s) after "
            f"{_epochs(self.epochs)}{cut}, {self.seconds:.1f} s of fitting{fitted}; the model "
            f"keeps {self.weights}"
        )

    def to_dict(self):
        return dataclasses.asdict(self)


class TimeBudget(keras.callbacks.Callback):
    """Stops `fit` at the end of the first batch (or epoch) that ends after `seconds`.

    Args:
        seconds: the budget, in seconds of wall time from the start of `fit`
            (None: only `deadline` counts).
        clock: a function returning seconds (default `time.monotonic`).
        deadline: a `clock()` reading at which to stop whatever `seconds` says
            (a search's end, for its trials), or None.
        on_end: called with the `TimeBudgetOutcome` when `fit` ends. KerasTuner
            deep-copies a search's callbacks for every trial, so the instance
            given is not the one that runs; a function (`list.append`) is
            not copied, and so reaches the caller.
    """

    def __init__(self, seconds, clock=None, on_end=None, deadline=None):
        super().__init__()
        self.seconds = float("inf") if seconds is None else float(seconds)
        self.clock = clock or time.monotonic
        self.on_end = on_end
        self.deadline = deadline
        self.stopped = False
        self.epoch = 0
        self.epoch_first_step = 0
        self.start = None
        self.end = None

    def _spent(self):
        now = self.clock()
        return now - self.start >= self.seconds or (
            self.deadline is not None and now >= self.deadline
        )

    def on_train_begin(self, logs=None):
        self.start = self.clock()
        self.stopped = False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_first_step = optimizer_step(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if not self.stopped and self._spent():
            self.stopped = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        # The validation pass can spend the rest: do not start another epoch then.
        if not self.stopped and self._spent() and epoch + 1 < self.params.get("epochs", 0):
            self.stopped = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.end = self.clock()
        if self.on_end is not None:
            self.on_end(self.outcome())

    def outcome(self, weights=None):
        """The `TimeBudgetOutcome` of the fit that just ended."""
        steps = optimizer_step(self.model) - self.epoch_first_step
        steps_per_epoch = (self.params or {}).get("steps")
        epochs = self.epoch + 1
        last_epoch = epochs >= (self.params or {}).get("epochs", epochs)
        whole = steps_per_epoch is None or steps >= steps_per_epoch
        return TimeBudgetOutcome(
            max_time=self.seconds,
            seconds=(self.end or self.clock()) - self.start,
            # A budget spent in the very last batch of the run ended nothing early.
            stopped=self.stopped and not (last_epoch and whole),
            epochs=epochs,
            steps_in_last_epoch=steps,
            steps_per_epoch=steps_per_epoch,
            **({"weights": weights} if weights else {}),
        )
