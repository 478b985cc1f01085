"""Word tokenizer: tensorflow-text splitting plus a vocabulary adapted from data."""

import collections
import os

import keras
import numpy as np
import tensorflow as tf

from tfcharnlp.alphabets import (
    NUM_RESERVED_IDS,
    PADDING_ID,
    PADDING_TOKEN,
    UNKNOWN_ID,
    UNKNOWN_TOKEN,
)
from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.preprocessing.preprocessing_layer import IdsLayer
from tfcharnlp.preprocessing.string_ops import WORD_SPLITS as SPLITS
from tfcharnlp.preprocessing.string_ops import split_words, unicode_lower
from tfcharnlp.preprocessing.vocabulary_file import read_vocabulary_file, write_vocabulary_file
from tfcharnlp.validation import check_bool, check_choice, check_optional_positive


@keras.saving.register_keras_serializable(package="tfcharnlp")
class WordTokenizer(IdsLayer):
    """Splits strings into words and maps them to ids from a vocabulary.

    Ids: 0 is padding, 1 is out-of-vocabulary (OOV), words start at 2 in
    vocabulary order. Splitting is tensorflow-text's `WhitespaceTokenizer`
    ("whitespace"), `UnicodeScriptTokenizer` ("unicode_script": also splits
    where the Unicode script changes, so punctuation and CJK runs become
    tokens of their own) or "punctuation" (whitespace and around runs of
    punctuation, several times faster; see `string_ops.split_words`). The
    word lookup is a `tf.lookup.StaticHashTable`.

    `adapt(data)` builds the vocabulary with this layer's own in-graph
    splitting: the most frequent tokens first, ties broken by the tokens'
    UTF-8 bytes, so the same data always gives the same vocabulary. Tokens
    that are not valid UTF-8 are not put in the vocabulary (they stay OOV):
    the vocabulary must be writable as a UTF-8 text asset.

    Args:
        max_tokens: largest vocabulary size, counting the two reserved ids
            (as Keras' `TextVectorization`); `None` for no limit.
        max_length: output length, truncating and padding with 0; `None`
            returns ragged ids.
        split: "whitespace", "unicode_script" or "punctuation".
        lowercase: Unicode lower-case before splitting.
        vocabulary: list of tokens, index = id, or the path of a file written
            by `save_vocabulary`. The reserved `<pad>`, `<unk>` are added in
            front when missing. `None` until `adapt()` is called.

    Call arguments:
        inputs: `tf.string` tensor of shape `[]`, `[batch]` or `[b1, b2]`.
            Returns int32 ids of shape `inputs.shape + [max_length]`.

    Example:
    >>> tokenizer = WordTokenizer(max_tokens=10, max_length=4)
    >>> tokenizer.adapt(["the cat", "the dog", "a cat"])
    >>> tokenizer.vocabulary
    ['<pad>', '<unk>', 'cat', 'the', 'a', 'dog']
    >>> tokenizer(["The cat sat"]).numpy().tolist()
    [[3, 2, 1, 0]]
    """

    def __init__(
        self,
        max_tokens=20000,
        max_length=128,
        split="whitespace",
        lowercase=True,
        vocabulary=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.max_tokens = check_optional_positive("max_tokens", max_tokens)
        if self.max_tokens is not None and self.max_tokens <= NUM_RESERVED_IDS:
            raise ConfigError(
                "max_tokens", f"must exceed the {NUM_RESERVED_IDS} reserved ids, got {max_tokens}"
            )
        self.max_length = check_optional_positive("max_length", max_length)
        self.split = check_choice("split", split, SPLITS)
        self.lowercase = check_bool("lowercase", lowercase)
        self._vocabulary = None
        self._table = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def _tokens(self, flat_text):
        """[n] strings -> ragged [n, None] token strings."""
        if self.lowercase:
            flat_text = unicode_lower(flat_text)
        return split_words(flat_text, self.split)

    def split_words(self, texts):
        """The token strings of `texts` (`[n]` strings -> ragged `[n, None]`), split as for ids.

        For tools that need the same tokens outside the model, such as a
        corpus for training word vectors that must match the vocabulary.
        """
        return self._tokens(tf.reshape(tf.convert_to_tensor(texts, dtype=tf.string), [-1]))

    def set_vocabulary(self, vocabulary):
        """Replaces the vocabulary (a list, index = id, or a vocabulary file)."""
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = read_vocabulary_file(vocabulary)
        vocabulary = list(vocabulary)
        if vocabulary[:NUM_RESERVED_IDS] != [PADDING_TOKEN, UNKNOWN_TOKEN]:
            vocabulary = [PADDING_TOKEN, UNKNOWN_TOKEN] + vocabulary
        words = vocabulary[NUM_RESERVED_IDS:]
        for word in words:
            if not isinstance(word, str) or not word:
                raise ConfigError("vocabulary", f"tokens must be non-empty strings, got {word!r}")
        if PADDING_TOKEN in words or UNKNOWN_TOKEN in words:
            raise ConfigError(
                "vocabulary", f"{PADDING_TOKEN!r} and {UNKNOWN_TOKEN!r} may only be ids 0 and 1"
            )
        duplicates = sorted(w for w, n in collections.Counter(words).items() if n > 1)
        if duplicates:
            raise ConfigError("vocabulary", f"repeated tokens {duplicates[:5]}")
        if self.max_tokens is not None and len(vocabulary) > self.max_tokens:
            raise ConfigError(
                "vocabulary",
                f"has {len(vocabulary)} tokens, more than max_tokens={self.max_tokens}",
            )
        # Created outside any tf.function being traced, so that the table is a
        # resource of this layer that tf.data and SavedModel can capture.
        with tf.init_scope():
            keys = tf.constant(words, dtype=tf.string, shape=[len(words)])
            values = tf.range(NUM_RESERVED_IDS, len(vocabulary), dtype=tf.int64)
            self._table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, values), default_value=UNKNOWN_ID
            )
            self._detokenize_strings = tf.constant(vocabulary, dtype=tf.string)
        self._vocabulary = vocabulary

    def adapt(self, data, batch_size=1024):
        """Builds the vocabulary from `data`.

        `data`: a list of strings, a 1-D string array or tensor, or a
        `tf.data.Dataset` of strings (single or batched) or of `(text, ...)`
        tuples, whose first part is taken.
        """
        dataset = self._adapt_dataset(data, batch_size)
        splitter = self._tokens

        @tf.function
        def count(batch):
            tokens = splitter(tf.reshape(batch, [-1])).flat_values
            unique, _, counts = tf.unique_with_counts(tokens)
            return unique, counts

        counts = collections.Counter()
        for batch in dataset:
            unique, batch_counts = count(batch)
            counts.update(
                dict(zip(unique.numpy().tolist(), batch_counts.numpy().tolist(), strict=True))
            )
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        limit = None if self.max_tokens is None else self.max_tokens - NUM_RESERVED_IDS
        words = []
        for token, _ in ranked:
            if limit is not None and len(words) >= limit:
                break
            try:
                word = token.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if word in (PADDING_TOKEN, UNKNOWN_TOKEN):
                continue
            words.append(word)
        self.set_vocabulary([PADDING_TOKEN, UNKNOWN_TOKEN] + words)

    @staticmethod
    def _adapt_dataset(data, batch_size):
        if isinstance(data, tf.data.Dataset):
            dataset = data
            if isinstance(dataset.element_spec, (tuple, list)):
                dataset = dataset.map(lambda *parts: parts[0])
            spec = dataset.element_spec
            if not isinstance(spec, tf.TensorSpec) or spec.dtype != tf.string:
                raise DataError(f"adapt: expected a dataset of strings, got elements {spec}")
            if spec.shape.rank == 0:
                dataset = dataset.batch(batch_size)
            return dataset
        if isinstance(data, str):
            raise DataError("adapt: expected many texts (a list or a dataset), got one string")
        try:
            tensor = tf.convert_to_tensor(
                data if tf.is_tensor(data) else np.asarray(data, dtype=object)
            )
        except (TypeError, ValueError) as error:
            raise DataError(f"adapt: cannot read the texts: {error}") from None
        if tensor.dtype != tf.string:
            raise DataError(f"adapt: expected strings, got {tensor.dtype.name}")
        return tf.data.Dataset.from_tensor_slices(tf.reshape(tensor, [-1])).batch(batch_size)

    @property
    def vocabulary(self):
        return None if self._vocabulary is None else list(self._vocabulary)

    @property
    def vocabulary_size(self):
        return None if self._vocabulary is None else len(self._vocabulary)

    def _require_vocabulary(self):
        if self._table is None:
            raise ConfigError("vocabulary", "not set: call adapt(data) or pass vocabulary=")

    def __call__(self, *args, **kwargs):
        # Checked before Keras' call wrapper, which would turn ConfigError into
        # a RuntimeError.
        self._require_vocabulary()
        return super().__call__(*args, **kwargs)

    def call(self, inputs):
        text = self._to_string_tensor(inputs)
        tokens = self._tokens(tf.reshape(text, [-1]))
        ids = tokens.with_flat_values(tf.cast(self._table.lookup(tokens.flat_values), tf.int32))
        if self.max_length is None:
            return self._restore_ragged_shape(ids, text)
        dense = ids.to_tensor(default_value=PADDING_ID, shape=[None, self.max_length])
        return self._restore_shape(dense, text, self.max_length)

    def detokenize(self, ids):
        """Ids `[..., length]` -> strings `[...]`, words joined by one space.

        Padding is dropped; OOV (and out-of-range) ids read `<unk>`.
        """
        self._require_vocabulary()
        ids = tf.convert_to_tensor(ids)
        if not ids.dtype.is_integer or ids.shape.rank == 0:
            raise ConfigError(
                "ids", f"expected integer ids of rank >= 1, got {ids.dtype.name} {ids.shape}"
            )
        kept, outer_shape = self._unpadded_rows(ids)
        valid = (kept.flat_values >= 0) & (kept.flat_values < len(self._vocabulary))
        words = tf.gather(self._detokenize_strings, tf.where(valid, kept.flat_values, UNKNOWN_ID))
        text = tf.strings.reduce_join(kept.with_flat_values(words), axis=-1, separator=" ")
        return tf.reshape(text, outer_shape)

    def save_vocabulary(self, path):
        """Writes the vocabulary, one token a line (the `vocabulary.txt` asset)."""
        self._require_vocabulary()
        return write_vocabulary_file(path, self._vocabulary)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_tokens": self.max_tokens,
                "max_length": self.max_length,
                "split": self.split,
                "lowercase": self.lowercase,
                "vocabulary": self.vocabulary,
            }
        )
        return config
