"""Character tokenizer: strings -> int32 ids, entirely in TensorFlow ops."""

import keras
import numpy as np
import tensorflow as tf

from tfcharnlp.alphabets import (
    NUM_RESERVED_IDS,
    PADDING_ID,
    PADDING_TOKEN,
    UNKNOWN_ID,
    UNKNOWN_PLACEHOLDER,
    UNKNOWN_TOKEN,
    ZHANG_ALPHABET,
    resolve_alphabet,
)
from tfcharnlp.char_modes import CHAR_MODES, UNICODE_LIMIT, char_vocabulary_size
from tfcharnlp.errors import ConfigError
from tfcharnlp.preprocessing.preprocessing_layer import PreprocessingLayer
from tfcharnlp.preprocessing.string_ops import unicode_lower

REPLACEMENT_CHARACTER = 0xFFFD


def _check_positive_int_or_none(field, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(field, f"expected a positive integer or None, got {value!r}")
    return int(value)


def _check_bool(field, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(field, f"expected True or False, got {value!r}")
    return bool(value)


def _reverse_rows(ragged):
    """Reverses each row of a 2-D ragged tensor (tf.reverse has no ragged kernel)."""
    starts = ragged.row_starts()
    limits = ragged.row_limits()
    row_ids = ragged.value_rowids()
    positions = tf.range(
        tf.shape(ragged.flat_values, out_type=row_ids.dtype)[0], dtype=row_ids.dtype
    )
    reversed_positions = tf.gather(starts + limits, row_ids) - 1 - positions
    return ragged.with_flat_values(tf.gather(ragged.flat_values, reversed_positions))


@keras.saving.register_keras_serializable(package="tfcharnlp")
class CharTokenizer(PreprocessingLayer):
    """Maps strings to character ids, padded or truncated to `max_length`.

    Ids: 0 is padding, 1 the unknown character, real characters start at 2.
    Three modes choose what a character is:

    - `"alphabet"`: the characters of `alphabet` + `extra_characters` get ids
      2, 3, ... in order; anything else is unknown (1). The default alphabet
      is Zhang et al. (2015)'s 69 distinct characters (see `tfcharnlp.alphabets`
      for the 69/70 question and the "zhang70" and "crepe" variants).
    - `"unicode"`: every code point `c` below `code_point_limit` gets id
      `c + 2`, with no table at all; code points at or above the limit are
      unknown. The default limit covers all of Unicode (1,114,114 ids); set
      e.g. `code_point_limit=0x3000` to keep an embedding small while still
      covering Latin, Greek, Cyrillic, Arabic and Indic scripts. A limit is
      used rather than hashing because hashing would silently merge
      characters, while a limit sends them, visibly, to the unknown id.
    - `"bytes"`: each UTF-8 byte `b` gets id `b + 2` (258 ids); nothing is
      unknown.

    Input text is decoded as UTF-8 with `errors="replace"`: every invalid
    byte sequence becomes one U+FFFD, which is always the unknown id (1), so
    invalid input never fails and never shifts the other characters. (In
    "bytes" mode the raw bytes are kept, unless `lowercase=True`, whose
    Unicode lower-casing also turns invalid bytes into U+FFFD's three bytes.)

    With `reverse=True` the text is quantized backwards as in the paper and in
    Zhang's Crepe code: the last `max_length` characters are kept and the last
    character of the text sits at position 0.

    Args:
        alphabet: the characters, or a name from `alphabets.ALPHABETS`
            ("zhang69", "zhang70", "crepe"). Repeated characters keep their
            first id. Only for mode "alphabet".
        extra_characters: characters appended to the alphabet, e.g. "éèàç".
        mode: "alphabet", "unicode" or "bytes".
        max_length: output length; longer texts are truncated, shorter ones
            padded with 0. `None` keeps every character (ragged output, or a
            1-D tensor for a scalar input), e.g. for language-model data.
        reverse: quantize backwards (see above).
        lowercase: Unicode lower-case the text first (as `TextNormalizer`'s "lower").
        code_point_limit: for mode "unicode" only; code points from here on
            are unknown. Defaults to 0x110000 (all of Unicode).

    Call arguments:
        inputs: `tf.string` tensor (or Python string / list) of shape `[]`,
            `[batch]` or `[b1, b2]`. Returns int32 ids of shape
            `inputs.shape + [max_length]`.

    Example:
    >>> tokenizer = CharTokenizer(max_length=5, lowercase=True)
    >>> tokenizer(["Ab c", "x"]).numpy().tolist()
    [[2, 3, 1, 4, 0], [25, 0, 0, 0, 0]]
    >>> tokenizer.detokenize([2, 3, 1, 4, 0]).numpy().decode()
    'ab\\ufffdc'
    """

    def __init__(
        self,
        alphabet=ZHANG_ALPHABET,
        extra_characters="",
        mode="alphabet",
        max_length=1014,
        reverse=False,
        lowercase=False,
        code_point_limit=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mode not in CHAR_MODES:
            raise ConfigError("mode", f"expected one of {CHAR_MODES}, got {mode!r}")
        if mode != "alphabet" and (alphabet != ZHANG_ALPHABET or extra_characters):
            raise ConfigError(
                "alphabet",
                f"alphabet and extra_characters apply to mode 'alphabet' only; mode {mode!r} "
                "covers every character",
            )
        if code_point_limit is not None and mode != "unicode":
            raise ConfigError("code_point_limit", f"applies to mode 'unicode' only, not {mode!r}")
        characters = resolve_alphabet(alphabet, extra_characters)
        if chr(REPLACEMENT_CHARACTER) in characters:
            raise ConfigError(
                "alphabet",
                "contains U+FFFD, which is reserved: it stands for invalid UTF-8 and always "
                "gets the unknown id",
            )
        self.alphabet = alphabet
        self.extra_characters = extra_characters
        self.mode = mode
        self.max_length = _check_positive_int_or_none("max_length", max_length)
        self.reverse = _check_bool("reverse", reverse)
        self.lowercase = _check_bool("lowercase", lowercase)
        self.code_point_limit = code_point_limit
        if mode == "unicode":
            limit = _check_positive_int_or_none("code_point_limit", code_point_limit)
            self._limit = UNICODE_LIMIT if limit is None else min(limit, UNICODE_LIMIT)
        # Mode "alphabet" looks characters up by binary search in the sorted
        # code points (`tf.searchsorted`) rather than in a tf.lookup table:
        # constants need no resource tracking when the layer is exported,
        # and the search over ~70 keys is as fast as a hash lookup.
        self._characters = characters
        code_points = np.array([ord(c) for c in characters], dtype=np.int32)
        order = np.argsort(code_points)
        self._sorted_code_points = code_points[order]
        self._sorted_ids = (order + NUM_RESERVED_IDS).astype(np.int32)

    @classmethod
    def from_text(cls, text, max_length=None, **kwargs):
        """A tokenizer whose alphabet is the sorted set of characters of `text`.

        For character language models (Tiny Shakespeare has 65 characters):
        no character of the training text is unknown, and `max_length=None`
        keeps the whole text.
        """
        if not isinstance(text, str) or not text:
            raise ConfigError("text", "expected a non-empty string to build the alphabet from")
        alphabet = "".join(sorted(set(text) - {chr(REPLACEMENT_CHARACTER)}))
        return cls(alphabet=alphabet, mode="alphabet", max_length=max_length, **kwargs)

    @property
    def vocabulary_size(self):
        if self.mode == "alphabet":
            return char_vocabulary_size("alphabet", self._characters)
        if self.mode == "unicode":
            return char_vocabulary_size("unicode", code_point_limit=self._limit)
        return char_vocabulary_size("bytes")

    @property
    def vocabulary(self):
        """The tokens, index = id: `<pad>`, `<unk>`, then the characters.

        Bytes >= 0x80 read `<0xNN>` (SentencePiece's byte-fallback notation).
        In mode "unicode", ids of code points that cannot occur (surrogates,
        U+FFFD) read `<unk>`.
        """
        reserved = [PADDING_TOKEN, UNKNOWN_TOKEN]
        if self.mode == "alphabet":
            return reserved + list(self._characters)
        if self.mode == "bytes":
            return reserved + [chr(b) if b < 0x80 else f"<0x{b:02X}>" for b in range(256)]
        return reserved + [
            UNKNOWN_TOKEN if 0xD800 <= c <= 0xDFFF or c == REPLACEMENT_CHARACTER else chr(c)
            for c in range(self._limit)
        ]

    def _ids_of_code_points(self, code_points):
        if self.mode == "unicode":
            known = (code_points < self._limit) & (code_points != REPLACEMENT_CHARACTER)
            return tf.where(known, code_points + NUM_RESERVED_IDS, UNKNOWN_ID)
        keys = tf.constant(self._sorted_code_points)
        positions = tf.searchsorted(keys, code_points, out_type=tf.int32)
        positions = tf.minimum(positions, len(self._sorted_code_points) - 1)
        found = tf.gather(keys, positions) == code_points
        return tf.where(found, tf.gather(tf.constant(self._sorted_ids), positions), UNKNOWN_ID)

    def _ragged_ids(self, flat_text):
        """[n] strings -> ragged [n, None] int32 ids, before truncation."""
        if self.lowercase:
            flat_text = unicode_lower(flat_text)
        if self.mode == "bytes":
            pieces = tf.strings.bytes_split(flat_text)
            byte_values = tf.reshape(tf.io.decode_raw(pieces.flat_values, tf.uint8), [-1])
            return pieces.with_flat_values(tf.cast(byte_values, tf.int32) + NUM_RESERVED_IDS)
        code_points = tf.strings.unicode_decode(
            flat_text, "UTF-8", errors="replace", replacement_char=REPLACEMENT_CHARACTER
        )
        return code_points.with_flat_values(self._ids_of_code_points(code_points.flat_values))

    def call(self, inputs):
        text = self._to_string_tensor(inputs)
        flat_text = tf.reshape(text, [-1])
        if self.max_length is None:
            return self._restore_ragged_shape(self._ragged_ids(flat_text), text)
        return self._restore_shape(self._dense_ids(flat_text), text, self.max_length)

    def _general_dense_ids(self, flat_text):
        """[n] strings -> [n, max_length] ids through full UTF-8 decoding."""
        ids = self._ragged_ids(flat_text)
        if self.reverse:
            ids = _reverse_rows(ids)
        # to_tensor with a fixed width truncates long rows and pads short ones.
        return ids.to_tensor(default_value=PADDING_ID, shape=[None, self.max_length])

    def _byte_window(self, flat_text):
        """The `max_length` bytes that can hold the kept characters."""
        if not self.reverse:
            return tf.strings.substr(flat_text, 0, self.max_length)
        lengths = tf.strings.length(flat_text)
        starts = tf.maximum(lengths - self.max_length, 0)
        return tf.strings.substr(flat_text, starts, tf.fill(tf.shape(starts), self.max_length))

    def _window_bytes(self, window):
        """[n] windows -> int32 bytes [n, max_length] (reversed if asked), and lengths."""
        values = tf.io.decode_raw(window, tf.uint8, fixed_length=self.max_length)
        values = tf.cast(values, tf.int32)
        lengths = tf.strings.length(window)
        if self.reverse:
            values = tf.reverse_sequence(values, lengths, seq_axis=1, batch_axis=0)
        return values, lengths

    def _ids_of_bytes(self, values, lengths, table):
        """Maps each byte through `table` (256 entries); positions past the text pad."""
        inside = tf.range(self.max_length)[tf.newaxis, :] < lengths[:, tf.newaxis]
        return tf.where(inside, tf.gather(table, values), PADDING_ID)

    def _dense_ids(self, flat_text):
        """[n] strings -> [n, max_length] ids, taking a fast path for ASCII rows.

        Full UTF-8 decoding is the slow step. When the bytes that can hold the
        kept characters (the first `max_length` bytes, or the last with
        `reverse`) are all ASCII, each byte is one character, so every row is
        first mapped byte by byte through a table (lower-casing folded in,
        since Unicode lower case of ASCII is ASCII lower case), and only the
        rows holding a byte >= 0x80 are redone by full decoding. Both paths
        give the same ids (a test checks it).
        """
        if self.mode == "bytes":
            if self.lowercase:
                flat_text = unicode_lower(flat_text)
            values, lengths = self._window_bytes(self._byte_window(flat_text))
            table = tf.range(256, dtype=tf.int32) + NUM_RESERVED_IDS
            return self._ids_of_bytes(values, lengths, table)
        values, lengths = self._window_bytes(self._byte_window(flat_text))
        ids = self._ids_of_bytes(values, lengths, tf.constant(self._ascii_table()))
        # decode_raw pads with zero bytes, which count as ASCII.
        other_rows = tf.where(tf.reduce_any(values >= 0x80, axis=1))
        slow = self._general_dense_ids(tf.gather_nd(flat_text, other_rows))
        return tf.tensor_scatter_nd_update(ids, other_rows, slow)

    def _ascii_table(self):
        """Id of each ASCII byte as the full path would give it, for all 256 bytes.

        Bytes >= 0x80 map to unknown; their rows are redone by full decoding.
        """
        characters = [chr(b).lower() if self.lowercase else chr(b) for b in range(128)]
        if self.mode == "unicode":
            ids = [
                ord(c) + NUM_RESERVED_IDS if ord(c) < self._limit else UNKNOWN_ID
                for c in characters
            ]
        else:
            index = {c: i + NUM_RESERVED_IDS for i, c in enumerate(self._characters)}
            ids = [index.get(c, UNKNOWN_ID) for c in characters]
        return np.array(ids + [UNKNOWN_ID] * 128, dtype=np.int32)

    def detokenize(self, ids):
        """Ids `[..., length]` -> strings `[...]`: padding dropped, unknown -> U+FFFD.

        Undoes `reverse`, so `detokenize(tokenizer(text))` gives back the text
        (its first `max_length` characters, or its last with `reverse=True`)
        up to the characters outside the vocabulary.
        """
        ids = tf.convert_to_tensor(ids)
        if not ids.dtype.is_integer:
            raise ConfigError("ids", f"expected integer ids, got {ids.dtype.name}")
        if ids.shape.rank == 0:
            raise ConfigError("ids", "expected ids of rank >= 1, got a scalar")
        kept, outer_shape = self._unpadded_rows(ids)
        if self.reverse:
            kept = _reverse_rows(kept)
        valid = (kept.flat_values >= NUM_RESERVED_IDS) & (kept.flat_values < self.vocabulary_size)
        if self.mode == "unicode":
            code_points = tf.where(
                valid, kept.flat_values - NUM_RESERVED_IDS, REPLACEMENT_CHARACTER
            )
            text = tf.strings.unicode_encode(kept.with_flat_values(code_points), "UTF-8")
        else:
            table = tf.constant(self._detokenize_table())
            pieces = tf.gather(table, tf.where(valid, kept.flat_values, UNKNOWN_ID))
            text = tf.strings.reduce_join(kept.with_flat_values(pieces), axis=-1)
        return tf.reshape(text, outer_shape)

    def _detokenize_table(self):
        reserved = [b"", UNKNOWN_PLACEHOLDER.encode("utf-8")]
        if self.mode == "bytes":
            return reserved + [bytes([b]) for b in range(256)]
        return reserved + [c.encode("utf-8") for c in self._characters]

    def save_vocabulary(self, path):
        """Writes `vocabulary`, one token a line (see `vocabulary_file`); returns the path."""
        from tfcharnlp.preprocessing.vocabulary_file import write_vocabulary_file

        return write_vocabulary_file(path, self.vocabulary)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.max_length,)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(tuple(inputs.shape) + (self.max_length,), dtype="int32")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alphabet": self.alphabet,
                "extra_characters": self.extra_characters,
                "mode": self.mode,
                "max_length": self.max_length,
                "reverse": self.reverse,
                "lowercase": self.lowercase,
                "code_point_limit": self.code_point_limit,
            }
        )
        return config
