import json

import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
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
        # Fields the file leaves out keep their defaults.
        assert config.batch_size == 128
        assert config.max_length == 1014

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
        ],
    )
    def test_validation_names_the_field(self, overrides, field):
        with pytest.raises(ConfigError) as raised:
            TrainConfig.from_dict({**BASE, **overrides})
        assert raised.value.field == field
        assert str(raised.value).startswith(f"{field}:")

    def test_bad_file(self, tmp_path):
        path = tmp_path / "broken.yaml"
        path.write_text("data: [unclosed\n")
        with pytest.raises(ConfigError, match="cannot parse"):
            TrainConfig.from_file(path)
        with pytest.raises(ConfigError, match="file not found"):
            TrainConfig.from_file(tmp_path / "missing.json")


def test_shuffle_buffer_defaults_to_the_whole_training_set():
    from tfcharnlp.training.trainer import shuffle_buffer_size

    config = TrainConfig.from_dict(BASE)
    assert shuffle_buffer_size(config, 25000) == 25000
    assert shuffle_buffer_size(config.replace(shuffle_buffer=64), 25000) == 64
    with pytest.raises(ConfigError) as raised:
        config.replace(shuffle_buffer=0)
    assert raised.value.field == "shuffle_buffer"
