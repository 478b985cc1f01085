import json

import pytest

from tests.test_case import TestCase
from tfcharnlp.training.evaluation_report import (
    EvaluationReport,
    plot_training_curves,
    read_history_csv,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def example():
    # 3 classes, 8 examples: a (3: 2 right), b (3: all right), c (2: none right, never predicted).
    y_true = [0, 0, 0, 1, 1, 1, 2, 2]
    y_pred = [0, 0, 1, 1, 1, 1, 0, 1]
    return EvaluationReport.from_predictions(y_true, y_pred, ["a", "b", "c"], split="test")


class TestEvaluationReport(TestCase):
    def test_numbers(self):
        report = example()
        assert report.total == 8
        self.assertAllClose(report.accuracy, 5 / 8)
        self.assertAllEqual(report.confusion, [[2, 1, 0], [0, 3, 0], [1, 1, 0]])
        self.assertAllClose(report.precision, [2 / 3, 3 / 5, 0.0])
        self.assertAllClose(report.recall, [2 / 3, 1.0, 0.0])
        f1_b = 2 * 0.6 * 1.0 / 1.6
        self.assertAllClose(report.f1, [2 / 3, f1_b, 0.0])
        self.assertAllClose(report.macro_f1, (2 / 3 + f1_b) / 3)
        self.assertAllEqual(report.support, [3, 3, 2])

    def test_renderings(self):
        report = example()
        text = report.to_text()
        assert "accuracy  0.6250" in text
        assert "macro F1  0.4722" in text
        markdown = report.to_markdown()
        assert "| b | 0.6000 | 1.0000 | 0.7500 | 3 |" in markdown
        data = json.loads(json.dumps(report.to_dict()))
        assert data["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
        assert data["confusion_matrix"][2] == [1, 1, 0]

    def test_save_writes_files_and_pngs(self, tmp_path):
        history = {
            "loss": [1.0, 0.7],
            "accuracy": [0.5, 0.7],
            "val_loss": [1.1, 0.9],
            "val_accuracy": [0.4, 0.6],
        }
        paths = example().save(tmp_path, history=history)
        names = sorted(path.name for path in paths)
        assert names == [
            "confusion_matrix.png",
            "report.json",
            "report.md",
            "report.txt",
            "training_curves.png",
        ]
        for name in ("confusion_matrix.png", "training_curves.png"):
            data = (tmp_path / name).read_bytes()
            assert data.startswith(PNG_SIGNATURE)
            assert len(data) > 1000
        assert json.loads((tmp_path / "report.json").read_text())["accuracy"] == 0.625

    def test_history_csv(self, tmp_path):
        path = tmp_path / "history.csv"
        path.write_text("epoch,accuracy,loss,val_loss\n0,0.5,1.0,1.2\n1,0.75,0.5,0.9\n")
        history = read_history_csv(path)
        assert history == {"accuracy": [0.5, 0.75], "loss": [1.0, 0.5], "val_loss": [1.2, 0.9]}
        plot_training_curves(history, tmp_path / "curves.png")
        assert (tmp_path / "curves.png").read_bytes().startswith(PNG_SIGNATURE)

    def test_history_csv_without_validation(self, tmp_path):
        # What CSVLogger writes for a run without validation data (a test file only).
        path = tmp_path / "history.csv"
        path.write_text(
            "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.0,NA,NA\n1,0.75,0.5,NA,NA\n"
        )
        history = read_history_csv(path)
        assert history == {"accuracy": [0.5, 0.75], "loss": [1.0, 0.5]}
        plot_training_curves(history, tmp_path / "curves.png")
        assert (tmp_path / "curves.png").read_bytes().startswith(PNG_SIGNATURE)

    def test_mismatched_lengths(self):
        with pytest.raises(ValueError, match="predictions"):
            EvaluationReport.from_predictions([0, 1], [0], ["a", "b"])
