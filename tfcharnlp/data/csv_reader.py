"""CSV and TSV rows -> examples, with the standard `csv` module.

The csv module handles quoted fields with embedded separators and line
breaks, and reads IMDB's 25,000 reviews in a fraction of a second; line
numbers in reports are the physical line where a row starts.
"""

import codecs
import csv
from collections import Counter
from typing import NamedTuple

from tfcharnlp.errors import ConfigError

# Records looked at before reading: the header question and the expected width.
_LOOKAHEAD = 20
# Header names commonly given to a label column, for header auto-detection.
_LABEL_HEADER_NAMES = {"label", "labels", "class", "category", "target", "sentiment", "y"}


def open_text(path, encoding):
    """Opens `path` for reading; undecodable bytes become lone surrogates (see ExampleCollector)."""
    # utf-8-sig reads plain UTF-8 too and drops a byte-order mark some editors write.
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    return open(path, encoding=encoding, errors="surrogateescape", newline="")


class _LineFeed:
    """The file's lines for `csv.reader`, numbered, and able to hand lines back.

    `taken` holds the (number, line) pairs of the record being read, so a
    record that went wrong can give all but its first line back to be read again.
    """

    def __init__(self, file):
        self._file = file
        self._handed_back = []  # a stack: the next line to read is on top
        self._next_number = 1
        self.taken = []

    def __iter__(self):
        return self

    def __next__(self):
        if self._handed_back:
            item = self._handed_back.pop()
        else:
            item = (self._next_number, next(self._file))
            self._next_number += 1
        self.taken.append(item)
        return item[1]

    def hand_back(self, items):
        self._handed_back.extend(reversed(items))


class _Record(NamedTuple):
    """One CSV record: its first and last physical lines, its fields, or why it has none."""

    line: int
    last_line: int
    fields: list | None
    problem: str | None


class _Records:
    """Yields a `_Record` for each CSV record.

    The csv module's lenient parsing lets an unterminated quote run on over
    the following lines (up to the next quote or the end of the file), so one
    stray `"` can make every row after it vanish into one field. Records are
    parsed strictly instead: a record over several lines that is malformed
    there is an unterminated quote, reported on the line the quote opened.
    That line alone is skipped; the lines after it are read again as rows.
    A malformed one-line record (`"Great" movie,pos`) is parsed leniently,
    as before.
    """

    def __init__(self, file, **dialect):
        self._feed = _LineFeed(file)
        self._dialect = dialect
        self._reader = csv.reader(self._feed, strict=True, **dialect)

    def __iter__(self):
        while True:
            self._feed.taken = []
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield self._malformed(self._feed.taken, error)
                continue
            yield _Record(self._feed.taken[0][0], self._feed.taken[-1][0], row, None)

    def _malformed(self, taken, error):
        first, line = taken[0]
        last = taken[-1][0]
        at_end = str(error) == "unexpected end of data"
        if len(taken) == 1 and not at_end:
            try:
                fields = next(csv.reader([line], strict=False, **self._dialect))
            except csv.Error as lenient_error:
                return _Record(first, first, None, f"malformed CSV record: {lenient_error}")
            return _Record(first, first, fields, None)
        self._feed.hand_back(taken[1:])
        if at_end:
            where = "runs to the end of the file"
        else:
            where = f"does not close cleanly ({error} on line {last})"
        problem = f"unterminated quote: the quoted field opened on this line {where}"
        return _Record(first, first, None, problem)


def _is_integer(value):
    try:
        int(value.strip())
    except ValueError:
        return False
    return True


def _detect_header(first, second, label_index):
    """Auto header for index columns: a non-integer label over integer labels is a header."""
    if label_index is None or first is None:
        return False
    try:
        first_label = first[label_index]
    except IndexError:
        return False
    if first_label.strip().lower() in _LABEL_HEADER_NAMES:
        return True
    if second is None or _is_integer(first_label):
        return False
    try:
        return _is_integer(second[label_index])
    except IndexError:
        return False


def _column_index(column, header, field):
    if isinstance(column, int):
        return column
    if header is None:
        raise ConfigError(field, f"column {column!r} is a name but the file has no header row")
    names = [name.strip() for name in header]
    if column in names:
        return names.index(column)
    hint = " (--no-labels reads rows without labels)" if field == "label_column" else ""
    raise ConfigError(field, f"no column {column!r} in the header {names}{hint}")


def _wrapped_in_quotes(text):
    return len(text) >= 2 and text[0] == '"' and text[-1] == '"'


def _quotes_note(wrapped, kept, format):
    """A note when kept texts still carry the quotes CSV quoting puts around a field."""
    if not wrapped:
        return None
    default = " (the TSV default)" if format == "tsv" else ""
    return (
        f"{wrapped} of {kept} texts start and end with a double quote, as CSV quoting writes "
        f"fields; read with --quoting none{default}, the quotes stay in the text "
        "(--quoting minimal reads them as quoting)"
    )


def _check_width(width, used):
    if any(not -width <= index < width for index in used):
        raise ConfigError(
            "text_columns", f"column index out of range: columns {used}, the file has {width}"
        )
    return width


def read_delimited(config, path, format, collector):
    """Reads a CSV (`format="csv"`) or TSV file into `collector`."""
    separator = config.separator or ("," if format == "csv" else "\t")
    quoting = config.quoting or ("minimal" if format == "csv" else "none")
    # A field longer than the csv module's limit is a csv.Error, skipped like any bad row;
    # raise the limit so that only max_text_chars decides what is too long.
    if csv.field_size_limit() <= config.max_text_chars:
        csv.field_size_limit(config.max_text_chars + 1)
    text_columns = config.text_columns
    label_column = config.label_column if collector.labeled else None
    by_name = any(isinstance(c, str) for c in (*text_columns, label_column))

    with open_text(path, config.encoding) as file:
        records = iter(
            _Records(
                file,
                delimiter=separator,
                quoting=csv.QUOTE_MINIMAL if quoting == "minimal" else csv.QUOTE_NONE,
            )
        )
        # Look ahead at the first records to settle the header and the expected width.
        pending = []
        for record in records:
            if record.fields == []:
                collector.blank()
                continue
            pending.append(record)
            if len(pending) == _LOOKAHEAD:
                break
        if not pending:
            return
        header = config.header
        if header is None:
            if by_name:
                header = True
            else:
                rows = [record.fields for record in pending[:2]]
                second = rows[1] if len(rows) > 1 else None
                header = _detect_header(rows[0], second, label_column)
        collector.report.header = header
        header_row = None
        if header:
            line, _, header_row, problem = pending.pop(0)
            if problem is not None:
                raise ConfigError(
                    "header", f"{path}:{line}: the header row is malformed: {problem}"
                )
        text_indices = [_column_index(c, header_row, "text_columns") for c in text_columns]
        label_index = (
            _column_index(label_column, header_row, "label_column")
            if label_column is not None
            else None
        )
        used = [*text_indices, *([label_index] if label_index is not None else [])]
        if header_row is not None:
            width = len(header_row)
        else:
            # Without a header, the usual width of the first rows is the expected one, so
            # one malformed first row does not make every good row after it "malformed".
            widths = Counter(len(r.fields) for r in pending if r.problem is None)
            width = widths.most_common(1)[0][0] if widths else max(used) + 1
        _check_width(width, used)

        def all_records():
            yield from pending
            yield from records

        wrapped = 0

        for line, last_line, row, problem in all_records():
            if collector.full:
                collector.report.truncated = True
                break
            if problem is not None:
                collector.skip(line, problem)
                continue
            if row == []:
                collector.blank()
                continue
            if len(row) != width:
                span = (
                    f" (one record over lines {line}-{last_line}: an unterminated quote?)"
                    if last_line > line
                    else ""
                )
                collector.skip(line, f"expected {width} columns, found {len(row)}{span}")
                continue
            parts = [row[index] for index in text_indices]
            text = " ".join(part for part in parts if part.strip())
            label = row[label_index] if label_index is not None else None
            if collector.add(line, text, label) and quoting == "none":
                wrapped += any(_wrapped_in_quotes(part.strip()) for part in parts)
    note = _quotes_note(wrapped, collector.report.rows_kept, format)
    if note:
        collector.report.notes.append(note)
