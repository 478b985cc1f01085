"""Character modes: how many ids each gives, and what the model's first layer then costs.

A character model's first layer holds one row of floats per id: an
embedding row, or, for CharCNN's one-hot input, a row of its first
convolution (kernel width x filters). "alphabet" gives a few dozen ids and
"bytes" 258, but "unicode" gives 1,114,114, so its table alone runs to
hundreds of megabytes, nearly all of it rows no training text ever reaches.

Pure Python (no TensorFlow): the flag help, `tfcharnlp data` and the
warning `train` gives all use it.
"""

from tfcharnlp.alphabets import NUM_RESERVED_IDS, ZHANG_ALPHABET, resolve_alphabet

CHAR_MODES = ("alphabet", "unicode", "bytes")
# One past the largest Unicode code point (U+10FFFF).
UNICODE_LIMIT = 0x110000
BYTE_VALUES = 256
FLOAT_BYTES = 4
# Row widths of the first layer, to size tables where no model is built yet
# (`tfcharnlp data`, the help): the LSTM and CNN-LSTM embedding default, and
# CharCNN-small's first one-hot convolution (7 taps x 256 filters).
EMBEDDING_ROW = 128
CHAR_CNN_ROW = 7 * 256
# A first layer larger than this is worth a warning when most rows go unused.
LARGE_TABLE_BYTES = 64 * 2**20


def char_vocabulary_size(mode, alphabet=ZHANG_ALPHABET, extra_characters="", code_point_limit=None):
    """Ids of a character mode, the padding and unknown ids included.

    `alphabet` and `extra_characters` count in mode "alphabet" only,
    `code_point_limit` (default: all of Unicode) in mode "unicode" only.
    """
    if mode == "alphabet":
        return NUM_RESERVED_IDS + len(resolve_alphabet(alphabet, extra_characters))
    if mode == "bytes":
        return NUM_RESERVED_IDS + BYTE_VALUES
    if mode == "unicode":
        limit = UNICODE_LIMIT if code_point_limit is None else min(code_point_limit, UNICODE_LIMIT)
        return NUM_RESERVED_IDS + limit
    from tfcharnlp.errors import ConfigError

    raise ConfigError("char_mode", f"expected one of {CHAR_MODES}, got {mode!r}")


def table_bytes(rows, row_width):
    """Bytes of a float32 table of `rows` x `row_width`."""
    return rows * row_width * FLOAT_BYTES


def format_bytes(size):
    """`1.5 GiB`, `544 MiB`, `36 KiB`: binary units, as `ls -lh` and `du -h` count."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size} B"


def _help():
    unicode_ids = char_vocabulary_size("unicode")
    return (
        "where character ids come from: 'alphabet' (its characters, about 70 ids; others "
        "are unknown - add them with --extra-characters), 'bytes' (UTF-8 bytes, 258 ids) or "
        f"'unicode' (every code point, {unicode_ids:,} ids: the first layer alone is then "
        f"{format_bytes(table_bytes(unicode_ids, EMBEDDING_ROW))} as a {EMBEDDING_ROW}-wide "
        f"embedding, {format_bytes(table_bytes(unicode_ids, CHAR_CNN_ROW))} as char_cnn's "
        "one-hot convolution, almost all of it never trained; "
        "`tfcharnlp data` shows each mode's size for your data)"
    )


CHAR_MODE_HELP = _help()


def embedding_table_warning(
    char_mode, vocabulary_size, row_width, used_ids=None, threshold_bytes=LARGE_TABLE_BYTES
):
    """A warning when the first layer's table is large and mostly rows no text reaches, else None.

    Args:
        char_mode: the tokenizer's mode, named in the message.
        vocabulary_size: ids of the tokenizer (rows of the table).
        row_width: floats per row: the embedding width, or for a one-hot
            first convolution its kernel width x filters.
        used_ids: distinct ids the training texts use (e.g. their distinct
            characters, plus the two reserved ids), or None if unknown.
        threshold_bytes: tables up to this size are never worth a warning.
    """
    size = table_bytes(vocabulary_size, row_width)
    if size <= threshold_bytes:
        return None
    if used_ids is not None and used_ids * 2 > vocabulary_size:
        return None  # most rows are trained: the size is what the data needs.
    used = (
        f"; the training texts use {used_ids:,} of those ids, the other rows are never trained"
        if used_ids is not None
        else ""
    )
    advice = (
        "--char-mode alphabet with --extra-characters for the characters it lacks "
        "(`tfcharnlp data` lists them), or --char-mode bytes (258 ids)"
        if char_mode == "unicode"
        else "a smaller vocabulary or a narrower embedding"
    )
    return (
        f"char_mode {char_mode!r}: the first layer's table is {vocabulary_size:,} ids x "
        f"{row_width:,} floats = {format_bytes(size)}{used}, and the model file carries all "
        f"of it; consider {advice}"
    )
