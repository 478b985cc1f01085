"""The data flags, defined once: `tfcharnlp data`, `train` and `tune` all read data the same way."""

import argparse
import os

from tfcharnlp.data.config import (
    FORMATS,
    LABEL_PREFIX_STYLES,
    QUOTING_STYLES,
    TFDS_PREFIX,
    DataConfig,
)
from tfcharnlp.data.locations import DATA_ENV, resolve_data_dir
from tfcharnlp.data.presets import PRESETS, preset
from tfcharnlp.errors import ConfigError, DataError


def _column(value):
    """A column given on the command line: digits are an index, anything else a name."""
    return int(value) if value.isdigit() else value


# flag destination -> DataConfig field, for flags that override a preset when given.
_OVERRIDES = {
    "data_format": "format",
    "text_columns": "text_columns",
    "label_column": "label_column",
    "header": "header",
    "separator": "separator",
    "quoting": "quoting",
    "encoding": "encoding",
    "label_prefix": "label_prefix",
    "max_rows": "max_rows",
    "max_text_chars": "max_text_chars",
    "validation_split": "validation_split",
    "split_seed": "split_seed",
    "strict": "strict",
    "tfds_split": "tfds_split",
    "file_suffix": "file_suffix",
}


def add_data_arguments(parser):
    """Adds the data source flags to an argparse parser (all default to None = not given)."""
    group = parser.add_argument_group("data")
    group.add_argument(
        "--data",
        metavar="DIR",
        help=f"data folder for presets and relative paths (default: ${DATA_ENV}, else ../shared/data)",
    )
    group.add_argument("--preset", choices=PRESETS, help="a shared data set (see SOURCES.md)")
    group.add_argument("--split", help="the preset's split (train, test, dev, ...)")
    group.add_argument(
        "--path", help=f"a data file, a folder of class folders, or {TFDS_PREFIX}NAME"
    )
    group.add_argument(
        "--format", dest="data_format", choices=FORMATS, help="default: from the file name"
    )
    group.add_argument(
        "--text-column",
        dest="text_columns",
        action="append",
        type=_column,
        metavar="NAME_OR_INDEX",
        help="text column (repeat to join several with a space); default: text",
    )
    group.add_argument(
        "--label-column", type=_column, metavar="NAME_OR_INDEX", help="default: label"
    )
    group.add_argument(
        "--no-labels",
        action="store_true",
        default=None,
        help="read unlabeled rows (no label column)",
    )
    group.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether the CSV/TSV file starts with a header row (default: auto)",
    )
    group.add_argument("--separator", help="field separator (default: , for csv, tab for tsv)")
    group.add_argument(
        "--quoting",
        choices=QUOTING_STYLES,
        help="minimal: double-quoted fields, as CSV writers write them; none: quotes are text "
        "(default: minimal for csv, none for tsv; the report notes texts still wrapped in quotes)",
    )
    group.add_argument("--encoding", help="text encoding (default utf-8; TREC is latin-1)")
    group.add_argument("--label-prefix", choices=LABEL_PREFIX_STYLES, help="prefixed line style")
    group.add_argument("--max-rows", type=int, help="stop after this many kept rows")
    group.add_argument(
        "--max-text-chars", type=int, help="longer rows are skipped (default 100000)"
    )
    group.add_argument("--validation-split", type=float, help="validation fraction (default 0.1)")
    group.add_argument("--split-seed", type=int, help="salt of the split hash (default 0)")
    group.add_argument("--tfds-split", help="split of a tfds: source (default train)")
    group.add_argument(
        "--file-suffix",
        metavar="SUFFIX",
        help="folder of class folders: read only files ending in SUFFIX, e.g. .txt "
        "(default: every file that is not hidden)",
    )
    group.add_argument(
        "--strict", action="store_true", default=None, help="fail on the first malformed row"
    )
    return group


def _resolve_path(path, data_flag):
    """A relative path that is not in the working directory is looked up in the data folder."""
    if path.startswith(TFDS_PREFIX) or os.path.isabs(path) or os.path.exists(path):
        return path
    try:
        candidate = resolve_data_dir(data_flag) / path
    except DataError:
        return path
    return str(candidate) if candidate.exists() else path


def data_config_from_args(args):
    """The `DataConfig` the parsed data flags describe: a preset with overrides, or a path."""
    overrides = {
        field: getattr(args, dest)
        for dest, field in _OVERRIDES.items()
        if getattr(args, dest, None) is not None
    }
    if getattr(args, "no_labels", None):
        if "label_column" in overrides:
            raise ConfigError("label_column", "--label-column and --no-labels contradict")
        overrides["label_column"] = None
    if args.preset and args.path:
        raise ConfigError("path", "give --preset or --path, not both")
    if args.preset:
        return preset(args.preset, split=args.split, data_dir=args.data, **overrides)
    if args.split:
        raise ConfigError("split", "--split chooses a preset's file; use it with --preset")
    if not args.path:
        raise ConfigError("path", f"give --preset ({', '.join(PRESETS)}) or --path FILE")
    return DataConfig(path=_resolve_path(args.path, args.data), **overrides)
