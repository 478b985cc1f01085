"""`ExampleCollector`: the checks every reader shares, so each reader only parses.

A reader hands over (line, text, label) for each row; the collector decides
keep or skip (empty text, missing or unknown label, undecodable bytes, text
too long), records why, raises in strict mode, and stops at `max_rows`.
"""

import re

from tfcharnlp.data.read_report import ReadReport, encoding_suggestion
from tfcharnlp.errors import DataError

# Readers decode with errors="surrogateescape": a byte that is not valid in
# the encoding becomes a lone surrogate, so the bad row is found and skipped
# with its line number instead of failing the whole file or turning into "?".
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class ExampleCollector:
    """Accumulates kept texts and labels and the `ReadReport` of one read.

    Args:
        config: the `DataConfig` being read.
        source: the path or name reported in messages.
        format: the resolved format.
        labeled: whether rows carry a label.
    """

    def __init__(self, config, source, format, labeled=True):
        self.config = config
        self.source = source
        self.labeled = labeled
        self.texts = []
        self.labels = [] if labeled else None
        self.declared_labels = None
        self.report = ReadReport(source=str(source), format=format, encoding=config.encoding)
        self._fixed_labels = set(config.labels) if config.labels is not None else None

    @property
    def full(self):
        """True once `max_rows` rows are kept; readers stop reading then."""
        return self.config.max_rows is not None and self.report.rows_kept >= self.config.max_rows

    def blank(self):
        self.report.blank_lines += 1

    def skip(self, line, reason, where=None, hint=None):
        """Counts a malformed row, or raises DataError naming file and line in strict mode.

        `where` names the file of the row for sources made of many files;
        `hint`, a next step, is added to the strict-mode error (the report
        gives its own hints once, not on every row).
        """
        if where is not None:
            reason = f"{where}: {reason}"
        self.report.rows_read += 1
        if self.config.strict:
            where = f"{self.source}:{line}" if line is not None else f"{self.source}"
            hint = f"; {hint}" if hint else ""
            raise DataError(
                f"{where}: {reason}{hint} (strict mode; drop --strict to skip such rows)"
            )
        self.report.add_skipped(line, reason)

    def skip_undecodable(self, line, detail, where=None):
        """Skips a row holding bytes that are not valid in the configured encoding."""
        self.report.undecodable += 1
        encoding = self.config.encoding
        hint = f"try {encoding_suggestion(encoding)}"
        self.skip(line, f"undecodable bytes ({detail}not valid {encoding})", where, hint)

    def check_decodable(self, line, text, where=None):
        """False (and the row skipped) when `text` holds bytes the encoding could not decode."""
        if _UNDECODABLE.search(text):
            self.skip_undecodable(line, "", where)
            return False
        return True

    def add_whole_text(self, text, rows):
        """Keeps one long unlabeled text made of `rows` lines (plain text for language models).

        No size limit: a corpus is one long text by design.
        """
        self.report.rows_read += rows
        self.report.rows_kept += rows
        if text.strip():
            self.texts.append(text)
            self.report.characters += len(text)

    def add(self, line, text, label=None, where=None):
        """Keeps the row or skips it with a reason; returns True when kept."""
        if text is None or not text.strip():
            self.skip(line, "empty text", where)
            return False
        if len(text) > self.config.max_text_chars:
            self.skip(
                line,
                f"text of {len(text)} characters is over max_text_chars "
                f"{self.config.max_text_chars}",
                where,
            )
            return False
        if not self.check_decodable(line, text, where):
            return False
        if self.labeled:
            label = self._check_label(line, label, where)
            if label is None:
                return False
            self.labels.append(label)
        self.texts.append(text)
        self.report.rows_read += 1
        self.report.rows_kept += 1
        self.report.characters += len(text)
        return True

    def _check_label(self, line, label, where):
        label = "" if label is None else str(label).strip()
        if not label:
            self.skip(line, "missing label", where)
            return None
        if _UNDECODABLE.search(label):
            self.skip_undecodable(line, "in the label: ", where)
            return None
        if self.config.label_map is not None:
            if label not in self.config.label_map:
                known = sorted(self.config.label_map)
                self.skip(line, f"label {label!r} not in label_map {known}", where)
                return None
            label = self.config.label_map[label]
        if self._fixed_labels is not None and label not in self._fixed_labels:
            self.skip(line, f"label {label!r} not in the configured labels", where)
            return None
        return label
