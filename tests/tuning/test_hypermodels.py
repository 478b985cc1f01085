import keras
import keras_tuner
import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import families
from tfcharnlp.models.sparse_adam import SparseAdam
from tfcharnlp.training.model_setup import ModelInputs, build_model
from tfcharnlp.training.train_config import TrainConfig
from tuning import search_space
from tuning.char_cnn_hypermodel import CharCNNHyperModel
from tuning.char_gru_hypermodel import CharGRUHyperModel
from tuning.cnn_lstm_hypermodel import CNNLSTMHyperModel
from tuning.lstm_hypermodel import LSTMHyperModel
from tuning.multi_width_cnn_hypermodel import MultiWidthCNNHyperModel
from tuning.ngram_bag_hypermodel import NGramBagHyperModel

DATA = {"path": "train.csv"}

# The untuned defaults of every family: changing one is a visible decision.
DEFAULT_VALUES = {
    "char_cnn": {"filters": 256, "dense_units": 256, "dropout": 0.2, "learning_rate": 1e-3},
    "multi_width_cnn": {
        "kernel_sizes": "3,4,5",
        "embedding_dim": 16,
        "filters": 100,
        "dropout": 0.5,
        "learning_rate": 1e-3,
    },
    "lstm": {
        "embedding_dim": 128,
        "hidden_units": 128,
        "num_layers": 1,
        "bidirectional": True,
        "dropout": 0.5,
        "learning_rate": 2e-3,
    },
    "cnn_lstm": {
        "variant": "sequential",
        "embedding_dim": 128,
        "filters": 128,
        "kernel_size": 5,
        "hidden_units": 128,
        "bidirectional": False,
        "dropout": 0.5,
        "learning_rate": 2e-3,
    },
    "ngram_bag": {
        "embedding_dim": 16,
        "token_dropout": 0.0,
        "dropout": 0.0,
        "learning_rate": 0.1,
    },
    "char_gru": {
        "embedding_dim": 64,
        "hidden_units": 256,
        "num_layers": 2,
        "cell": "gru",
        "dropout": 0.1,
        "learning_rate": 2e-3,
    },
}


def config(family="lstm", **fields):
    return TrainConfig.from_dict({"data": DATA, "family": family, **fields})


def inputs(num_classes=3, vocabulary_size=30):
    return ModelInputs(vocabulary_size=vocabulary_size, num_classes=num_classes)


class TestHypermodels(TestCase):
    def test_every_family_has_a_hypermodel(self):
        for family in families.FAMILY_NAMES:
            assert search_space.hypermodel_class(family).family == family

    @pytest.mark.parametrize("family", sorted(DEFAULT_VALUES))
    def test_default_values_are_pinned(self, family):
        hp = search_space.search_space(family)
        assert hp.values == DEFAULT_VALUES[family]
        assert [p.name for p in hp.space] == list(DEFAULT_VALUES[family])

    @pytest.mark.parametrize("family", sorted(DEFAULT_VALUES))
    def test_defaults_are_the_recipe_values(self, family):
        # Where a searched value is a recipe field, its default is the recipe's.
        recipe = families.get_family(family).recipe()
        hp = search_space.search_space(family)
        overlap = set(hp.values) & set(recipe)
        assert {"dropout", "learning_rate"} <= overlap
        for name in overlap:
            assert hp.values[name] == recipe[name], name

    def test_another_recipe_moves_the_defaults_and_joins_the_choices(self):
        hp = search_space.search_space("char_cnn", recipe="paper")
        assert hp.values["learning_rate"] == 0.01
        (learning_rate,) = [p for p in hp.space if p.name == "learning_rate"]
        assert 0.01 in learning_rate.values and 1e-3 in learning_rate.values
        # A flag's value is the default the same way.
        hp = search_space.search_space("lstm", hidden_units=48, num_layers=3)
        assert hp.values["hidden_units"] == 48 and hp.values["num_layers"] == 3

    @pytest.mark.parametrize("family", ["multi_width_cnn", "lstm", "cnn_lstm"])
    def test_trial_model_is_the_model_train_builds(self, family):
        hypermodel = search_space.get_hypermodel(config(family, max_length=24), inputs())
        hp = keras_tuner.HyperParameters()
        model = hypermodel.build(hp)
        ids = np.random.randint(0, 30, size=(2, 24)).astype("int32")
        assert tuple(model(ids).shape) == (2, 3)
        recipe_rate = families.get_family(family).recipe()["learning_rate"]
        assert model.optimizer.learning_rate.numpy() == pytest.approx(recipe_rate)
        assert {m.name for m in model.metrics} >= {"loss", "compile_metrics"}
        # `train()` builds from the trial's config through the same function.
        trained = build_model(hypermodel.trial_config(hp), inputs())

        def architecture(m):
            return {k: v for k, v in m.backbone.get_config().items() if k != "name"}

        assert architecture(trained) == architecture(model)
        assert trained.count_params() == model.count_params()
        assert trained.get_config()["dropout"] == model.get_config()["dropout"] == 0.5
        keras.backend.clear_session()

    def test_trials_use_the_recipe_optimizer_and_schedule(self):
        from tfcharnlp.training.step_decay import StepDecay

        hypermodel = CharCNNHyperModel(
            config("char_cnn", recipe="paper", max_length=128),
            ModelInputs(vocabulary_size=30, num_classes=2, steps_per_epoch=10),
        )
        model = hypermodel.build(keras_tuner.HyperParameters())
        assert isinstance(model.optimizer, keras.optimizers.SGD)
        assert isinstance(model.optimizer.learning_rate, StepDecay) or isinstance(
            model.optimizer._learning_rate, StepDecay
        )
        keras.backend.clear_session()

    def test_char_cnn_builds_with_searched_width(self):
        hp = keras_tuner.HyperParameters()
        hp.Fixed("filters", 64)
        hp.Fixed("dense_units", 256)
        hypermodel = CharCNNHyperModel(config("char_cnn", max_length=128), inputs(2))
        model = hypermodel.build(hp)
        ids = np.random.randint(0, 30, size=(2, 128)).astype("int32")
        assert tuple(model(ids).shape) == (2, 2)
        assert model.backbone.get_config()["filters"] == 64
        assert hypermodel.trial_config(hp).model_options == {
            **families.get_family("char_cnn").recipe()["model_options"],
            "filters": 64,
            "dense_units": 256,
        }

    def test_ngram_bag_trials_share_the_runs_ids(self):
        # The n-gram settings are the tokenizer's: fixed, not searched (every trial fits
        # the ids the run tokenized once); the bag's width and dropouts are searched.
        hp = keras_tuner.HyperParameters()
        hp.Fixed("embedding_dim", 8)
        hp.Fixed("token_dropout", 0.25)
        hypermodel = NGramBagHyperModel(config("ngram_bag", max_length=12), inputs(2, 50))
        model = hypermodel.build(hp)
        ids = np.random.randint(0, 50, size=(2, 12)).astype("int32")
        assert tuple(model(ids).shape) == (2, 2)
        assert model.backbone.get_config()["token_dropout"] == 0.25
        assert isinstance(model.optimizer, SparseAdam)
        trial = hypermodel.trial_config(hp)
        assert (trial.embedding_dim, trial.model_options) == (8, {"token_dropout": 0.25})
        assert trial.buckets == 2_000_000 and trial.tokenizer == "ngram"
        keras.backend.clear_session()

    def test_cnn_lstm_builds_each_variant(self):
        hypermodel = CNNLSTMHyperModel(config("cnn_lstm", max_length=16), inputs(2, 20))
        for variant in ("sequential", "concatenated", "parallel", "attention"):
            hp = keras_tuner.HyperParameters()
            hp.Fixed("variant", variant)
            hp.Fixed("embedding_dim", 32)
            hp.Fixed("filters", 64)
            hp.Fixed("hidden_units", 64)
            model = hypermodel.build(hp)
            assert model.backbone.get_config()["variant"] == variant
            keras.backend.clear_session()

    def test_generator_builds_a_language_model(self):
        hypermodel = CharGRUHyperModel(
            config("char_gru", hidden_units=16, num_layers=1), ModelInputs(vocabulary_size=20)
        )
        model = hypermodel.build(keras_tuner.HyperParameters())
        ids = np.random.randint(0, 20, size=(2, 12)).astype("int32")
        assert tuple(model(ids).shape) == (2, 12, 20)
        assert hypermodel.objective == "val_loss"

    @pytest.mark.parametrize(
        "cls, family, fields, model_inputs, field",
        [
            (CharCNNHyperModel, "char_cnn", {}, inputs(vocabulary_size=2), "vocabulary_size"),
            (CharCNNHyperModel, "char_cnn", {}, inputs(num_classes=1), "num_classes"),
            (CharCNNHyperModel, "lstm", {}, inputs(), "family"),
            (LSTMHyperModel, "lstm", {}, inputs(num_classes=None), "num_classes"),
            (MultiWidthCNNHyperModel, "multi_width_cnn", {}, inputs(vocabulary_size=1.5), "vocabulary_size"),
        ],
    )  # fmt: skip
    def test_constructor_rejects_bad_structure(self, cls, family, fields, model_inputs, field):
        with pytest.raises(ConfigError) as info:
            cls(config(family, **fields), model_inputs)
        assert info.value.field == field

    def test_objectives_follow_the_task(self):
        with pytest.raises(ConfigError, match="objective"):
            LSTMHyperModel(config(), inputs(), objective="accuracy")
        with pytest.raises(ConfigError, match="objective"):
            CharGRUHyperModel(config("char_gru"), ModelInputs(20), objective="val_accuracy")
        assert LSTMHyperModel(config(), inputs(), objective="val_macro_f1").objective == (
            "val_macro_f1"
        )

    def test_unknown_family_names_the_field(self):
        with pytest.raises(ConfigError, match="family"):
            search_space.search_space("transformer")


class TestSharedSpace(TestCase):
    def test_best_hyperparameters_round_trip_rebuilds_the_same_model(self, tmp_path):
        space = search_space.search_space("lstm")
        hp = keras_tuner.HyperParameters.from_config(space.get_config())
        hp.values["hidden_units"] = 64
        hp.values["bidirectional"] = True
        path = tmp_path / "best_hyperparameters.json"
        search_space.save_hyperparameters(hp, path)
        loaded = search_space.load_hyperparameters(path)
        assert loaded.values == hp.values
        assert loaded.get_config() == hp.get_config()
        hypermodel = LSTMHyperModel(config(max_length=16), inputs(2, 20))
        model = hypermodel.build(loaded)
        assert model.backbone.get_config()["hidden_units"] == 64
        assert model.backbone.get_config()["bidirectional"] is True
        retrain = hypermodel.trial_config(loaded)
        assert (retrain.hidden_units, retrain.bidirectional) == (64, True)

    def test_unreadable_best_hyperparameters_name_the_file(self, tmp_path):
        path = tmp_path / "best_hyperparameters.json"
        path.write_text("{not json")
        with pytest.raises(ConfigError, match="best_hyperparameters"):
            search_space.load_hyperparameters(path)
        with pytest.raises(ConfigError, match="no file"):
            search_space.load_hyperparameters(tmp_path / "absent.json")
