import keras
import pytest

from tests.test_case import TestCase
from tfcharnlp.training.cyclic_learning_rate import CyclicLearningRate
from tfcharnlp.training.optimizers import make_optimizer, make_schedule
from tfcharnlp.training.step_decay import StepDecay
from tfcharnlp.training.train_config import TrainConfig


def values(schedule, steps):
    return [float(schedule(step)) for step in steps]


class TestSchedules(TestCase):
    def test_step_decay(self):
        schedule = StepDecay(0.01, decay_steps=100, decay_rate=0.5, minimum_learning_rate=0.001)
        self.assertAllClose(
            values(schedule, [0, 99, 100, 250, 300, 1000]),
            [0.01, 0.01, 0.005, 0.0025, 0.00125, 0.001],
        )

    def test_cyclic_triangular(self):
        schedule = CyclicLearningRate(0.001, 0.006, step_size=100)
        self.assertAllClose(
            values(schedule, [0, 50, 100, 150, 200, 300]),
            [0.001, 0.0035, 0.006, 0.0035, 0.001, 0.006],
        )

    def test_cyclic_triangular2_halves_each_cycle(self):
        schedule = CyclicLearningRate(0.0, 0.008, step_size=10, mode="triangular2")
        self.assertAllClose(values(schedule, [10, 30, 50]), [0.008, 0.004, 0.002])

    def test_cyclic_rejects_unknown_mode(self):
        with pytest.raises(ValueError, match="mode"):
            CyclicLearningRate(0.1, 0.2, 10, mode="sine")

    @pytest.mark.parametrize(
        "schedule", [StepDecay(0.1, 7, 0.3, 0.01), CyclicLearningRate(0.1, 0.5, 4)]
    )
    def test_serialization(self, schedule):
        restored = keras.optimizers.schedules.deserialize(
            keras.optimizers.schedules.serialize(schedule)
        )
        assert type(restored) is type(schedule)
        assert restored.get_config() == schedule.get_config()
        self.assertAllClose(values(restored, [0, 5, 13]), values(schedule, [0, 5, 13]))

    def test_schedules_from_config(self):
        base = {"data": {"path": "x"}, "learning_rate": 0.01, "epochs": 4}

        def resolved(values):
            # The schedule reads a resolved config (the recipe's decay_rate 0.5 here).
            return TrainConfig.from_dict(values).resolve()

        config = resolved({**base, "schedule": "step", "decay_epochs": 2})
        self.assertAllClose(values(make_schedule(config, 10), [19, 20]), [0.01, 0.005])
        config = resolved(
            {**base, "schedule": "cyclic", "max_learning_rate": 0.02, "cycle_epochs": 1}
        )
        self.assertAllClose(values(make_schedule(config, 10), [0, 10, 20]), [0.01, 0.02, 0.01])
        config = resolved(
            {**base, "schedule": "cosine", "min_learning_rate": 0.001, "warmup_epochs": 0.0}
        )
        self.assertAllClose(values(make_schedule(config, 10), [0, 20, 40]), [0.01, 0.0055, 0.001])
        assert make_schedule(resolved({**base, "schedule": "none"}), 10) == 0.01

    def test_cosine_warm_up_rises_from_zero_then_decays_over_the_rest(self):
        config = TrainConfig.from_dict(
            {"data": {"path": "x"}, "learning_rate": 0.01, "epochs": 4, "schedule": "cosine",
             "warmup_epochs": 0.5}
        ).resolve()  # fmt: skip
        schedule = make_schedule(config, 10)  # 40 steps: 5 of warm-up, 35 of cosine
        self.assertAllClose(values(schedule, [0, 5, 22.5, 40]), [0.0, 0.01, 0.005, 0.0])
        assert values(schedule, [1])[0] == pytest.approx(0.002)

    def test_optimizers_from_config(self):
        config = TrainConfig.from_dict(
            {"data": {"path": "x"}, "optimizer": "sgd", "momentum": 0.7}
        ).resolve()
        optimizer = make_optimizer(config, 10)
        assert isinstance(optimizer, keras.optimizers.SGD)
        assert optimizer.momentum == 0.7
        assert isinstance(
            make_optimizer(config.replace(optimizer="adam"), 10), keras.optimizers.Adam
        )

    def test_linear_decay_reaches_the_floor_at_the_last_step(self):
        # fastText's schedule: from the initial rate to min_learning_rate over all epochs.
        config = TrainConfig.from_dict(
            {"data": {"path": "x"}, "learning_rate": 0.1, "epochs": 4, "schedule": "linear"}
        ).resolve()
        self.assertAllClose(
            values(make_schedule(config, 10), [0, 20, 40, 60]), [0.1, 0.05, 0.0, 0.0]
        )
        config = config.replace(min_learning_rate=0.02)
        self.assertAllClose(values(make_schedule(config, 10), [0, 20, 40]), [0.1, 0.06, 0.02])
        # A Keras schedule: it saves and loads with the optimizer, no registration needed.
        schedule = make_schedule(config, 10)
        restored = keras.optimizers.schedules.deserialize(
            keras.optimizers.schedules.serialize(schedule)
        )
        self.assertAllClose(values(restored, [0, 13, 40]), values(schedule, [0, 13, 40]))

    def test_sparse_adam_from_config(self):
        from tfcharnlp.models.sparse_adam import SparseAdam

        config = TrainConfig.from_dict(
            {"data": {"path": "x"}, "optimizer": "sparse_adam", "clipnorm": 1.0}
        ).resolve()
        optimizer = make_optimizer(config, 10)
        assert isinstance(optimizer, SparseAdam)
        assert optimizer.clipnorm == 1.0
        # The ngram_bag recipe's optimizer: SparseAdam on a linear decay.
        config = TrainConfig.from_dict({"data": {"path": "x"}, "family": "ngram_bag"}).resolve()
        optimizer = make_optimizer(config, 10)
        assert isinstance(optimizer, SparseAdam)
        assert isinstance(optimizer._learning_rate, keras.optimizers.schedules.PolynomialDecay)
