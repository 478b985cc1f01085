"""The rows a trained classifier can be scored on, and an account of every row it cannot.

A labelled file read for evaluation loses rows two ways: the reader skips
malformed ones (undecodable, empty, ...; each in its `ReadReport`), and some
rows carry a label the model was never trained on, which no class id can
score. `read_labelled_rows` keeps both counts, so `evaluate` and the push
blessing can say how many rows their numbers cover, and which were left out
and why, instead of reporting metrics on a silent remainder.

Rows left out warn; when more than half of the rows read are left out, the
numbers describe a slice nobody chose, and `check_coverage` refuses them
(the rule `tfcharnlp data` applies to the reader's skips).
"""

import collections
import dataclasses

from tfcharnlp.data.read_report import ReadReport
from tfcharnlp.errors import DataError


def _rows(count):
    return f"{count} row" if count == 1 else f"{count} rows"


def _shorten(text, width=80):
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclasses.dataclass
class LabelledRows:
    """The rows of one labelled source, seen through a model's label vocabulary.

    Args:
        texts, labels: the rows the model can score (their label is one of its classes).
        known_labels: the model's labels, in class-id order.
        report: the reader's `ReadReport` (rows read, kept, skipped and why).
        unknown: `(text, label)` of each kept row whose label the model does not know.
    """

    texts: list
    labels: list
    known_labels: list
    report: ReadReport
    unknown: list = dataclasses.field(default_factory=list)

    @property
    def unknown_counts(self):
        """{label: rows} of the labels the model does not know, most frequent first."""
        return dict(collections.Counter(label for _, label in self.unknown).most_common())

    @property
    def not_evaluated(self):
        """Rows read that are not scored: skipped by the reader, or with an unknown label."""
        return self.report.rows_skipped + len(self.unknown)

    def class_ids(self):
        index = {label: position for position, label in enumerate(self.known_labels)}
        return [index[label] for label in self.labels]

    def subset(self, texts, labels):
        """The same account with other scored rows (e.g. the validation split of these)."""
        return dataclasses.replace(self, texts=list(texts), labels=list(labels))

    def summary(self, verbose=False):
        """The reader's summary (every skipped row when `verbose`) and the unknown labels."""
        shown = len(self.report.skipped) if verbose else 5
        lines = [self.report.summary(max_skipped=shown)]
        if self.unknown:
            counts = ", ".join(f"{label!r} {count}" for label, count in self.unknown_counts.items())
            lines.append(
                f"labels the model does not know: {_rows(len(self.unknown))} ({counts}); "
                f"the model's labels: {', '.join(self.known_labels)}"
            )
            if verbose:
                lines.extend(
                    f"  not scored [{label}]: {_shorten(text)}" for text, label in self.unknown
                )
        return "\n".join(lines)

    def warning(self):
        """`warning: <left_out()>` when rows were left out of the scores, else None."""
        left_out = self.left_out()
        return f"warning: {left_out}" if left_out else None

    def left_out(self):
        """One sentence when rows were left out of the scores, else None."""
        if not self.not_evaluated:
            return None
        read = self.report.rows_read
        return (
            f"{self.not_evaluated} of {_rows(read)} read are not in these numbers "
            f"({self.report.rows_skipped} skipped by the reader, {len(self.unknown)} with a "
            "label the model does not know); the read summary lists them (-v: all of them)"
        )

    def details(self):
        """The counts, for report.json."""
        return {
            "rows": {
                "read": self.report.rows_read,
                "skipped_by_reader": self.report.rows_skipped,
                "unknown_label": len(self.unknown),
                "unknown_labels": self.unknown_counts,
            }
        }

    def check_coverage(self):
        """DataError when no row, or fewer than half of the rows read, can be scored."""
        if not self.texts:
            raise DataError(
                f"{self.report.source}: no row has a label the model knows "
                f"({', '.join(self.known_labels)}); the read summary above says what was read"
            )
        if self.not_evaluated * 2 > self.report.rows_read:
            raise DataError(
                f"{self.report.source}: most rows cannot be scored ({self.not_evaluated} of "
                f"{self.report.rows_read}: {self.report.rows_skipped} skipped by the reader, "
                f"{len(self.unknown)} with a label the model does not know); numbers on the "
                "rest would describe a slice nobody chose. The read summary above lists why"
            )


def read_labelled_rows(data, known_labels):
    """Reads the labelled source `data` (a `DataConfig`) for a model with `known_labels`.

    Every row the reader keeps is split by whether the model knows its
    label. In strict mode (`data.strict`) the reader itself refuses the
    first row with another label, naming its line.
    """
    from tfcharnlp.data.read_examples import read_examples

    known_labels = list(known_labels)
    # Strict: the reader fails at the line; otherwise every labelled row is kept and sorted here.
    labels = tuple(known_labels) if data.strict else None
    result = read_examples(dataclasses.replace(data, labels=labels))
    if result.labels is None:
        raise DataError(f"{data.path}: the source has no labels to evaluate against")
    known = set(known_labels)
    texts, labels, unknown = [], [], []
    for text, label in zip(result.texts, result.labels, strict=True):
        if label in known:
            texts.append(text)
            labels.append(label)
        else:
            unknown.append((text, label))
    return LabelledRows(texts, labels, known_labels, result.report, unknown)
