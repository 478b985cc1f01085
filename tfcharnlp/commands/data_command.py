"""`tfcharnlp data`: read a data source and print what was read, before training on it."""

import dataclasses
import logging
import shlex

from tfcharnlp.alphabets import ALPHABETS, ZHANG_ALPHABET, describe_alphabets
from tfcharnlp.char_modes import CHAR_MODES
from tfcharnlp.data.arguments import add_data_arguments
from tfcharnlp.data.text_statistics import AUTO_LENGTH, SUGGESTED_PERCENTILE, parse_max_length
from tfcharnlp.models import families
from tfcharnlp.training.train_config import NORMALIZE_STEPS, TrainConfig

logger = logging.getLogger(__name__)


def _train_default(name):
    """A `TrainConfig` field's default: `data` reports on what `train` would use.

    A recipe field (unset in `TrainConfig`) takes the default family's recipe value.
    """
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    field = fields[name]
    if name in families.RECIPE_FIELDS:
        family = families.get_family(fields["family"].default)
        return family.recipe().get(name)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def _normalize_steps(value):
    import argparse

    steps = [step for step in value.split(",") if step]
    unknown = [step for step in steps if step not in NORMALIZE_STEPS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown steps {unknown}; known: {NORMALIZE_STEPS}")
    return steps


def register(subparsers):
    parser = subparsers.add_parser(
        "data",
        help="read a data set and report rows kept/skipped, classes, lengths and alphabet coverage",
        description=(
            "Reads a data source (a --preset of the shared data, or --path FILE) and prints "
            "rows read/kept/skipped, skipped line numbers, the class distribution, the "
            "train/validation sizes, the text lengths against --max-length, the characters "
            "the alphabet lacks, the size of each --char-mode's first layer and a few sample "
            "rows. Exits with 2 when most rows were skipped."
        ),
    )
    add_data_arguments(parser)
    parser.add_argument("--samples", type=int, default=3, help="sample rows to print")
    parser.add_argument("--max-skipped", type=int, default=5, help="skipped lines to list")
    parser.add_argument(
        "--labels-out", metavar="FILE", help="also write the label vocabulary (one per line)"
    )
    model = parser.add_argument_group(
        "what `train` would use (same flags and defaults), for the length and alphabet reports"
    )
    model.add_argument(
        "--max-length",
        type=parse_max_length,
        default=_train_default("max_length"),
        help=(
            "characters (or words) per text, or 'auto' (the training texts' "
            f"{SUGGESTED_PERCENTILE}th percentile within the default family's bounds; "
            "default: %(default)s)"
        ),
    )
    model.add_argument(
        "--alphabet",
        default="zhang69",
        help=f"the alphabet's characters, or a named alphabet: {describe_alphabets()}",
    )
    model.add_argument(
        "--extra-characters",
        "--extra_characters",
        dest="extra_characters",
        default=_train_default("extra_characters"),
        help="characters added to the alphabet (e.g. accents)",
    )
    model.add_argument(
        "--normalize",
        type=_normalize_steps,
        default=_train_default("normalize"),
        help="comma-separated normalization steps (default: "
        f"{','.join(_train_default('normalize'))}); only lower and nfkc change which "
        "characters a text holds, so only they are applied here",
    )
    parser.set_defaults(func=run)


def _shorten(text, width=100):
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _share(count, total):
    return f"{100.0 * count / total:.1f}%" if total else "0%"


def _lengths_report(texts, max_length):
    from tfcharnlp.data.text_statistics import LengthStatistics

    characters = LengthStatistics.of(texts, "characters")
    words = LengthStatistics.of(texts, "words")
    total = len(texts)
    lines = []
    if max_length == AUTO_LENGTH:
        # What `train --max-length auto` picks for the default family's characters.
        family = families.get_family(_train_default("family"))
        max_length = characters.suggested_max_length(family.min_length, family.auto_length_cap)
        lines = [f"  --max-length auto: {max_length} characters for {family.name}"]
    over_characters, over_words = characters.over(max_length), words.over(max_length)
    return [
        f"text length ({total:,} texts; percentiles):",
        f"  {characters.describe()}",
        f"  {words.describe()}",
        *lines,
        f"  over --max-length {max_length}: {over_characters:,} texts "
        f"({_share(over_characters, total)}) in characters, truncated by a character model; "
        f"{over_words:,} ({_share(over_words, total)}) in words, for --tokenizer word",
        f"  suggested --max-length: {characters.suggested_max_length()} for characters, "
        f"{words.suggested_max_length()} for words "
        f"(the {SUGGESTED_PERCENTILE}th percentile, rounded up)",
    ]


def _alphabet_label(alphabet, extra_characters):
    name = alphabet if alphabet in ALPHABETS else "custom"
    return name + (f" + {len(set(extra_characters))} extra" if extra_characters else "")


def _coverage_report(texts, args):
    from tfcharnlp.alphabets import resolve_alphabet
    from tfcharnlp.data.text_statistics import AlphabetCoverage, unapplied_steps

    characters = resolve_alphabet(args.alphabet, args.extra_characters)
    coverage = AlphabetCoverage.of(texts, characters, args.normalize)
    label = _alphabet_label(args.alphabet, args.extra_characters)
    after = f"after {','.join(args.normalize)}" if args.normalize else "no normalization"
    skipped_steps = unapplied_steps(args.normalize)
    if skipped_steps:
        after += f"; {','.join(skipped_steps)} not applied here"
    unknown = sum(coverage.unknown.values())
    lines = [
        f"alphabet {label} ({len(characters)} characters, {after}): "
        f"{100.0 * coverage.unknown_share:.2f}% of {coverage.characters:,} non-space "
        f"characters are outside it and get the unknown id"
    ]
    if unknown:
        frequent = ", ".join(
            f"{character!r} {count:,}" for character, count in coverage.unknown.most_common(10)
        )
        lines.append(f"  most frequent: {frequent}")
        extra = args.extra_characters + coverage.extra_characters()
        if coverage.extra_characters():
            lines.append(f"  to keep them: --extra-characters {shlex.quote(extra)}")
    if not coverage.space_known and coverage.spaces:
        lines.append(
            f"  space: not in this alphabet, so the {coverage.spaces:,} spaces get the unknown "
            "id too (as in Crepe; zhang70 has the space)"
        )
    return lines, characters, coverage.distinct


def _char_mode_report(characters, distinct):
    from tfcharnlp.char_modes import (
        CHAR_CNN_ROW,
        EMBEDDING_ROW,
        char_vocabulary_size,
        format_bytes,
        table_bytes,
    )

    lines = [
        f"first-layer table by --char-mode (a row per id; the texts use {distinct:,} "
        f"distinct characters): as a {EMBEDDING_ROW}-wide embedding / as char_cnn's "
        "one-hot convolution"
    ]
    for mode in CHAR_MODES:
        ids = char_vocabulary_size(mode, characters if mode == "alphabet" else ZHANG_ALPHABET)
        embedding = format_bytes(table_bytes(ids, EMBEDDING_ROW))
        convolution = format_bytes(table_bytes(ids, CHAR_CNN_ROW))
        lines.append(f"  {mode:<8} {ids:>9,} ids  {embedding:>8} / {convolution}")
    return lines


def run(args):
    # Pure Python reading and splitting: no TensorFlow import, so the command is quick.
    from tfcharnlp.data.arguments import data_config_from_args
    from tfcharnlp.data.read_examples import read_examples
    from tfcharnlp.data.split import split_examples, split_text
    from tfcharnlp.errors import ConfigError, DataError

    config = data_config_from_args(args)
    result = read_examples(config)
    report = result.report
    print(report.summary(max_skipped=args.max_skipped))
    if result.labels is None and config.resolved_format() in ("text", "tfds"):
        train, validation = split_text("".join(result.texts), config.validation_split)
        print(f"train: {len(train)} characters, validation: {len(validation)} characters")
        distinct = len(set("".join(result.texts)))
        print(f"a language model's alphabet is the text's own: {distinct} distinct characters")
        print("sample:")
        print(f"  {train[:200]!r}")
    else:
        (train, _), (validation, _) = split_examples(
            result.texts, result.labels, config.validation_split, config.split_seed
        )
        print(
            f"train: {len(train)} examples, validation: {len(validation)} examples "
            f"(validation_split {config.validation_split}, split_seed {config.split_seed})"
        )
        print("\n".join(_lengths_report(result.texts, args.max_length)))
        coverage_lines, characters, distinct = _coverage_report(result.texts, args)
        print("\n".join(coverage_lines))
        print("\n".join(_char_mode_report(characters, distinct)))
        print("samples:")
        for index in range(min(args.samples, len(result.texts))):
            label = f"[{result.labels[index]}] " if result.labels is not None else ""
            print(f"  {label}{_shorten(result.texts[index])}")
    if args.labels_out:
        if result.label_vocabulary is None:
            raise ConfigError("labels_out", "the source has no labels")
        result.label_vocabulary.save(args.labels_out)
        print(f"label vocabulary ({len(result.label_vocabulary)} labels) -> {args.labels_out}")
    if report.mostly_skipped():
        # `data` is the check before `train`: a script (`data && train`) should stop here.
        raise DataError(
            f"most rows were skipped ({report.rows_skipped} of {report.rows_read}); "
            "the report above lists why"
        )
    return 0
