"""`DataConfig`: everything needed to read one data source, in one place.

One dataclass (not keyword soup spread over readers) so that presets, the
`--data` command-line flags and saved training configs all describe a data
source the same way, and the whole config can be written next to a model.
"""

import dataclasses
import os
from collections.abc import Mapping, Sequence

from tfcharnlp.data.split import check_split_fraction
from tfcharnlp.errors import ConfigError
from tfcharnlp.validation import check_choice, check_int

FORMATS = ("csv", "tsv", "jsonl", "text", "prefixed", "directory", "tfds")
LABEL_PREFIX_STYLES = ("trec", "trec_fine", "fasttext")
QUOTING_STYLES = ("minimal", "none")
TFDS_PREFIX = "tfds:"

# File name endings -> format, for `format=None`. `.label` is TREC's own ending.
_EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".label": "prefixed",
}


@dataclasses.dataclass
class DataConfig:
    """Where a data set is and how to read it as (text, label) examples.

    Args:
        path: a file, a folder with one subfolder per class, or `tfds:NAME`.
        format: one of `FORMATS`; `None` infers it from `path` (extension,
            folder, or the `tfds:` prefix).
        text_columns: column names or 0-based indices (CSV/TSV) or field
            names (JSONL) holding the text; several are joined with a space.
        label_column: name or index of the label; `None` reads unlabeled rows.
        header: whether a CSV/TSV file starts with a header row. `None`
            (auto): yes when a column is chosen by name; with indices, yes
            when the first row's label field is a usual label header name
            (`label`, `class`, ...) or is not an integer while the second
            row's is (a `text,label` header over 0/1 labels).
        separator: field separator; `None` is `,` for CSV and a tab for TSV.
        quoting: `"minimal"` (double-quoted fields, as the csv module
            writes) or `"none"` (quotes are text); `None` is minimal for CSV
            and none for TSV, since TSV files such as SMS Spam hold bare `"`.
        encoding: text encoding, e.g. `"utf-8"` or `"latin-1"` (TREC).
        label_prefix: style of `prefixed` lines: `"trec"` (`LABEL:fine text`
            -> coarse LABEL), `"trec_fine"` (-> `LABEL:fine`) or `"fasttext"`
            (`__label__x text`).
        label_map: raw label -> label name (AG News: `"1"` -> `"World"`).
        labels: a fixed label vocabulary, in order; rows with other labels
            are skipped. `None` builds the vocabulary from the data.
        max_rows: stop after this many kept rows (lines for plain text).
        max_text_chars: rows whose text is longer are skipped as malformed
            (usually a broken quote that swallowed the file). Not applied to
            plain text, which is one long text by design.
        validation_split: fraction of examples in the validation split.
        split_seed: salt of the split hash; change it for another split.
        strict: raise `DataError` on the first bad row instead of skipping.
        tfds_split: the TFDS split to read for `tfds:` sources.
        file_suffix: for a folder of class folders, read only files whose
            name ends in this (e.g. `".txt"`, Keras' rule); `None` reads every
            file that is not hidden. Left-out files are counted in the report.
    """

    path: str | None = None
    format: str | None = None
    text_columns: Sequence[str | int] = ("text",)
    label_column: str | int | None = "label"
    header: bool | None = None
    separator: str | None = None
    quoting: str | None = None
    encoding: str = "utf-8"
    label_prefix: str = "trec"
    label_map: Mapping[str, str] | None = None
    labels: Sequence[str] | None = None
    max_rows: int | None = None
    max_text_chars: int = 100_000
    validation_split: float = 0.1
    split_seed: int = 0
    strict: bool = False
    tfds_split: str = "train"
    file_suffix: str | None = None

    def __post_init__(self):
        if isinstance(self.text_columns, (str, int)):
            self.text_columns = (self.text_columns,)
        self.text_columns = tuple(self.text_columns)
        if not self.text_columns:
            raise ConfigError("text_columns", "needs at least one column")
        if self.path is not None:
            self.path = os.fspath(self.path)
        if self.format is not None:
            check_choice("format", self.format, FORMATS)
        check_choice("label_prefix", self.label_prefix, LABEL_PREFIX_STYLES)
        if self.quoting is not None:
            check_choice("quoting", self.quoting, QUOTING_STYLES)
        if self.separator is not None and (
            not isinstance(self.separator, str) or len(self.separator) != 1
        ):
            raise ConfigError("separator", f"expected one character, got {self.separator!r}")
        check_split_fraction(self.validation_split)
        check_int("max_rows", self.max_rows, minimum=1, optional=True)
        check_int("max_text_chars", self.max_text_chars, minimum=1)
        if self.file_suffix is not None and not isinstance(self.file_suffix, str):
            raise ConfigError("file_suffix", f"expected a string, got {self.file_suffix!r}")
        if self.labels is not None:
            self.labels = tuple(str(label) for label in self.labels)
        if self.label_map is not None:
            self.label_map = {str(key): str(value) for key, value in self.label_map.items()}
        try:
            "".encode(self.encoding)
        except LookupError as error:
            raise ConfigError("encoding", f"unknown encoding {self.encoding!r}") from error

    def resolved_format(self):
        """The format to read with: the given one, or inferred from `path`."""
        if self.format is not None:
            return self.format
        if self.path is None:
            raise ConfigError("path", "no data source given")
        if self.path.startswith(TFDS_PREFIX):
            return "tfds"
        if os.path.isdir(self.path):
            return "directory"
        extension = os.path.splitext(self.path)[1].lower()
        if extension in _EXTENSION_FORMATS:
            return _EXTENSION_FORMATS[extension]
        raise ConfigError(
            "format",
            f"cannot infer the format of {self.path!r} from its name; "
            f"give one of {FORMATS} (--format)",
        )

    def get_config(self):
        """A JSON-ready dict (saved with a model as part of its training config)."""
        config = dataclasses.asdict(self)
        config["text_columns"] = list(self.text_columns)
        if self.labels is not None:
            config["labels"] = list(self.labels)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
