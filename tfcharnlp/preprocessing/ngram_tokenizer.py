"""fastText-style n-gram tokenizer: words, word n-grams and character n-grams, hashed in-graph."""

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from tfcharnlp.alphabets import MAX_NGRAM_BUCKETS, NUM_RESERVED_IDS, PADDING_ID
from tfcharnlp.errors import ConfigError
from tfcharnlp.preprocessing.preprocessing_layer import IdsLayer
from tfcharnlp.preprocessing.string_ops import WORD_SPLITS, split_words, unicode_lower
from tfcharnlp.validation import check_bool, check_choice, check_int, check_optional_positive

# fastText's marks around a word before its character n-grams are cut.
WORD_BEGIN, WORD_END = "<", ">"
# Prefixed to every character n-gram before hashing. Words never hold
# whitespace (both splitters split at it) and word n-grams never start with
# it, so a character n-gram never hashes as the same string as a word: "the"
# inside "other" and the word "the" keep apart, as in fastText.
CHAR_NGRAM_PREFIX = " "


def _check_char_ngrams(value):
    if value is None:
        return None
    try:
        low, high = (int(bound) for bound in value)
    except (TypeError, ValueError):
        raise ConfigError(
            "char_ngrams", f"expected None or (min_n, max_n), got {value!r}"
        ) from None
    if not 1 <= low <= high:
        raise ConfigError("char_ngrams", f"expected 1 <= min_n <= max_n, got {value!r}")
    return (low, high)


@keras.saving.register_keras_serializable(package="tfcharnlp")
class NGramTokenizer(IdsLayer):
    """Strings -> hashed ids of words, word n-grams and character n-grams.

    The input of a fastText-style bag of n-grams (Joulin et al. 2016, "Bag
    of Tricks for Efficient Text Classification"), computed with TensorFlow
    string ops so that an exported model takes raw text:

    1. optional Unicode lower case, then words split as `WordTokenizer`
       splits them (`string_ops.split_words`: "whitespace", "unicode_script"
       or "punctuation", the fastest);
    2. for each word, in text order: the word itself, the word n-grams
       starting at it (widths 2..`ngrams`, words joined by one space) and,
       with `char_ngrams=(min_n, max_n)`, the character n-grams of
       "<word>" as in fastText's subwords (the lone marks "<" and ">" are
       skipped when `min_n` is 1);
    3. each string is hashed with `tf.strings.to_hash_bucket_fast`
       (Fingerprint64, stable across machines and versions) into
       `num_buckets` buckets.

    Ids: 0 is padding, 1 (unknown) is reserved and never produced, and
    bucket `b` is id `b + 2`, so the embedding needs `vocabulary_size =
    num_buckets + 2` rows. Only the first `max_length` items of a text are
    kept; since each word yields at least one item, words past `max_length`
    are dropped before any n-gram is built, so a huge text costs no more
    than its split. An empty text is all padding; invalid UTF-8 never fails
    (lower-casing and the character split turn it into U+FFFD).

    Hashing cannot be undone, so there is no `detokenize`:
    `ngram_strings(texts)` shows the strings that are hashed. The
    `vocabulary` (the model's `vocabulary.txt` asset) lists only the two
    reserved tokens; the hashing settings are in the config.

    Args:
        num_buckets: number of hash buckets (fastText's `bucket`, 2,000,000).
        ngrams: largest word n-gram width; 1 for words only, 2 for words and
            bigrams (fastText's `wordNgrams`).
        char_ngrams: None, or `(min_n, max_n)` character n-gram widths
            (fastText's `minn`, `maxn`), counted with the marks.
        max_length: items kept per text (padding with 0 up to it); `None`
            returns ragged ids. The default 1024 keeps whole texts of the
            short sets (SST-2 sentences and TREC questions give under 100
            unigrams + bigrams) and 91% of IMDB's items (its reviews give
            547 on average, median 411, 90th percentile 1,083 with the
            "punctuation" split); 2048 keeps 99% of IMDB's reviews whole.
        split: "whitespace", "unicode_script" or "punctuation".
        lowercase: Unicode lower-case before splitting.

    Call arguments:
        inputs: `tf.string` tensor of shape `[]`, `[batch]` or `[b1, b2]`.
            Returns int32 ids of shape `inputs.shape + [max_length]`.

    Example:
    >>> tokenizer = NGramTokenizer(num_buckets=1000, ngrams=2, max_length=6)
    >>> tokenizer.ngram_strings(["The cat sat"]).to_list()
    [[b'the', b'the cat', b'cat', b'cat sat', b'sat']]
    >>> tokenizer(["The cat sat"]).numpy().tolist()
    [[356, 220, 98, 156, 915, 0]]
    >>> tokenizer.vocabulary_size
    1002
    """

    def __init__(
        self,
        num_buckets=2_000_000,
        ngrams=2,
        char_ngrams=None,
        max_length=1024,
        split="whitespace",
        lowercase=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_buckets = check_int("num_buckets", num_buckets, minimum=1)
        if self.num_buckets > MAX_NGRAM_BUCKETS:
            raise ConfigError(
                "num_buckets",
                f"expected an integer in [1, {MAX_NGRAM_BUCKETS}], got {num_buckets!r}",
            )
        self.ngrams = check_int("ngrams", ngrams, minimum=1)
        self.char_ngrams = _check_char_ngrams(char_ngrams)
        self.max_length = check_optional_positive("max_length", max_length)
        self.split = check_choice("split", split, WORD_SPLITS)
        self.lowercase = check_bool("lowercase", lowercase)

    @property
    def vocabulary_size(self):
        """Embedding rows the ids need: the reserved ids plus the buckets."""
        return NUM_RESERVED_IDS + self.num_buckets

    @property
    def vocabulary(self):
        """The named ids (only the reserved ones: the rest are hash buckets)."""
        from tfcharnlp.alphabets import PADDING_TOKEN, UNKNOWN_TOKEN

        return [PADDING_TOKEN, UNKNOWN_TOKEN]

    def save_vocabulary(self, path):
        """Writes `vocabulary` (the reserved tokens), as the other tokenizers do."""
        from tfcharnlp.preprocessing.vocabulary_file import write_vocabulary_file

        return write_vocabulary_file(path, self.vocabulary)

    def _words(self, flat_text):
        """[n] strings -> ragged [n, None] words, at most `max_length` a text."""
        if self.lowercase:
            flat_text = unicode_lower(flat_text)
        words = split_words(flat_text, self.split)
        if self.max_length is not None:
            words = words[:, : self.max_length]
        return words

    def _word_ngrams(self, words):
        """Ragged [n, None] words -> ragged [num_words, None]: each word's word n-grams."""
        flat = words.flat_values
        if self.ngrams == 1:
            return tf.RaggedTensor.from_tensor(flat[:, tf.newaxis])
        # Position (in `flat`) one past the last word of each word's text.
        limits = tf.gather(words.row_limits(), words.value_rowids())
        positions = tf.range(tf.shape(limits, out_type=limits.dtype)[0], dtype=limits.dtype)
        last = tf.maximum(tf.shape(flat, out_type=limits.dtype)[0] - 1, 0)
        columns, valid = [flat], [tf.ones_like(positions, dtype=tf.bool)]
        ngram = flat
        for width in range(2, self.ngrams + 1):
            following = tf.gather(flat, tf.minimum(positions + width - 1, last))
            ngram = tf.strings.join([ngram, following], separator=" ")
            columns.append(ngram)
            valid.append(positions + width <= limits)
        return tf.ragged.boolean_mask(tf.stack(columns, axis=1), tf.stack(valid, axis=1))

    def _char_ngrams(self, flat_words):
        """[num_words] words -> ragged [num_words, None]: "<word>"'s character n-grams."""
        marked = tf.strings.join([WORD_BEGIN, flat_words, WORD_END])
        characters = tf.strings.unicode_split(marked, "UTF-8", errors="replace")
        low, high = self.char_ngrams
        pieces = []
        for width in range(low, high + 1):
            if width == 1:
                pieces.append(characters[:, 1:-1])
            else:
                pieces.append(
                    tf_text.ngrams(
                        characters,
                        width,
                        reduction_type=tf_text.Reduction.STRING_JOIN,
                        string_separator="",
                    )
                )
        ngrams = tf.concat(pieces, axis=1) if len(pieces) > 1 else pieces[0]
        return ngrams.with_flat_values(tf.strings.join([CHAR_NGRAM_PREFIX, ngrams.flat_values]))

    def _ngram_strings(self, flat_text):
        """[n] strings -> ragged [n, None] strings to hash, in text order."""
        words = self._words(flat_text)
        items = self._word_ngrams(words)
        if self.char_ngrams is not None:
            items = tf.concat([items, self._char_ngrams(words.flat_values)], axis=1)
        # [n, words, items of a word] -> [n, items of a text].
        return words.with_values(items).merge_dims(1, 2)

    def ngram_strings(self, texts):
        """The strings that are hashed: `[n]` texts -> ragged `[n, None]`.

        String `j` of text `i` gives id `j` (of the first `max_length`).
        """
        return self._ngram_strings(tf.reshape(self._to_string_tensor(texts), [-1]))

    def call(self, inputs):
        text = self._to_string_tensor(inputs)
        strings = self._ngram_strings(tf.reshape(text, [-1]))
        buckets = tf.strings.to_hash_bucket_fast(strings.flat_values, self.num_buckets)
        ids = strings.with_flat_values(tf.cast(buckets + NUM_RESERVED_IDS, tf.int32))
        if self.max_length is None:
            return self._restore_ragged_shape(ids, text)
        dense = ids.to_tensor(default_value=PADDING_ID, shape=[None, self.max_length])
        return self._restore_shape(dense, text, self.max_length)

    def detokenize(self, ids):
        """Not possible: hashed ids have no way back to text (see `ngram_strings`)."""
        raise ConfigError(
            "detokenize",
            "NGramTokenizer ids are hash buckets and cannot be turned back into text; "
            "use ngram_strings(texts) to see what is hashed",
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_buckets": self.num_buckets,
                "ngrams": self.ngrams,
                "char_ngrams": None if self.char_ngrams is None else list(self.char_ngrams),
                "max_length": self.max_length,
                "split": self.split,
                "lowercase": self.lowercase,
            }
        )
        return config
