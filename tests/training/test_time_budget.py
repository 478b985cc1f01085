"""`TimeBudget`: fit stops within one batch of the budget, and says how it ended."""

import copy
import itertools

import keras
import numpy as np

from tfcharnlp.training.time_budget import TimeBudget, TimeBudgetOutcome


def tiny_model(steps_per_execution=1):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(
        "sgd",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        steps_per_execution=steps_per_execution,
    )
    return model


def data(rows=40):
    x = np.random.default_rng(0).normal(size=(rows, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int32")


class Steps(keras.callbacks.Callback):
    """Counts the batches fit really ran."""

    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_stops_after_the_batch_that_spends_the_budget():
    # A clock that advances one second per reading: begin at 0, batch k ends at k.
    ticks = itertools.count()
    budget = TimeBudget(2.5, clock=lambda: float(next(ticks)))
    steps = Steps()
    x, y = data()
    history = tiny_model().fit(x, y, batch_size=4, epochs=5, callbacks=[budget, steps], verbose=0)
    assert steps.batches == 3  # 10 batches an epoch; the third one ends at 3 >= 2.5
    assert len(history.history["loss"]) == 1  # the cut epoch still ends (and is logged)
    outcome = budget.outcome(weights="the last weights")
    assert (outcome.stopped, outcome.epochs, outcome.steps_in_last_epoch) == (True, 1, 3)
    assert outcome.steps_per_epoch == 10
    assert outcome.describe() == (
        "stopped by the time budget (max_time 2.5 s) after 1 epoch (epoch 1 cut after 3 of 10 "
        f"steps), {outcome.seconds:.1f} s of fitting; the model keeps the last weights"
    )
    outcome.schedule_end_epoch = 4.3  # FitScheduleToBudget's aim, set by fit_model
    assert (
        "of fitting; the learning-rate schedule was fitted to the budget, to end at epoch 4.3; "
        "the model keeps" in outcome.describe()
    )


def test_a_budget_not_reached_lets_fit_finish():
    budget = TimeBudget(3600)
    x, y = data()
    tiny_model().fit(x, y, batch_size=8, epochs=2, callbacks=[budget], verbose=0)
    outcome = budget.outcome()
    assert not outcome.stopped and outcome.epochs == 2 and outcome.steps_in_last_epoch == 5
    assert outcome.describe().startswith("time budget: max_time 3600 s, not reached (2 epochs")


def test_steps_are_counted_per_batch_when_one_call_runs_several():
    # Keras calls the batch hooks once per call of `steps_per_execution` batches.
    ticks = itertools.count()
    budget = TimeBudget(1.5, clock=lambda: float(next(ticks)))  # the second call spends it
    x, y = data()
    tiny_model(steps_per_execution=3).fit(
        x, y, batch_size=4, epochs=2, callbacks=[budget], verbose=0
    )
    outcome = budget.outcome()
    assert (outcome.stopped, outcome.epochs, outcome.steps_in_last_epoch) == (True, 1, 6)
    assert "epoch 1 cut after 6 of 10 steps" in outcome.describe()


def test_spent_in_the_last_batch_of_the_run_is_not_a_stop():
    ticks = itertools.count()
    budget = TimeBudget(5, clock=lambda: float(next(ticks)))  # batch 5 of 5 ends at 5
    x, y = data(20)
    tiny_model().fit(x, y, batch_size=4, epochs=1, callbacks=[budget], verbose=0)
    assert budget.stopped and not budget.outcome().stopped


def test_spent_during_validation_starts_no_new_epoch():
    now = [0.0]

    class SlowValidation(keras.callbacks.Callback):
        def on_test_end(self, logs=None):
            now[0] += 100.0  # the validation pass of epoch 1 spends the budget

    budget = TimeBudget(50, clock=lambda: now[0])
    x, y = data()
    history = tiny_model().fit(
        x,
        y,
        batch_size=8,
        epochs=4,
        validation_data=(x, y),
        callbacks=[budget, SlowValidation()],
        verbose=0,
    )
    assert len(history.history["loss"]) == 1
    outcome = budget.outcome()
    assert outcome.stopped and outcome.epochs == 1 and outcome.steps_in_last_epoch == 5
    assert "cut after" not in outcome.describe()  # epoch 1 was whole


def test_the_outcome_reaches_the_caller_through_a_deep_copy():
    # KerasTuner deep-copies a search's callbacks for each trial.
    outcomes = []
    budget = copy.deepcopy(TimeBudget(0.0, on_end=outcomes.append))
    x, y = data()
    tiny_model().fit(x, y, batch_size=4, epochs=3, callbacks=[budget], verbose=0)
    (outcome,) = outcomes
    assert isinstance(outcome, TimeBudgetOutcome)
    assert outcome.stopped and outcome.steps_in_last_epoch == 1
    assert outcome.to_dict()["max_time"] == 0.0
