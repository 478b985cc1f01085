import csv
import json
import re

import pytest

from tests.test_case import TestCase
from tfcharnlp import cli
from tfcharnlp.constants import (
    BEST_HYPERPARAMETERS_FILE,
    SAVED_MODEL_FILE,
    TOKEN_VOCABULARY_ASSET,
    TRAINING_CONFIG_ASSET,
)


def _tune(shared_data, directory, *extra):
    return cli.main(
        [
            "tune",
            "--family",
            "multi_width_cnn",
            "--tuner",
            "random",
            "--epochs",
            "1",
            "--data",
            str(shared_data),
            "--preset",
            "sms_spam",
            "--max-rows",
            "200",
            "--max-length",
            "64",
            "--batch-size",
            "32",
            "--directory",
            str(directory),
            "--project-name",
            "spam",
            *extra,
        ]
    )


class TestTuneCommand(TestCase):
    @pytest.mark.integration
    def test_tune_resume_and_export(self, shared_data, tmp_path, capsys):
        assert _tune(shared_data, tmp_path, "--max-trials", "2") == 0
        out = capsys.readouterr().out
        project = tmp_path / "spam"
        assert "Search summary (val_accuracy, max):" in out
        with open(project / "trials.csv") as f:
            rows = list(csv.DictReader(f))
        assert [r["status"] for r in rows] == ["COMPLETED", "COMPLETED"]
        assert (project / "trials.png").stat().st_size > 1000
        first_trials = {t: (project / f"trial_{t}" / "trial.json").read_text() for t in "01"}

        # One plain line per trial and per epoch, numbered as the table is.
        assert "\r" not in out and "\x1b" not in out
        trial_lines = [line for line in out.splitlines() if re.match(r"trial \d+[ :]", line)]
        assert len(trial_lines) == 2 * 3  # start, one epoch, end
        assert {line.split()[1].rstrip(":") for line in trial_lines} == {"0", "1"}

        # Rerun with a larger budget: resumes, runs one new trial, then
        # retrains the best with `train()`, exports it to staging and pushes it (validated).
        export_base = tmp_path / "models"
        code = _tune(
            shared_data,
            tmp_path,
            "--max-trials",
            "3",
            "--export",
            "--export-base",
            str(export_base),
            "--model-name",
            "spam",
            "--output-dir",
            str(tmp_path / "runs"),
            "--push",
        )
        assert code == 0
        out = capsys.readouterr().out
        assert "Reloading Tuner" in out
        # The retrain is a `train()` run: its model folder, report and recorded config.
        folder = tmp_path / "runs" / "spam"
        assert f"retrained model folder: {folder}" in out
        for name in ("model.keras", "report.json", "history.csv", "confusion_matrix.png"):
            assert (folder / name).is_file(), name
        for t, text in first_trials.items():
            assert (project / f"trial_{t}" / "trial.json").read_text() == text
        with open(project / "trials.csv") as f:
            assert len(list(csv.DictReader(f))) == 3

        version = export_base / "spam" / "1"
        assert (version / SAVED_MODEL_FILE).is_file()
        assert (project / "export_staging" / "spam" / "1" / SAVED_MODEL_FILE).is_file()
        assert f"exported: {version}" in out
        best = json.loads((project / BEST_HYPERPARAMETERS_FILE).read_text())
        config = json.loads((version / "assets" / TRAINING_CONFIG_ASSET).read_text())
        assert config["hyperparameters"] == best["values"]
        assert config["family"] == "multi_width_cnn"
        assert config["tuned_by"] == "tfcharnlp tune"
        # The best values are the retrained model's config (no separate rebuild).
        for name in ("embedding_dim", "dropout", "learning_rate"):
            assert config[name] == best["values"][name], name
        assert config["model_options"]["filters"] == best["values"]["filters"]
        assert (version / "assets" / "labels.txt").read_text().split() == ["ham", "spam"]

    @pytest.mark.integration
    def test_word_tokenizer_and_an_accented_alphabet_are_tunable(self, tmp_path, capsys):
        # Train's preprocessing flags apply to tune too: words, and extra characters.
        path = tmp_path / "mots.csv"
        rows = ["text,label"] + [
            f"{'très bon café' if i % 2 else 'mauvais thé froid'} numéro {i},{'pos' if i % 2 else 'neg'}"
            for i in range(60)
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        common = [
            "tune", "--family", "lstm", "--tuner", "random", "--max-trials", "1",
            "--epochs", "1", "--path", str(path), "--max-length", "8", "--batch-size", "8",
            "--directory", str(tmp_path), "--hidden-units", "8", "--embedding-dim", "8",
        ]  # fmt: skip
        assert cli.main([*common, "--tokenizer", "word", "--project-name", "words"]) == 0
        out = capsys.readouterr().out
        assert "Search summary (val_accuracy, max):" in out
        export = ["--export-base", str(tmp_path / "models"), "--output-dir", str(tmp_path / "runs")]
        chars = [*common, "--extra-characters", "éè", "--project-name", "chars", *export]
        assert cli.main(chars) == 0
        best = json.loads((tmp_path / "chars" / BEST_HYPERPARAMETERS_FILE).read_text())
        (hidden_units,) = [hp for hp in best["space"] if hp["config"]["name"] == "hidden_units"]
        assert hidden_units["config"]["default"] == 8  # the flag's value is the default trial's
        assert 8 in hidden_units["config"]["values"]
        recorded = json.loads((tmp_path / "runs" / "lstm" / "train_config.json").read_text())
        assert recorded["extra_characters"] == "éè"
        vocabulary = tmp_path / "models" / "lstm" / "1" / "assets" / TOKEN_VOCABULARY_ASSET
        assert "é" in vocabulary.read_text(encoding="utf-8").splitlines()

    @pytest.mark.integration
    def test_generator_is_tuned_on_validation_loss(self, shared_data, tmp_path, capsys):
        code = cli.main(
            [
                "tune",
                "--family",
                "char_gru",
                "--tuner",
                "random",
                "--max-trials",
                "1",
                "--epochs",
                "1",
                "--data",
                str(shared_data),
                "--preset",
                "tinyshakespeare",
                "--max-rows",
                "150",
                "--seq-length",
                "16",
                "--max-length",
                "64",
                "--batch-size",
                "16",
                "--hidden-units",
                "32",
                "--num-layers",
                "1",
                "--directory",
                str(tmp_path),
                "--project-name",
                "lm",
            ]
        )
        assert code == 0
        assert "Search summary (val_loss, min):" in capsys.readouterr().out
        with open(tmp_path / "lm" / "trials.csv") as f:
            (row,) = list(csv.DictReader(f))
        # Cross-entropy in nats per character: a uniform guess over ~60 ids is
        # about 4.1 after one short epoch; a broken model gives nan or far more.
        assert 0.0 < float(row["val_loss"]) < 4.5
        best = json.loads((tmp_path / "lm" / BEST_HYPERPARAMETERS_FILE).read_text())
        assert set(best["values"]) == {
            "embedding_dim",
            "hidden_units",
            "num_layers",
            "cell",
            "dropout",
            "learning_rate",
        }

    @pytest.mark.parametrize(
        "flags, message",
        [
            (["--max-trials", "0"], "max_trials"),
            (["--epochs", "0"], "epochs"),
            (["--chief"], "oracle"),
            (["--worker", "1", "--oracle", "localhost"], "HOST:PORT"),
            (["--family", "char_gru", "--objective", "val_accuracy"], "objective"),
            (["--push"], "--push needs --export"),
            (["--preset", "trec", "--family", "lstm", "--seq-length", "9"], "seq_length"),
            (["--preset", "trec", "--family", "lstm", "--recipe", "paper"], "recipe"),
            (["--preset", "sms_spam", "--path", "x.csv"], "path"),
        ],
    )
    def test_bad_flags_exit_2_naming_the_field(self, flags, message, capsys, tmp_path):
        code = cli.main(["tune", "--directory", str(tmp_path), "--preset", "sms_spam", *flags])
        assert code == 2
        err = capsys.readouterr().err
        assert err.startswith("tfcharnlp tune: error:")
        assert message in err
