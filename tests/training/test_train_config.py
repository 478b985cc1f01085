import dataclasses
import json

import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import families
from tfcharnlp.training.train_config import TrainConfig

BASE = {"data": {"path": "train.csv", "label_column": "label"}}


class TestTrainConfig(TestCase):
    def test_json_file(self, tmp_path):
        path = tmp_path / "run.json"
        path.write_text(json.dumps({**BASE, "family": "lstm", "epochs": 4, "schedule": "cosine"}))
        config = TrainConfig.from_file(path)
        assert config.family == "lstm"
        assert config.epochs == 4
        assert config.schedule == "cosine"
        assert config.data["label_column"] == "label"
        # Recipe fields the file leaves out stay unset; the family's recipe fills them.
        assert config.batch_size is None and config.max_length is None
        resolved = config.resolve()
        assert resolved.batch_size == families.get_family("lstm").recipe()["batch_size"] == 32
        assert resolved.bidirectional is True
        assert resolved.max_length == "auto"  # measured on the training texts
        assert resolved.epochs == 4  # the file's value wins over the recipe's

    def test_yaml_file(self, tmp_path):
        path = tmp_path / "run.yaml"
        path.write_text(
            "data:\n  path: train.tsv\n  validation_split: 0.2\n"
            "family: cnn_lstm\nvariant: attention\nnormalize: [lower, remove_urls]\n"
            "class_weights: balanced\n"
        )
        config = TrainConfig.from_file(path)
        assert config.variant == "attention"
        assert config.normalize == ["lower", "remove_urls"]
        assert config.data["validation_split"] == 0.2
        assert config.class_weights == "balanced"

    def test_save_round_trip(self, tmp_path):
        config = TrainConfig.from_dict({**BASE, "optimizer": "sgd", "momentum": 0.8})
        config.save(tmp_path / "c.json")
        assert TrainConfig.from_file(tmp_path / "c.json") == config

    def test_replace_overrides_one_field(self):
        config = TrainConfig.from_dict({**BASE, "epochs": 4}).replace(epochs=7)
        assert config.epochs == 7
        assert config.data == BASE["data"]

    def test_model_dir(self):
        assert str(TrainConfig.from_dict(BASE).model_dir) == "models/char_cnn"
        config = TrainConfig.from_dict({**BASE, "output_dir": "out", "model_name": "spam"})
        assert str(config.model_dir) == "out/spam"

    @pytest.mark.parametrize(
        "overrides, field",
        [
            ({"family": "transformer"}, "family"),
            ({"optimizer": "rmsprop"}, "optimizer"),
            ({"schedule": "exponential"}, "schedule"),
            ({"epochs": 0}, "epochs"),
            ({"batch_size": "big"}, "batch_size"),
            ({"learning_rate": -0.1}, "learning_rate"),
            ({"dropout": 1.0}, "dropout"),
            ({"num_classes": 1}, "num_classes"),
            ({"max_length": 0}, "max_length"),
            ({"normalize": ["lower", "stem"]}, "normalize"),
            ({"class_weights": "inverse"}, "class_weights"),
            ({"class_weights": [1.0, -2.0]}, "class_weights"),
            ({"num_classes": 3, "class_weights": [1.0, 2.0]}, "class_weights"),
            ({"schedule": "cyclic", "max_learning_rate": 0.0001}, "max_learning_rate"),
            ({"label_smoothing": 1.5}, "label_smoothing"),
            ({"data": {}}, "data.path"),
            ({"data": {"path": "x.csv", "colour": "red"}}, "data.colour"),
            ({"data": {"path": "x.csv", "max_rows": 0}}, "data.max_rows"),
            ({"data": {"path": "x.csv", "validation_split": 1.0}}, "data.validation_split"),
            ({"family": "char_gru", "tokenizer": "word"}, "tokenizer"),
            ({"model_name": "../escape"}, "model_name"),
            ({"precision": "bfloat8"}, "precision"),
            ({"epochz": 3}, "epochz"),
            ({"word_split": "spaces"}, "word_split"),
            ({"word_vectors": "glove.txt"}, "word_vectors"),  # needs tokenizer 'word'
            ({"tokenizer": "word", "family": "char_cnn", "word_vectors": "v.txt"}, "word_vectors"),
            ({"tokenizer": "word", "family": "char_cnn"}, "tokenizer"),
            ({"recipe": "paper", "family": "lstm"}, "recipe"),
            ({"hidden_units": 64}, "hidden_units"),  # char_cnn has no recurrent layer
            ({"family": "lstm", "seq_length": 50}, "seq_length"),  # a language-model field
            ({"max_length": 64}, "max_length"),  # too short for char_cnn's convolutions
            ({"batch_size": 0}, "batch_size"),
            ({"momentum": 1.0}, "momentum"),
            ({"tokenizer": "ngram"}, "tokenizer"),  # char_cnn reads characters
            ({"family": "ngram_bag", "tokenizer": "word"}, "tokenizer"),
            ({"family": "lstm", "buckets": 1000}, "buckets"),  # an ngram_bag field
            ({"family": "ngram_bag", "buckets": 0}, "buckets"),
            ({"family": "ngram_bag", "buckets": 2**31}, "buckets"),
            ({"family": "ngram_bag", "word_ngrams": 0}, "word_ngrams"),
            ({"family": "ngram_bag", "char_ngram_min": -1}, "char_ngram_min"),
            ({"family": "ngram_bag", "char_ngram_min": 5, "char_ngram_max": 3}, "char_ngram_max"),
            ({"family": "ngram_bag", "char_ngram_min": 3, "char_ngram_max": 0}, "char_ngram_max"),
            ({"family": "ngram_bag", "word_vectors": "v.txt"}, "word_vectors"),
            ({"crop_length": 100}, "crop_length"),  # shorter than six convolutions need
            ({"recipe": "paper", "crop_length": 256}, "crop_length"),  # flattening: fixed length
            ({"model_options": {"pooling": "flatten"}}, "crop_length"),  # the recipe's 256
            ({"family": "lstm", "crop_length": 256}, "crop_length"),  # a char_cnn field
            ({"warmup_epochs": -1.0}, "warmup_epochs"),
            ({"steps_per_execution": 0}, "steps_per_execution"),
        ],
    )
    def test_validation_names_the_field(self, overrides, field):
        with pytest.raises(ConfigError) as raised:
            TrainConfig.from_dict({**BASE, **overrides})
        assert raised.value.field == field
        assert str(raised.value).startswith(f"{field}:")

    def test_the_tokenizer_defaults_to_the_familys_first(self):
        assert TrainConfig.from_dict(BASE).tokenizer is None
        assert TrainConfig.from_dict(BASE).resolve().tokenizer == "char"
        resolved = TrainConfig.from_dict({**BASE, "family": "ngram_bag"}).resolve()
        assert resolved.tokenizer == "ngram"
        assert (resolved.buckets, resolved.word_ngrams) == (2_000_000, 2)
        assert (resolved.char_ngram_min, resolved.char_ngram_max) == (0, 0)
        assert resolved.optimizer == "sparse_adam" and resolved.schedule == "linear"
        # A resolved config is a fixed point, and records the tokenizer it used.
        assert resolved.resolve() == resolved
        lstm = TrainConfig.from_dict({**BASE, "family": "lstm", "tokenizer": "word"})
        assert lstm.resolve().tokenizer == "word"

    def test_steps_per_execution_defaults_to_the_familys(self):
        assert TrainConfig.from_dict(BASE).steps_per_execution is None
        assert TrainConfig.from_dict(BASE).resolve().steps_per_execution == 1
        bag = {**BASE, "family": "ngram_bag"}
        assert TrainConfig.from_dict(bag).resolve().steps_per_execution == 32
        set_by_flag = TrainConfig.from_dict({**bag, "steps_per_execution": 4}).resolve()
        assert set_by_flag.steps_per_execution == 4

    def test_bad_file(self, tmp_path):
        path = tmp_path / "broken.yaml"
        path.write_text("data: [unclosed\n")
        with pytest.raises(ConfigError, match="cannot parse"):
            TrainConfig.from_file(path)
        with pytest.raises(ConfigError, match="file not found"):
            TrainConfig.from_file(tmp_path / "missing.json")


def test_shuffle_buffer_defaults_to_the_whole_training_set():
    from tfcharnlp.training.run_data import shuffle_buffer_size

    config = TrainConfig.from_dict(BASE)
    assert shuffle_buffer_size(config, 25000) == 25000
    assert shuffle_buffer_size(config.replace(shuffle_buffer=64), 25000) == 64
    with pytest.raises(ConfigError) as raised:
        config.replace(shuffle_buffer=0)
    assert raised.value.field == "shuffle_buffer"


class TestRecipes(TestCase):
    def test_unset_fields_take_the_family_recipe(self):
        for family in families.FAMILY_NAMES:
            config = TrainConfig.from_dict({**BASE, "family": family})
            resolved = config.resolve()
            recipe = families.get_family(family).recipe()
            for field, value in recipe.items():
                assert getattr(resolved, field) == value, (family, field)
            assert resolved.resolve() == resolved  # idempotent

    def test_flags_and_files_override_the_recipe(self):
        config = TrainConfig.from_dict({**BASE, "recipe": "paper", "learning_rate": 0.05})
        resolved = config.resolve()
        assert resolved.optimizer == "sgd" and resolved.schedule == "step"  # the paper's
        assert resolved.decay_rate == 0.5 and resolved.decay_epochs == 3.0
        assert resolved.learning_rate == 0.05  # the config's own value wins
        assert resolved.recipe == "paper"

    def test_model_options_merge_over_the_recipe(self, monkeypatch):
        family = families.get_family("lstm")
        recipes = {"default": {**family.recipes["default"], "model_options": {"a": 1, "b": 2}}}
        monkeypatch.setitem(families.FAMILIES, "lstm", dataclasses.replace(family, recipes=recipes))
        config = TrainConfig.from_dict({**BASE, "family": "lstm", "model_options": {"b": 3}})
        assert config.resolve().model_options == {"a": 1, "b": 3}

    def test_word_vectors_decide_an_unset_embedding_width(self):
        config = TrainConfig.from_dict(
            {**BASE, "family": "lstm", "tokenizer": "word", "word_vectors": "glove.txt"}
        )
        assert config.resolve().embedding_dim is None
        assert config.resolve().hidden_units == 128

    def test_every_recipe_of_a_family_sets_the_same_known_fields(self):
        for name, family in families.FAMILIES.items():
            assert families.DEFAULT_RECIPE in family.recipes, name
            for recipe_name, values in family.recipes.items():
                assert set(values) == set(family.fields), (name, recipe_name)
                assert set(values) <= set(families.RECIPE_FIELDS), (name, recipe_name)
            # Every recipe resolves to a valid config.
            for recipe_name in family.recipes:
                TrainConfig.from_dict({**BASE, "family": name, "recipe": recipe_name}).resolve()

    def test_recipe_fields_default_to_unset(self):
        defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
        for field in families.RECIPE_FIELDS:
            if field != "model_options":
                assert defaults[field] is None, field

    def test_the_paper_recipe_is_zhang_et_al(self):
        paper = families.get_family("char_cnn").recipe("paper")
        assert paper == {
            "max_length": 1014,
            "crop_length": None,
            "embedding_dim": None,
            "dropout": 0.5,
            "label_smoothing": 0.0,
            "model_options": {},
            "optimizer": "sgd",
            "learning_rate": 0.01,
            "momentum": 0.9,
            "schedule": "step",
            "warmup_epochs": 0.0,
            "decay_rate": 0.5,
            "decay_epochs": 3.0,
            "batch_size": 128,
            "epochs": 10,
            "patience": 3,
            "monitor": "val_loss",
        }
