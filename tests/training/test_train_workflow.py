"""End-to-end: `tfcharnlp train / evaluate / predict / generate` on tiny slices of real data."""

import csv
import json

import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp import cli
from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.training.callbacks import has_backup
from tfcharnlp.training.evaluate import evaluate_folder
from tfcharnlp.training.model_folder import load_classifier
from tfcharnlp.training.train_config import TrainConfig
from tfcharnlp.training.trainer import train

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A CharCNN with the paper's layer structure but few units: seconds per epoch on a CPU.
TINY_CHAR_CNN = (
    "family: char_cnn\nmax_length: 128\nmodel_options:\n  filters: 8\n  dense_units: 16\n"
)


def tiny_classifier(tmp_path, shared_data, **overrides):
    values = {
        "data": {
            "preset": "sms_spam",
            "max_rows": 200,
            "validation_split": 0.25,
            "data_dir": str(shared_data),
        },
        "family": "multi_width_cnn",
        "embedding_dim": 8,
        "model_options": {"filters": 8},
        "max_length": 64,
        "epochs": 1,
        "batch_size": 32,
        "output_dir": str(tmp_path),
        "model_name": "tiny",
        "patience": 0,
    }
    values.update(overrides)
    return TrainConfig.from_dict(values)


class Killed(Exception):
    pass


@pytest.mark.integration
class TestTrainWorkflow(TestCase):
    @pytest.mark.timeout(300)
    def test_train_predict_evaluate_through_the_cli(self, tmp_path, shared_data, capsys):
        config_file = tmp_path / "spam.yaml"
        config_file.write_text(TINY_CHAR_CNN + "epochs: 3\nbatch_size: 64\nschedule: step\n")
        code = cli.main(
            [
                "train", "--config", str(config_file), "--data", str(shared_data),
                "--preset", "sms_spam", "--max-rows", "200", "--validation-split", "0.25",
                "--epochs", "1", "--batch_size", "32", "--output", str(tmp_path / "models"),
                "--model-name", "spam", "--class-weights", "balanced", "--patience", "2",
                "--export-base", str(tmp_path / "repository"),
            ]
        )  # fmt: skip
        assert code == 0
        folder = tmp_path / "models" / "spam"
        output = capsys.readouterr().out
        assert "accuracy" in output and str(folder) in output
        for name in (
            "model.keras",
            "label_vocabulary.txt",
            "train_config.json",
            "history.csv",
            "report.txt",
            "report.md",
            "checkpoints/best.keras",
        ):
            assert (folder / name).is_file(), name
        for name in ("confusion_matrix.png", "training_curves.png"):
            assert (folder / name).read_bytes().startswith(PNG_SIGNATURE), name
        assert any((folder / "logs").rglob("events.out.tfevents.*"))
        assert not has_backup(folder)  # a finished run leaves no backup
        assert (folder / "label_vocabulary.txt").read_text() == "ham\nspam\n"
        saved = json.loads((folder / "train_config.json").read_text())
        assert saved["epochs"] == 1 and saved["batch_size"] == 32  # flags won over the file
        assert saved["schedule"] == "step"  # the file's value survived
        # Unset fields are recorded with the family recipe's values the run used.
        assert (saved["recipe"], saved["optimizer"], saved["learning_rate"]) == (
            "default",
            "adam",
            0.001,
        )
        assert saved["max_length"] == 128 and saved["dropout"] == 0.2
        # The file's model options are laid over the recipe's, which stay.
        assert saved["model_options"] == {
            "filters": 8,
            "dense_units": 16,
            "normalization": "batch",
            "pooling": "global_max",
            "kernel_initializer": "glorot_uniform",
            "input_dropout": 0.1,
        }
        with open(folder / "history.csv") as stream:
            rows = list(csv.DictReader(stream))
        assert len(rows) == 1
        assert {"loss", "accuracy", "macro_f1", "val_loss", "val_accuracy"} <= set(rows[0])
        report = json.loads((folder / "report.json").read_text())
        assert report["split"] == "validation"
        assert report["labels"] == ["ham", "spam"]
        assert 20 < report["examples"] < 80  # about 25% of 200 rows, by text hash
        assert np.sum(report["confusion_matrix"]) == report["examples"]
        assert 0.0 <= report["accuracy"] <= 1.0

        # predict: a label and probabilities per text, from the trained folder.
        texts = ["WINNER!! Claim your free prize now, call 09061701461", "ok see you at home later"]
        assert cli.main(["predict", str(folder), *texts, "--json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line["text"] for line in lines] == texts
        for line in lines:
            assert line["label"] in ("ham", "spam")
            self.assertAllClose(sum(line["probabilities"].values()), 1.0, atol=1e-4)
            assert line["label"] == max(line["probabilities"], key=line["probabilities"].get)

        # The exported SavedModel (version 1) gives the same probabilities: no training/serving skew.
        version = tmp_path / "repository" / "spam" / "1"
        assert (version / "saved_model.pb").is_file()
        assert cli.main(["predict", str(version), *texts, "--json"]) == 0
        served = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        for local, remote in zip(lines, served, strict=True):
            assert local["label"] == remote["label"]
            for label, value in local["probabilities"].items():
                self.assertAllClose(remote["probabilities"][label], value, atol=1e-5)

        # evaluate without data flags: the same validation split, the same numbers as training.
        assert cli.main(["evaluate", str(folder)]) == 0
        again = json.loads((folder / "evaluation" / "report.json").read_text())
        assert again["examples"] == report["examples"]
        self.assertAllClose(again["accuracy"], report["accuracy"])
        assert again["confusion_matrix"] == report["confusion_matrix"]
        # evaluate on explicit data: every row of it.
        out = tmp_path / "eval50"
        args = ["evaluate", str(folder), "--data", str(shared_data), "--preset", "sms_spam"]
        assert cli.main([*args, "--max-rows", "50", "--output", str(out)]) == 0
        local_report = json.loads((out / "report.json").read_text())
        assert local_report["examples"] == 50
        assert (out / "confusion_matrix.png").read_bytes().startswith(PNG_SIGNATURE)
        # The exported version, evaluated on the same rows, agrees row for row.
        served_out = tmp_path / "eval50-served"
        assert (
            cli.main(
                [
                    "evaluate",
                    str(version),
                    *args[2:],
                    "--max-rows",
                    "50",
                    "--output",
                    str(served_out),
                ]
            )
            == 0
        )
        served_report = json.loads((served_out / "report.json").read_text())
        assert served_report["confusion_matrix"] == local_report["confusion_matrix"]

    @pytest.mark.timeout(300)
    def test_killed_run_resumes(self, tmp_path, shared_data):
        import keras

        class KillAtEpoch(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 1:
                    raise Killed()

        config = tiny_classifier(tmp_path, shared_data, epochs=2, patience=2)
        with pytest.raises(Killed):
            train(config, extra_callbacks=[KillAtEpoch()])
        assert has_backup(config.model_dir)
        assert not (config.model_dir / "model.keras").exists()
        state = json.loads((config.model_dir / "backup" / "resume_state.json").read_text())
        assert state["epoch"] == 0 and state["early_stopping"]["best_epoch"] == 0
        # Another run's settings do not resume this backup.
        with pytest.raises(ConfigError, match="learning_rate"):
            train(config.replace(learning_rate=0.5))
        result = train(config)
        assert result.initial_epoch == 1  # epoch 0 was done before the kill
        assert len(result.history["loss"]) == 2  # the CSV log spans both processes
        assert (config.model_dir / "model.keras").is_file()
        assert not has_backup(config.model_dir)

    @pytest.mark.timeout(300)
    def test_word_lstm_with_test_data_and_focal_loss(self, tmp_path, shared_data):
        config = tiny_classifier(
            tmp_path,
            shared_data,
            data={"preset": "trec", "max_rows": 200, "data_dir": str(shared_data)},
            test_data={
                "preset": "trec",
                "split": "test",
                "max_rows": 60,
                "data_dir": str(shared_data),
            },
            family="lstm",
            tokenizer="word",
            max_tokens=500,
            max_length=16,
            hidden_units=8,
            model_options={},
            loss="focal",
            label_smoothing=0.1,
            optimizer="sgd",
            schedule="cosine",
        )
        result = train(config)
        assert result.report.split == "test"
        assert result.report.total == 60
        assert result.report.labels == list(result.label_vocabulary.labels)
        assert set(result.metrics) >= {"accuracy", "macro_f1"}

    @pytest.mark.timeout(300)
    def test_kim_cnn_static_from_word_vectors(self, tmp_path, shared_data):
        # A GloVe-format file covering two words of the vocabulary; IMDB-style
        # markup and punctuation are cleaned and split in the graph.
        vectors = tmp_path / "vectors.txt"
        vectors.write_text("free 1 2 3 4\ncall -1 -2 -3 -4\n")
        config = tiny_classifier(
            tmp_path,
            shared_data,
            tokenizer="word",
            max_tokens=300,
            max_length=24,
            normalize=["strip_html", "lower"],
            word_split="unicode_script",
            word_vectors=str(vectors),
            freeze_embedding=True,
            embedding_dim=None,  # taken from the file
        )
        result = train(config)
        backbone = result.model.backbone
        vocabulary = result.model.preprocessor.tokenizer.vocabulary
        assert "!" in vocabulary  # punctuation became its own token
        table = backbone.token_embedding.embeddings.numpy()
        self.assertAllClose(table[vocabulary.index("free")], [1, 2, 3, 4])
        self.assertAllClose(table[vocabulary.index("call")], [-1, -2, -3, -4])
        assert not backbone.token_embedding.trainable
        ids = result.model.preprocessor(["FREE<br />call!"]).numpy()[0, :3].tolist()
        assert ids == [vocabulary.index(word) for word in ("free", "call", "!")]

    @pytest.mark.timeout(300)
    def test_dev_data_replaces_the_validation_split(self, tmp_path, shared_data):
        trec = {"preset": "trec", "data_dir": str(shared_data)}
        config = tiny_classifier(
            tmp_path,
            shared_data,
            data={**trec, "max_rows": 200},
            dev_data={**trec, "split": "test", "max_rows": 50},
            epochs=2,
        )
        result = train(config)
        # Early stopping watched the dev file; with no test file it is also the report's.
        assert len(result.history["val_accuracy"]) == 2
        assert result.report.split == "dev"
        assert result.report.total == 50
        recorded = json.loads((config.model_dir / "train_config.json").read_text())
        assert recorded["resolved_data_roles"] == ["train", "dev"]
        assert recorded["resolved_data"][0]["validation_split"] == 0.0  # every row trains
        report = evaluate_folder(load_classifier(config.model_dir), config.model_dir)
        assert (report.split, report.total) == ("dev", 50)
        self.assertAllClose(report.accuracy, result.report.accuracy)

    def test_no_validation_split_with_a_test_file(self, tmp_path, shared_data):
        # Every training row trains; the test file is the report's. Keras' CSVLogger
        # writes NA for the val_* columns of such a run, which once ended it in a crash
        # after fitting, with no model and no report written.
        trec = {"preset": "trec", "data_dir": str(shared_data)}
        config = tiny_classifier(
            tmp_path,
            shared_data,
            data={**trec, "max_rows": 200, "validation_split": 0.0},
            test_data={**trec, "split": "test", "max_rows": 40},
            epochs=2,
        )
        result = train(config)
        assert result.report.split == "test" and result.report.total == 40
        assert set(result.history) >= {"loss", "accuracy"}
        assert not any(name.startswith("val_") for name in result.history)
        for name in ("model.keras", "report.json", "training_curves.png"):
            assert (config.model_dir / name).is_file(), name

    def test_dev_data_and_a_validation_split_conflict(self, tmp_path, shared_data):
        with pytest.raises(ConfigError) as raised:
            tiny_classifier(
                tmp_path,
                shared_data,
                dev_data={"preset": "trec", "split": "test", "data_dir": str(shared_data)},
            )
        assert raised.value.field == "dev_data"

    def test_missing_word_vectors_file(self, tmp_path, shared_data):
        config = tiny_classifier(
            tmp_path, shared_data, tokenizer="word", word_vectors=str(tmp_path / "none.txt")
        )
        with pytest.raises(DataError, match="word vectors file not found"):
            train(config)
        vectors = tmp_path / "vectors.txt"
        vectors.write_text("free 1 2 3 4\n")
        config = config.replace(word_vectors=str(vectors), embedding_dim=16)
        with pytest.raises(ConfigError) as raised:
            train(config)
        assert raised.value.field == "embedding_dim"
        assert "4-dimensional" in str(raised.value)

    @pytest.mark.timeout(300)
    def test_char_gru_language_model_and_generate(self, tmp_path, shared_data, capsys):
        code = cli.main(
            [
                "train", "--data", str(shared_data), "--preset", "tinyshakespeare",
                "--max-rows", "300", "--family", "char_gru", "--seq-length", "32",
                "--batch-size", "16", "--steps-per-epoch", "4", "--epochs", "1",
                "--hidden-units", "16", "--num-layers", "1", "--embedding-dim", "8",
                "--sample-length", "40", "--output", str(tmp_path), "--model-name", "bard",
                "--dropout", "0", "--patience", "0", "--export-base", str(tmp_path / "repo"),
            ]
        )  # fmt: skip
        assert code == 0
        folder = tmp_path / "bard"
        metrics = json.loads((folder / "report.json").read_text())
        vocabulary = metrics["vocabulary_size"]
        # An untrained model scores about log(vocabulary) nats per character.
        assert 0.5 < metrics["validation_loss_nats_per_char"] < np.log(vocabulary) + 1.0
        self.assertAllClose(
            metrics["validation_bits_per_char"],
            metrics["validation_loss_nats_per_char"] / np.log(2),
        )
        assert metrics["validation_characters"] > 0
        assert len((folder / "sample.txt").read_text()) >= 40
        assert (folder / "training_curves.png").read_bytes().startswith(PNG_SIGNATURE)
        capsys.readouterr()
        args = ["generate", str(folder), "--prompt", "ROMEO:", "--length", "25", "--seed", "7"]
        assert cli.main([*args, "--temperature", "0.8", "--top-k", "5"]) == 0
        first = capsys.readouterr().out
        assert cli.main([*args, "--temperature", "0.8", "--top-k", "5"]) == 0
        assert capsys.readouterr().out == first  # the same seed gives the same text
        assert first.startswith("ROMEO:")
        assert first.endswith("\n")  # print's own newline; the text may hold more
        assert len(first[:-1]) == len("ROMEO:") + 25
        # The exported generator (the repository's model folder: its latest version).
        assert cli.main(["generate", str(tmp_path / "repo" / "bard"), *args[2:]]) == 0
        exported = capsys.readouterr().out
        assert exported.startswith("ROMEO:")
        assert len(exported[:-1]) == len("ROMEO:") + 25


class TestBadConfigsFailFast(TestCase):
    @pytest.mark.parametrize("num_classes", [2, 7])
    def test_labels_do_not_fit_num_classes(self, tmp_path, shared_data, num_classes):
        config = tiny_classifier(
            tmp_path,
            shared_data,
            num_classes=num_classes,
            data={"preset": "trec", "data_dir": str(shared_data)},
        )
        with pytest.raises(ConfigError) as raised:
            train(config)
        assert raised.value.field == "num_classes"
        assert "6 labels" in str(raised.value)

    def test_missing_column(self, tmp_path, shared_data):
        path = tmp_path / "tiny.csv"
        path.write_text("text,label\nhello,a\nworld,b\n")
        config = tiny_classifier(
            tmp_path, shared_data, data={"path": str(path), "label_column": "category"}
        )
        with pytest.raises(ConfigError) as raised:
            train(config)
        assert raised.value.field == "data.label_column"

    def test_empty_data(self, tmp_path, shared_data):
        path = tmp_path / "empty.csv"
        path.write_text("text,label\n")
        config = tiny_classifier(tmp_path, shared_data, data={"path": str(path)})
        with pytest.raises(ConfigError) as raised:
            train(config)
        assert raised.value.field == "data.path"
        assert "no examples" in str(raised.value)

    def test_cli_reports_the_field(self, tmp_path, capsys):
        path = tmp_path / "tiny.csv"
        path.write_text("text,label\nhello,a\nworld,b\n")
        code = cli.main(
            ["train", "--path", str(path), "--text-column", "body", "--output", str(tmp_path)]
        )
        assert code == 2
        assert "data.text_columns" in capsys.readouterr().err
        code = cli.main(["predict", str(tmp_path / "nothing"), "hi"])
        assert code == 2
        assert "MODEL_DIR" in capsys.readouterr().err
