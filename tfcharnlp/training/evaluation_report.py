"""`EvaluationReport`: held-out metrics of a trained classifier, as text, JSON, Markdown and PNGs."""

import csv
import json
import math
import pathlib

import numpy as np

REPORT_TEXT = "report.txt"
REPORT_JSON = "report.json"
REPORT_MARKDOWN = "report.md"
CONFUSION_MATRIX_PNG = "confusion_matrix.png"
TRAINING_CURVES_PNG = "training_curves.png"


class EvaluationReport:
    """Accuracy, macro F1 and per-class precision / recall / F1 on a held-out split.

    The numbers come from `tfcharnlp.models.metrics.classification_report`
    (one implementation for the whole project; a ratio with a zero
    denominator is 0, as scikit-learn's `zero_division=0`); this class adds
    the text, JSON and Markdown renderings and the confusion-matrix plot.

    Args:
        metrics: the dict `classification_report` returns.
        split: a name for the evaluated data (e.g. "validation", "test").
        notes: sentences a reader of the numbers must see (rows left out, a
            run stopped by its time budget), printed under the headline.
        details: JSON-ready facts behind the notes (row counts, the time
            budget), merged into report.json.

    Example:

    ```python
    report = EvaluationReport.from_predictions([0, 1, 1], [0, 1, 0], ["ham", "spam"])
    report.accuracy  # 0.666...
    report.save("models/run")  # report.txt, report.json, report.md, confusion_matrix.png
    ```
    """

    def __init__(self, metrics, split="validation", notes=(), details=None):
        self.metrics = metrics
        self.split = split
        self.notes = list(notes)
        self.details = dict(details or {})

    def add_note(self, note, **details):
        """Adds a sentence to the renderings and its facts to report.json."""
        self.notes.append(note)
        self.details.update(details)

    @classmethod
    def from_predictions(cls, y_true, y_pred, labels, split="validation"):
        from tfcharnlp.models.metrics import classification_report

        y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
        y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{y_true.size} true labels but {y_pred.size} predictions")
        return cls(classification_report(y_true, y_pred, [str(label) for label in labels]), split)

    # ------------------------------------------------------------ metrics
    def _per_class(self, key):
        return np.array([row[key] for row in self.metrics["per_class"]])

    @property
    def labels(self):
        return [row["label"] for row in self.metrics["per_class"]]

    @property
    def confusion(self):
        return np.asarray(self.metrics["confusion_matrix"], dtype=np.int64)

    @property
    def support(self):
        return self._per_class("support")

    @property
    def total(self):
        return int(self.confusion.sum())

    @property
    def accuracy(self):
        return self.metrics["accuracy"]

    @property
    def precision(self):
        return self._per_class("precision")

    @property
    def recall(self):
        return self._per_class("recall")

    @property
    def f1(self):
        return self._per_class("f1")

    @property
    def macro_f1(self):
        return self.metrics["macro_f1"]

    def to_dict(self):
        return {
            "split": self.split,
            "examples": self.total,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "macro_precision": self.metrics["macro_precision"],
            "macro_recall": self.metrics["macro_recall"],
            "per_class": {
                label: {
                    "precision": float(p),
                    "recall": float(r),
                    "f1": float(f),
                    "support": int(s),
                }
                for label, p, r, f, s in zip(
                    self.labels, self.precision, self.recall, self.f1, self.support, strict=True
                )
            },
            "labels": self.labels,
            "confusion_matrix": self.confusion.tolist(),
            **({"notes": self.notes} if self.notes else {}),
            **self.details,
        }

    # ------------------------------------------------------------ renderings
    def to_text(self):
        width = max([len("macro avg")] + [len(label) for label in self.labels])
        lines = [
            f"Evaluation on {self.split}: {self.total} examples",
            *self.notes,
            f"accuracy  {self.accuracy:.4f}",
            f"macro F1  {self.macro_f1:.4f}",
            "",
            f"{'':<{width}}  precision  recall      f1  support",
        ]
        for label, p, r, f, s in zip(
            self.labels, self.precision, self.recall, self.f1, self.support, strict=True
        ):
            lines.append(f"{label:<{width}}  {p:9.4f}  {r:6.4f}  {f:6.4f}  {s:7d}")
        lines.append(
            f"{'macro avg':<{width}}  {self.metrics['macro_precision']:9.4f}  "
            f"{self.metrics['macro_recall']:6.4f}  {self.macro_f1:6.4f}  {self.total:7d}"
        )
        return "\n".join(lines) + "\n"

    def to_markdown(self):
        lines = [
            f"## Evaluation on {self.split}",
            "",
            # Each note its own quoted paragraph, so Markdown does not run them together.
            *(line for note in self.notes for line in (f"> {note}", "")),
            f"- examples: {self.total}",
            f"- accuracy: {self.accuracy:.4f}",
            f"- macro F1: {self.macro_f1:.4f}",
            "",
            "| class | precision | recall | F1 | support |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for label, p, r, f, s in zip(
            self.labels, self.precision, self.recall, self.f1, self.support, strict=True
        ):
            escaped = label.replace("|", "\\|")
            lines.append(f"| {escaped} | {p:.4f} | {r:.4f} | {f:.4f} | {s} |")
        return "\n".join(lines) + "\n"

    def save(self, folder, history=None):
        """Writes report.txt / .json / .md and confusion_matrix.png (plus training_curves.png
        when a history is given) into `folder`; returns the written paths."""
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / REPORT_TEXT, folder / REPORT_JSON, folder / REPORT_MARKDOWN]
        paths[0].write_text(self.to_text(), encoding="utf-8")
        paths[1].write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        paths[2].write_text(self.to_markdown(), encoding="utf-8")
        paths.append(self.plot_confusion_matrix(folder / CONFUSION_MATRIX_PNG))
        if history:
            paths.append(plot_training_curves(history, folder / TRAINING_CURVES_PNG))
        return paths

    def plot_confusion_matrix(self, path):
        plt = _pyplot()
        size = max(4.0, 0.6 * len(self.labels) + 2.0)
        figure, axes = plt.subplots(figsize=(size, size))
        image = axes.imshow(self.confusion, cmap="Blues")
        figure.colorbar(image, ax=axes, fraction=0.046)
        ticks = np.arange(len(self.labels))
        axes.set_xticks(ticks, self.labels, rotation=45, ha="right")
        axes.set_yticks(ticks, self.labels)
        axes.set_xlabel("predicted")
        axes.set_ylabel("true")
        axes.set_title(f"Confusion matrix ({self.split}, accuracy {self.accuracy:.3f})")
        threshold = self.confusion.max() / 2.0 if self.confusion.size else 0
        for i in range(len(self.labels)):
            for j in range(len(self.labels)):
                value = self.confusion[i, j]
                color = "white" if value > threshold else "black"
                axes.text(j, i, str(value), ha="center", va="center", color=color)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)
        return pathlib.Path(path)


def read_history_csv(path):
    """Keras CSVLogger output -> {metric: [value per epoch]} (epoch column dropped).

    CSVLogger writes "NA" for a metric an epoch did not log (the `val_*`
    columns of a run without validation data): such values read as NaN, and a
    column that holds nothing else is dropped.
    """
    history = {}
    with open(path, newline="") as stream:
        for row in csv.DictReader(stream):
            for key, value in row.items():
                if key != "epoch":
                    missing = value in (None, "", "NA")
                    history.setdefault(key, []).append(math.nan if missing else float(value))
    return {
        key: values
        for key, values in history.items()
        if not all(math.isnan(value) for value in values)
    }


def plot_training_curves(history, path):
    """One panel per metric (loss, accuracy, ...), training and validation per epoch."""
    plt = _pyplot()
    names = [name for name in history if not name.startswith("val_") and name != "learning_rate"]
    names = names or list(history)
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        values = history[name]
        epochs = np.arange(1, len(values) + 1)
        axis.plot(epochs, values, marker="o", label="train")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return pathlib.Path(path)


def _pyplot():
    # Agg renders to files without a display (servers, CI, containers).
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
