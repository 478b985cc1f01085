import argparse
import json

import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.training.train_flags import add_train_arguments, config_from_args


def parse(argv):
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    return config_from_args(parser.parse_args(argv))


class TestTrainFlags(TestCase):
    def test_flags_override_the_file(self, tmp_path):
        path = tmp_path / "run.yaml"
        path.write_text(
            "data:\n  preset: trec\n  max_rows: 100\nfamily: lstm\nepochs: 5\nbatch_size: 32\n"
            "learning_rate: 0.01\n"
        )
        config = parse(
            ["--config", str(path), "--epochs", "2", "--batch_size", "16", "--max-rows", "50"]
        )
        assert config.epochs == 2  # flag
        assert config.batch_size == 16  # underscore spelling of the char-CNN trainer
        assert config.learning_rate == 0.01  # from the file
        assert config.family == "lstm"  # from the file
        assert config.data == {"preset": "trec", "max_rows": 50}

    def test_defaults_without_file(self):
        config = parse(["--preset", "sms_spam", "--family", "cnn_lstm", "--variant", "parallel"])
        assert config.data == {"preset": "sms_spam"}
        assert config.variant == "parallel"
        assert config.epochs is None  # unset: the family recipe's 10 when resolved
        assert config.resolve().epochs == 10

    def test_path_replaces_a_file_preset(self, tmp_path):
        path = tmp_path / "run.json"
        path.write_text(
            json.dumps({"data": {"preset": "trec", "split": "train", "encoding": "latin-1"}})
        )
        data_file = tmp_path / "mine.csv"
        data_file.write_text("text,label\na,b\n")
        config = parse(["--config", str(path), "--path", str(data_file), "--label-column", "label"])
        assert config.data == {
            "path": str(data_file),
            "encoding": "latin-1",
            "label_column": "label",
        }

    def test_special_flags(self):
        config = parse(
            [
                "--preset", "trec", "--normalize", "lower,remove_urls", "--class-weights", "balanced",
                "--focal_loss", "--gamma", "1.5", "--no-checkpoint", "--log_path", "tb",
                "--output", "out", "--scheduler", "cyclic", "--max-learning-rate", "0.1",
                "--test-split", "test", "--text-column", "1", "--text-column", "text",
            ]
        )  # fmt: skip
        assert config.normalize == ["lower", "remove_urls"]
        assert config.class_weights == "balanced"
        assert config.loss == "focal"
        assert config.focal_gamma == 1.5
        assert config.checkpoint is False
        assert config.log_dir == "tb"
        assert config.output_dir == "out"
        assert config.schedule == "cyclic"
        assert config.test_data == {"preset": "trec", "split": "test"}
        assert config.data["text_columns"] == [1, "text"]
        assert parse(["--preset", "trec", "--class-weights", "1,2.5"]).class_weights == [1.0, 2.5]

    def test_dev_flags(self, tmp_path):
        config = parse(["--preset", "sst2", "--dev-split", "dev", "--test-split", "test_labeled"])
        assert config.dev_data == {"preset": "sst2", "split": "dev"}
        assert config.test_data == {"preset": "sst2", "split": "test_labeled"}
        data_file, dev_file = tmp_path / "train.tsv", tmp_path / "dev.tsv"
        config = parse(["--path", str(data_file), "--format", "tsv", "--dev-path", str(dev_file)])
        assert config.dev_data == {"path": str(dev_file), "format": "tsv"}
        with pytest.raises(ConfigError) as raised:
            parse(["--path", str(data_file), "--dev-split", "dev"])
        assert raised.value.field == "dev_split"

    def test_bad_flag_values_name_the_field(self):
        with pytest.raises(ConfigError) as raised:
            parse(["--preset", "trec", "--learning-rate", "-1"])
        assert raised.value.field == "learning_rate"
        with pytest.raises(ConfigError) as raised:
            parse([])
        assert raised.value.field == "data.path"
        with pytest.raises(SystemExit):
            parse(["--preset", "trec", "--family", "transformer"])


def test_recipe_flag_and_help_show_each_family_recipe(capsys):
    config = parse(["--preset", "trec", "--recipe", "paper", "--momentum", "0.5"])
    resolved = config.resolve()
    assert (resolved.optimizer, resolved.learning_rate, resolved.momentum) == ("sgd", 0.01, 0.5)
    from tfcharnlp import cli

    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    assert "char_cnn --recipe paper: max_length=1014" in text
    assert "optimizer=sgd learning_rate=0.01" in text
    # A recipe field's help names each family's default.
    assert "the family recipe's, char_gru 100" in text.replace("\n", " ").replace("  ", " ")


def test_parser_builds_without_tensorflow():
    # `tfcharnlp --help` and the flags must stay quick: no TensorFlow import.
    import subprocess
    import sys

    code = (
        "import sys, tfcharnlp.cli as cli, tfcharnlp.training.train_flags; cli.build_parser(); "
        "from tfcharnlp.training import TrainConfig; "
        "sys.exit(1 if 'tensorflow' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
