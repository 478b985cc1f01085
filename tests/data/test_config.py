"""DataConfig: checked fields (ConfigError naming the field), format inference, round trip."""

import json

import pytest

from tfcharnlp.data import DataConfig
from tfcharnlp.errors import ConfigError


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"format": "xml"}, "format"),
        ({"label_prefix": "bert"}, "label_prefix"),
        ({"quoting": "all"}, "quoting"),
        ({"separator": "::"}, "separator"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"validation_split": -0.1}, "validation_split"),
        ({"max_rows": 0}, "max_rows"),
        ({"max_text_chars": 0}, "max_text_chars"),
        ({"max_rows": "10"}, "max_rows"),  # a string from a hand-written file, not a TypeError
        ({"validation_split": "0.1"}, "validation_split"),
        ({"encoding": "no-such-codec"}, "encoding"),
        ({"text_columns": ()}, "text_columns"),
    ],
)
def test_bad_values_name_the_field(kwargs, field):
    with pytest.raises(ConfigError) as error:
        DataConfig(path="x.csv", **kwargs)
    assert error.value.field == field


def test_messages_read_like_every_other_config_check():
    with pytest.raises(ConfigError, match=r"max_rows: expected an integer >= 1 or None, got 0"):
        DataConfig(path="x.csv", max_rows=0)
    with pytest.raises(
        ConfigError, match=r"validation_split: expected a number in \[0, 1\), got 1"
    ):
        DataConfig(path="x.csv", validation_split=1)


@pytest.mark.parametrize(
    "path,expected",
    [
        ("a.csv", "csv"),
        ("a.TSV", "tsv"),
        ("a.jsonl", "jsonl"),
        ("input.txt", "text"),
        ("train_5500.label", "prefixed"),
        ("tfds:glue/sst2", "tfds"),
    ],
)
def test_format_from_the_name(path, expected):
    assert DataConfig(path=path).resolved_format() == expected


def test_folder_is_directory_format_and_unknown_extension_is_an_error(tmp_path):
    assert DataConfig(path=tmp_path).resolved_format() == "directory"
    with pytest.raises(ConfigError, match="--format"):
        DataConfig(path="SMSSpamCollection").resolved_format()


def test_single_column_becomes_a_tuple_and_config_round_trips_through_json():
    config = DataConfig(path="a.csv", text_columns=2, label_map={1: "World"}, labels=["World"])
    assert config.text_columns == (2,)
    restored = DataConfig.from_config(json.loads(json.dumps(config.get_config())))
    assert restored == config
