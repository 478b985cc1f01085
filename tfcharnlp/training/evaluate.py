"""Held-out evaluation: a run's report, and `tfcharnlp evaluate` on a finished folder."""

import json
import math
import pathlib

from tfcharnlp.errors import ConfigError
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


def write_language_model_report(run_dir, metrics, sample, history, time_budget=None):
    """report.json/.md/.txt, sample.txt and the training curves of a language model.

    `time_budget` (a `TimeBudgetOutcome`, when max_time was set) is a note in each.
    """
    run_dir = pathlib.Path(run_dir)
    notes = [time_budget.describe()] if time_budget is not None else []
    recorded = {**metrics, "sample": sample}
    if time_budget is not None:
        recorded.update(notes=notes, time_budget=time_budget.to_dict())
    (run_dir / REPORT_JSON).write_text(json.dumps(recorded, indent=2) + "\n")
    lines = [
        "## Language model evaluation (held-out tail of the text)",
        "",
        *(line for note in notes for line in (f"> {note}", "")),
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
        f"validation loss {metrics['validation_loss_nats_per_char']:.4f} nats/char\n"
        + "".join(f"{note}\n" for note in notes)
        + f"\n{sample}\n"
    )
    (run_dir / model_folder.SAMPLE_FILE).write_text(sample)
    if history:
        plot_training_curves(history, run_dir / TRAINING_CURVES_PNG)


def _recorded_source(model_dir):
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
    return DataConfig.from_config(by_role.get(split, by_role["train"])), split


def held_out_rows(classifier, model_dir, data=None, split=None):
    """`(LabelledRows, split)` to evaluate a loaded classifier on.

    With `data` (a `DataConfig`), every row of it (split: `split` or "data").
    Without, the data the model was trained with is re-read from its
    `train_config.json` (see `_recorded_source`), its validation split cut
    again when that was the held-out part.
    """
    from tfcharnlp.data.split import split_examples
    from tfcharnlp.training.labelled_rows import read_labelled_rows

    if data is None:
        data, split = _recorded_source(model_dir)
    rows = read_labelled_rows(data, classifier.labels)
    if split == "validation":
        _, validation = split_examples(
            rows.texts, rows.labels, data.validation_split, data.split_seed
        )
        rows = rows.subset(*validation)
    return rows, split or "data"


def evaluate_rows(classifier, rows, split, output, batch_size=256):
    """The `EvaluationReport` of `classifier` on `rows` (`LabelledRows`), saved into `output`.

    Rows left out (skipped by the reader, or with a label the model does
    not know) are a warning in the report and counted in report.json; when
    no row or fewer than half of the rows read are left, a `DataError`.
    """
    rows.check_coverage()
    probabilities = classifier.probabilities(rows.texts, batch_size=batch_size)
    report = EvaluationReport.from_predictions(
        rows.class_ids(), probabilities.argmax(axis=-1), rows.known_labels, split=split
    )
    report.details.update(rows.details())
    if rows.warning():
        report.notes.append(rows.warning())
    report.save(output)
    return report


def evaluate_folder(classifier, model_dir, data=None, split="test", output=None, batch_size=256):
    """Evaluates a loaded classifier (`model_folder.load_classifier`) and writes the report.

    `held_out_rows` then `evaluate_rows`; the report goes to `output`
    (default `<model_dir>/evaluation`).
    """
    rows, split = held_out_rows(classifier, model_dir, data, split if data is not None else None)
    output = output or pathlib.Path(model_dir) / model_folder.EVALUATION_DIR
    return evaluate_rows(classifier, rows, split, output, batch_size=batch_size)
