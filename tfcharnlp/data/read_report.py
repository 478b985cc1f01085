"""`ReadReport`: what a reader did with every row, so no row vanishes silently."""

import codecs
import dataclasses
from typing import NamedTuple


def encoding_suggestion(encoding):
    """The `--encoding` values to try when text is not valid `encoding`, as a phrase."""
    if codecs.lookup(encoding).name == "utf-8":
        # Latin-1 decodes any byte; cp1252 is what Windows editors write for Western text.
        return "--encoding latin-1 (or cp1252)"
    return "--encoding utf-8 (or latin-1)"


class SkippedRow(NamedTuple):
    """One row left out: its first physical line (None when not line-based) and why."""

    line: int | None
    reason: str


@dataclasses.dataclass
class ReadReport:
    """Counts of one read: rows read = rows kept + rows skipped.

    Blank lines are counted apart: they hold no row, so they are neither kept
    nor skipped (and never an error in strict mode), but they are reported.

    Args:
        source: the file, folder or `tfds:` name read.
        format: the format it was read as.
        rows_read: data rows seen (a header row is not counted).
        rows_kept: rows that became examples.
        rows_skipped: malformed rows left out; each is listed in `skipped`.
        skipped: `SkippedRow(line, reason)` for every skipped row.
        blank_lines: empty lines passed over.
        header: whether a header row was read (CSV/TSV), else None.
        class_counts: label -> examples kept, in label vocabulary order.
        characters: characters in the kept texts.
        truncated: True when reading stopped at `max_rows`.
        ignored_files: why -> how many files a folder reader left out
            (hidden, not matching `file_suffix`, ...); they are not rows.
        encoding: the encoding the source was read with.
        undecodable: skipped rows that held bytes not valid in `encoding`.
        notes: things a reader noticed that may mean a wrong flag (kept rows
            whose text still holds CSV quotes, ...), one sentence each.
    """

    source: str
    format: str
    rows_read: int = 0
    rows_kept: int = 0
    rows_skipped: int = 0
    skipped: list = dataclasses.field(default_factory=list)
    blank_lines: int = 0
    header: bool | None = None
    class_counts: dict = dataclasses.field(default_factory=dict)
    characters: int = 0
    truncated: bool = False
    ignored_files: dict = dataclasses.field(default_factory=dict)
    encoding: str = "utf-8"
    undecodable: int = 0
    notes: list = dataclasses.field(default_factory=list)

    def add_skipped(self, line, reason):
        self.rows_skipped += 1
        self.skipped.append(SkippedRow(line, reason))

    def ignore(self, why, count=1):
        """Counts files left out of a folder for the reason `why` (a phrase naming the rule)."""
        self.ignored_files[why] = self.ignored_files.get(why, 0) + count

    def encoding_hint(self):
        """A next step when rows were not valid in the encoding, else None."""
        if not self.undecodable:
            return None
        return (
            f"{self.undecodable} of {self.rows_read} rows are not valid {self.encoding}; "
            f"if the source is in another encoding, try {encoding_suggestion(self.encoding)}"
        )

    def mostly_undecodable(self):
        """True when more than half of the rows read could not be decoded: a wrong encoding."""
        return self.undecodable * 2 > self.rows_read

    def mostly_skipped(self):
        """True when more than half of the rows read were skipped, for whatever reason."""
        return self.rows_skipped * 2 > self.rows_read

    def summary(self, max_skipped=5):
        """A few human-readable lines, for logs and `tfcharnlp data`."""
        lines = [f"source: {self.source} (format {self.format})"]
        counts = (
            f"rows read: {self.rows_read}, kept: {self.rows_kept}, skipped: {self.rows_skipped}"
        )
        if self.blank_lines:
            counts += f", blank lines: {self.blank_lines}"
        if self.header is not None:
            counts += ", header row" if self.header else ", no header row"
        if self.truncated:
            counts += " (stopped at max_rows)"
        lines.append(counts)
        if self.ignored_files:
            ignored = "; ".join(f"{why}: {count}" for why, count in self.ignored_files.items())
            lines.append(f"files ignored: {ignored}")
        lines.append(f"characters: {self.characters}")
        for skipped in self.skipped[:max_skipped]:
            where = f"line {skipped.line}" if skipped.line is not None else "file"
            lines.append(f"  skipped {where}: {skipped.reason}")
        if len(self.skipped) > max_skipped:
            lines.append(f"  ... and {len(self.skipped) - max_skipped} more skipped rows")
        if self.encoding_hint():
            lines.append(f"hint: {self.encoding_hint()}")
        lines.extend(f"note: {note}" for note in self.notes)
        if self.class_counts:
            total = sum(self.class_counts.values())
            lines.append(f"classes: {len(self.class_counts)}")
            for label, count in self.class_counts.items():
                share = 100.0 * count / total if total else 0.0
                lines.append(f"  {label}: {count} ({share:.1f}%)")
            if sum(1 for count in self.class_counts.values() if count) < 2:
                # Files sorted by label (IMDB) give one class under max_rows; say so loudly.
                lines.append("warning: fewer than two classes among the kept rows")
        return "\n".join(lines)
