"""`read_examples`: any supported source -> Python lists of texts and labels plus a report.

Readers stay in pure Python (no TensorFlow), so reading, checking and
reporting is fast and testable; `load_dataset` turns the result into tf.data.
"""

import dataclasses
import os

from tfcharnlp.data.csv_reader import read_delimited
from tfcharnlp.data.directory_reader import read_directory
from tfcharnlp.data.example_collector import ExampleCollector
from tfcharnlp.data.jsonl_reader import read_jsonl
from tfcharnlp.data.label_vocabulary import LabelVocabulary
from tfcharnlp.data.prefixed_reader import read_prefixed
from tfcharnlp.data.read_report import ReadReport
from tfcharnlp.data.text_reader import read_text
from tfcharnlp.data.tfds_reader import is_labeled, read_tfds, tfds_name
from tfcharnlp.errors import ConfigError, DataError


@dataclasses.dataclass
class ReadResult:
    """What `read_examples` returns.

    Args:
        texts: the kept texts (one long text for plain text).
        labels: their labels as strings, or None for unlabeled sources.
        report: the `ReadReport` (rows read, kept, skipped and why, classes).
        label_vocabulary: the `LabelVocabulary`, or None for unlabeled sources.
    """

    texts: list
    labels: list | None
    report: ReadReport
    label_vocabulary: LabelVocabulary | None


def _labeled(config, format):
    if format == "text":
        return False
    if format in ("prefixed", "directory"):
        return True
    if format == "tfds":
        return is_labeled(tfds_name(config.path))
    return config.label_column is not None


def _check_kept(path, report, kept_any):
    """Fails when nothing was kept, or when most rows were not valid in the encoding.

    A wrong encoding loses most non-ASCII rows and leaves a skewed remainder
    (often one class), so it is an error here, named as such, rather than a
    puzzle later ("needs at least 2 labels").
    """
    if kept_any and not report.mostly_undecodable():
        return
    if report.mostly_undecodable():
        problem = f"the encoding looks wrong: {report.encoding_hint()}"
    elif report.ignored_files and not report.rows_read:
        problem = "every file was ignored (see 'files ignored' below)"
    else:
        problem = "no examples kept"
    raise DataError(f"{path}: {problem}\n{report.summary()}")


def read_examples(config):
    """Reads the source `config` describes.

    Raises:
        ConfigError: the config does not fit the source (unknown column, ...).
        DataError: the source is missing or empty, most rows are not valid in
            the encoding, or a row is bad in strict mode.
        OfflineError: a `tfds:` source cannot be reached.
    """
    format = config.resolved_format()
    path = config.path
    if format != "tfds":
        if path is None:
            raise ConfigError("path", "no data file given")
        if format == "directory" and not os.path.isdir(path):
            raise DataError(f"{path}: not a folder (format directory)")
        if format != "directory" and not os.path.isfile(path):
            raise DataError(f"{path}: no such file")
    collector = ExampleCollector(config, path, format, labeled=_labeled(config, format))
    if format in ("csv", "tsv"):
        read_delimited(config, path, format, collector)
    elif format == "jsonl":
        read_jsonl(config, path, collector)
    elif format == "text":
        read_text(config, path, collector)
    elif format == "prefixed":
        read_prefixed(config, path, collector)
    elif format == "directory":
        read_directory(config, path, collector)
    else:
        read_tfds(config, collector)
    _check_kept(path, collector.report, bool(collector.texts))

    vocabulary = None
    if collector.labeled:
        if config.labels is not None:
            vocabulary = LabelVocabulary(config.labels)
        elif collector.declared_labels is not None and config.label_map is None:
            vocabulary = LabelVocabulary(collector.declared_labels)
        else:
            vocabulary = LabelVocabulary.from_labels(collector.labels)
        counts = dict.fromkeys(vocabulary.labels, 0)
        for label in collector.labels:
            counts[label] += 1
        collector.report.class_counts = counts
    return ReadResult(
        texts=collector.texts,
        labels=collector.labels,
        report=collector.report,
        label_vocabulary=vocabulary,
    )
