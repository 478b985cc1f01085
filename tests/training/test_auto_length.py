"""`max_length: auto`: the length measured on the training texts, within the family's bounds."""

import pytest
import tensorflow as tf

from tests.training.test_train_flags import parse
from tfcharnlp.errors import ConfigError
from tfcharnlp.training.run_data import resolve_auto_length
from tfcharnlp.training.train_config import TrainConfig

DATA = {"path": "train.csv"}


def texts(*lengths, word="ab"):
    """One text per length, of `length` words of two characters each (3 with the space)."""
    return tf.data.Dataset.from_tensor_slices([" ".join([word] * n) for n in lengths])


def auto(family="multi_width_cnn", **fields):
    return TrainConfig.from_dict(
        {"data": DATA, "family": family, "max_length": "auto", **fields}
    ).resolve()


def test_the_95th_percentile_of_characters_rounded_up():
    # 100 texts of 1..100 words: the 95th is 95 words = 284 characters -> 290.
    config = resolve_auto_length(auto(), texts(*range(1, 101)))
    assert config.max_length == 290


def test_words_for_a_word_tokenizer():
    config = resolve_auto_length(auto(tokenizer="word"), texts(*range(1, 101)))
    assert config.max_length == 95


def test_kept_within_the_family_bounds():
    # char_cnn needs 123 characters for its convolutions, and caps "auto" at 1014.
    assert resolve_auto_length(auto("char_cnn"), texts(3, 4, 5)).max_length == 123
    assert resolve_auto_length(auto("char_cnn"), texts(2000, 3000)).max_length == 1014


def test_a_given_length_is_kept():
    config = TrainConfig.from_dict({"data": DATA, "max_length": 300}).resolve()
    assert resolve_auto_length(config, texts(5000)) is config


def test_the_char_cnn_recipe_measures_its_length():
    assert TrainConfig.from_dict({"data": DATA}).resolve().max_length == "auto"


def test_the_flag_takes_auto_or_a_count():
    assert parse(["--path", "x.csv", "--max-length", "auto"]).max_length == "auto"
    assert parse(["--path", "x.csv", "--max-length", "200"]).max_length == 200


def test_a_language_model_prompt_length_cannot_be_auto():
    with pytest.raises(ConfigError, match="max_length"):
        TrainConfig.from_dict({"data": DATA, "family": "char_gru", "max_length": "auto"})
