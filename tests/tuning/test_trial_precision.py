"""The dtype policy is set inside every trial, where the model is built.

On a GPU with tensor cores precision "auto" is mixed_float16 (simulated
here by choosing the policy `devices.precision_policy` returns). KerasTuner
clears the Keras session before each trial, and that resets the global
dtype policy: a policy set once per process would leave the trials in
float32.
"""

import keras
import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.training import devices
from tfcharnlp.training.model_setup import ModelInputs
from tfcharnlp.training.train_config import TrainConfig
from tuning import tuner_factory
from tuning.multi_width_cnn_hypermodel import MultiWidthCNNHyperModel


@pytest.fixture
def tensor_cores(monkeypatch):
    monkeypatch.setattr(
        devices, "precision_policy", lambda requested="auto": ("mixed_float16", "test")
    )
    yield
    keras.mixed_precision.set_global_policy("float32")


class RecordingHyperModel(MultiWidthCNNHyperModel):
    """Records the global policy and the model's compute dtype when each model is built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.built_with = []

    def build(self, hp):
        model = super().build(hp)
        self.built_with.append(
            (keras.mixed_precision.global_policy().name, model.backbone.compute_dtype)
        )
        return model


def ids_data(rows=64, length=16, vocabulary_size=20):
    rng = np.random.default_rng(0)
    x = rng.integers(2, vocabulary_size, (rows, length)).astype("int32")
    y = (x[:, 0] >= vocabulary_size // 2).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


class TestTrialPrecision(TestCase):
    def test_clear_session_resets_the_global_policy(self, tensor_cores):
        # The reason the policy is set in every trial.
        keras.mixed_precision.set_global_policy("mixed_float16")
        keras.backend.clear_session()
        assert keras.mixed_precision.global_policy().name == "float32"

    @pytest.mark.integration
    def test_every_trial_builds_in_mixed_precision(self, tmp_path, tensor_cores):
        config = TrainConfig.from_dict(
            {"data": {"path": "x.csv"}, "family": "multi_width_cnn", "max_length": 16}
        )
        hypermodel = RecordingHyperModel(config, ModelInputs(vocabulary_size=20, num_classes=2))
        tuner = tuner_factory.build_tuner(
            hypermodel, "random", directory=tmp_path, project_name="p", max_trials=2, max_epochs=1
        )
        hypermodel.built_with.clear()  # the search-space declarations, before any trial
        data = ids_data()
        tuner_factory.search(tuner, data, data, epochs=1, patience=0)
        assert [t.status for t in tuner.oracle.trials.values()] == ["COMPLETED"] * 2
        assert hypermodel.built_with == [("mixed_float16", "float16")] * 2
        # The trial's own model: a loss-scaling optimizer, as Keras gives a float16 model.
        model = hypermodel.build(keras_tuner.HyperParameters())
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
