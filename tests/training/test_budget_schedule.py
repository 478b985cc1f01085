"""Under `max_time`, a decaying schedule ends within the budget; runs that fit it are unchanged."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfcharnlp.training.budget_schedule import (
    BudgetFittedSchedule,
    FitScheduleToBudget,
    fitted_schedule,
)
from tfcharnlp.training.callbacks import build_callbacks
from tfcharnlp.training.optimizers import make_optimizer, make_schedule
from tfcharnlp.training.resume_state import ResumeState
from tfcharnlp.training.train_config import TrainConfig

TOTAL = 100


def cosine():
    return keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=TOTAL, alpha=0.01)


def config(**overrides):
    raw = {"data": {"path": "train.csv"}, "family": "char_cnn", "epochs": 10, **overrides}
    return TrainConfig.from_dict(raw).resolve()


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def rates(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


def test_unaimed_it_is_the_planned_schedule():
    steps = [0, 1, 37, 99, 100, 150]
    np.testing.assert_allclose(
        rates(BudgetFittedSchedule(cosine(), TOTAL), steps), rates(cosine(), [*steps[:-1], 100])
    )


def test_aim_continues_from_the_step_and_ends_where_asked():
    schedule = BudgetFittedSchedule(cosine(), TOTAL)
    before = float(schedule(20))
    schedule.aim(step=20, remaining_steps=10)
    assert float(schedule(20)) == pytest.approx(before)
    assert schedule.position(30) == pytest.approx(TOTAL)
    # Past its end it stays at the planned floor, alpha * initial rate.
    np.testing.assert_allclose(rates(schedule, [30, 31, 500]), 1e-5, rtol=1e-5)
    assert float(schedule(25)) < float(cosine()(25))


def test_it_serializes_with_its_warp():
    schedule = BudgetFittedSchedule(cosine(), TOTAL)
    schedule.aim(step=10, remaining_steps=30)
    restored = keras.optimizers.schedules.deserialize(
        keras.optimizers.schedules.serialize(schedule)
    )
    assert isinstance(restored, BudgetFittedSchedule)
    np.testing.assert_allclose(rates(restored, [10, 20, 40]), rates(schedule, [10, 20, 40]))


def test_max_time_fits_the_decaying_schedules_only():
    assert isinstance(make_schedule(config(max_time=60.0), 10), BudgetFittedSchedule)
    linear = config(max_time=60.0, schedule="linear", min_learning_rate=0.0)
    assert isinstance(make_schedule(linear, 10), BudgetFittedSchedule)
    assert not isinstance(make_schedule(config(), 10), BudgetFittedSchedule)
    stepped = config(max_time=60.0, schedule="step", decay_epochs=3, decay_rate=0.5)
    assert not isinstance(make_schedule(stepped, 10), BudgetFittedSchedule)
    assert fitted_schedule(make_optimizer(config(max_time=60.0), 10)) is not None
    assert fitted_schedule(make_optimizer(config(), 10)) is None


def compiled_model(schedule, steps_per_execution=1):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="mse",
        steps_per_execution=steps_per_execution,
    )
    return model


def run_epoch(callback, model, epoch, seconds, steps=10):
    """One epoch of `steps` batches lasting `seconds` on the callback's fake clock."""
    callback.on_epoch_begin(epoch)
    for batch in range(steps):
        callback.on_train_batch_end(batch)
        model.optimizer.iterations.assign_add(1)
    callback.clock.now += seconds
    callback.on_epoch_end(epoch, {})


def fit_callback(model, budget, epochs=10, steps=10):
    callback = FitScheduleToBudget(budget, clock=FakeClock())
    callback.set_model(model)
    callback.set_params({"epochs": epochs, "steps": steps})
    callback.on_train_begin()
    return callback


def test_a_budget_of_three_epochs_ends_the_schedule_after_the_third():
    schedule = BudgetFittedSchedule(cosine(), TOTAL)
    model = compiled_model(schedule)
    callback = fit_callback(model, budget=30.0)
    run_epoch(callback, model, 0, seconds=10.0)
    # 20 s left at 10 s an epoch: the schedule's remaining 90 steps are run in 20.
    assert schedule.position(10) == pytest.approx(10)
    assert schedule.position(30) == pytest.approx(TOTAL)
    assert callback.end_epoch == pytest.approx(3.0)
    run_epoch(callback, model, 1, seconds=5.0)  # faster: 15 s left fit 3 more epochs
    assert schedule.position(50) == pytest.approx(TOTAL)
    assert schedule.position(49) < TOTAL
    assert callback.end_epoch == pytest.approx(5.0)


def test_a_run_that_fits_its_budget_keeps_the_planned_schedule():
    schedule = BudgetFittedSchedule(cosine(), TOTAL)
    model = compiled_model(schedule)
    callback = fit_callback(model, budget=1000.0)
    for epoch in range(3):
        run_epoch(callback, model, epoch, seconds=10.0)
    assert schedule.warp() == pytest.approx((0.0, 1.0))
    assert callback.end_epoch is None


@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_steps_of_an_unsized_dataset_are_counted_per_batch_not_per_call():
    # 10 batches an epoch, fed 4 to a call; the filter hides the epoch's length from Keras.
    features = np.zeros((40, 2), "float32")
    batches = tf.data.Dataset.from_tensor_slices((features, features[:, :1])).batch(4)
    unsized = batches.filter(lambda x, y: True)
    schedule = BudgetFittedSchedule(cosine(), total_steps=30)  # 3 epochs of 10 steps
    model = compiled_model(schedule, steps_per_execution=4)
    model.fit(unsized, epochs=3, verbose=0, callbacks=[FitScheduleToBudget(3600.0)])
    # A budget of an hour fits the run: the planned schedule, step for step.
    assert schedule.warp() == pytest.approx((0.0, 1.0))
    assert int(model.optimizer.iterations.numpy()) == 30


def test_without_a_fitted_schedule_it_does_nothing():
    model = compiled_model(cosine())
    run_epoch(fit_callback(model, budget=5.0), model, 0, seconds=10.0)  # no error


def test_the_callbacks_aim_before_the_resume_state_saves(tmp_path):
    callbacks = build_callbacks(tmp_path, max_time=60.0, config=config(max_time=60.0))
    kinds = [type(callback) for callback in callbacks]
    assert kinds.index(FitScheduleToBudget) < kinds.index(ResumeState)


def test_a_killed_run_resumes_with_its_warp(tmp_path):
    backup = tmp_path / "backup"
    schedule = BudgetFittedSchedule(cosine(), TOTAL)
    model = compiled_model(schedule)
    schedule.aim(step=10, remaining_steps=20)
    resume = ResumeState(backup, config(max_time=60.0))
    resume.set_model(model)
    resume.on_train_begin()
    resume.on_epoch_end(0, {})
    # Killed; the new process's schedule starts unaimed until the state is read.
    fresh = BudgetFittedSchedule(cosine(), TOTAL)
    again = ResumeState(backup, config(max_time=60.0))
    again.set_model(compiled_model(fresh))
    again.on_train_begin()
    assert fresh.warp() == pytest.approx(schedule.warp())
