"""Held-out evaluation: a run's report, and `tfcharnlp evaluate` on a finished folder."""

import dataclasses
import json
import math
import pathlib

from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.training import model_folder
from tfcharnlp.training.evaluation_report import (
    REPORT_JSON,
    REPORT_MARKDOWN,
    REPORT_TEXT,
    TRAINING_CURVES_PNG,
    EvaluationReport,
    plot_training_curves,
)


def evaluate_classifier(model, dataset, labels, split):
    """The `EvaluationReport` of `model`'s argmax on `(ids, label)` batches of `dataset`."""
    import numpy as np

    y_true = np.concatenate([label_batch.numpy() for _, label_batch in dataset])
    logits = model.predict(dataset, verbose=0)
    return EvaluationReport.from_predictions(
        y_true, np.argmax(logits, axis=-1), list(labels), split=split
    )


def language_model_metrics(model, validation, train_characters, validation_characters):
    """Validation loss in nats and bits per character, and perplexity, of a language model."""
    # Mean cross-entropy with natural logarithms = nats per character.
    loss = float(model.evaluate(validation, verbose=0, return_dict=True)["loss"])
    return {
        "validation_loss_nats_per_char": loss,
        "validation_bits_per_char": loss / math.log(2),
        "validation_perplexity": math.exp(loss),
        "train_characters": train_characters,
        "validation_characters": validation_characters,
        "vocabulary_size": model.backbone.vocabulary_size,
    }


def write_language_model_report(run_dir, metrics, sample, history):
    """report.json/.md/.txt, sample.txt and the training curves of a language model."""
    run_dir = pathlib.Path(run_dir)
    (run_dir / REPORT_JSON).write_text(json.dumps({**metrics, "sample": sample}, indent=2) + "\n")
    lines = [
        "## Language model evaluation (held-out tail of the text)",
        "",
        f"- validation loss: {metrics['validation_loss_nats_per_char']:.4f} nats/char "
        f"({metrics['validation_bits_per_char']:.4f} bits/char, "
        f"perplexity {metrics['validation_perplexity']:.2f})",
        f"- characters: {metrics['train_characters']} train, "
        f"{metrics['validation_characters']} validation; vocabulary {metrics['vocabulary_size']}",
        "",
        "Sample:",
        "",
        "```",
        sample,
        "```",
    ]
    (run_dir / REPORT_MARKDOWN).write_text("\n".join(lines) + "\n")
    (run_dir / REPORT_TEXT).write_text(
        f"validation loss {metrics['validation_loss_nats_per_char']:.4f} nats/char\n\n{sample}\n"
    )
    (run_dir / model_folder.SAMPLE_FILE).write_text(sample)
    if history:
        plot_training_curves(history, run_dir / TRAINING_CURVES_PNG)


def _recorded_source(model_dir, labels):
    """`(DataConfig, split)` of the held-out data a folder's `train_config.json` records.

    The test data when the run had one, else its dev data, else the same
    validation split of the training data.
    """
    from tfcharnlp.data.config import DataConfig

    recorded = model_folder.read_train_config(model_dir)
    if not recorded:
        raise ConfigError(
            "data",
            f"{model_dir} has no {model_folder.TRAIN_CONFIG_FILE}: give --preset or --path",
        )
    resolved = recorded.get("resolved_data") or []
    if not resolved:
        raise ConfigError(
            "data",
            f"{model_dir}/{model_folder.TRAIN_CONFIG_FILE} records no data: give --preset or --path",
        )
    # Folders written before dev data existed hold [train] or [train, test].
    roles = recorded.get("resolved_data_roles") or ["train", "test"][: len(resolved)]
    by_role = dict(zip(roles, resolved, strict=True))
    split = "test" if "test" in by_role else "dev" if "dev" in by_role else "validation"
    source = DataConfig.from_config({**by_role.get(split, by_role["train"]), "labels": labels})
    return source, split


def evaluate_folder(classifier, model_dir, data=None, split="test", output=None, batch_size=256):
    """Evaluates a loaded classifier (`model_folder.load_classifier`) and writes the report.

    With `data` (a `DataConfig`), every row of it is evaluated. Without, the
    data the model was trained with is re-read from its `train_config.json`
    (see `_recorded_source`).
    """
    from tfcharnlp.data.read_examples import read_examples
    from tfcharnlp.data.split import split_examples

    labels = list(classifier.labels)
    if data is None:
        source, split = _recorded_source(model_dir, labels)
        result = read_examples(source)
        texts, label_names = result.texts, result.labels
        if split == "validation":
            _, (texts, label_names) = split_examples(
                texts, label_names, source.validation_split, source.split_seed
            )
    else:
        result = read_examples(dataclasses.replace(data, labels=tuple(labels)))
        texts, label_names, split = result.texts, result.labels, split or "data"
    if not texts:
        raise DataError("no labeled examples to evaluate")
    index = {label: position for position, label in enumerate(labels)}
    y_true = [index[label] for label in label_names]
    probabilities = classifier.probabilities(texts, batch_size=batch_size)
    report = EvaluationReport.from_predictions(
        y_true, probabilities.argmax(axis=-1), labels, split=split
    )
    report.save(output or pathlib.Path(model_dir) / model_folder.EVALUATION_DIR)
    return report
