"""Language-model training pairs: text -> ids -> (input, next-character target)."""

import numpy as np
import tensorflow as tf

from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.validation import check_positive


def language_model_windows(text_or_ids, tokenizer=None, seq_length=100, stride=None):
    """Returns a `tf.data.Dataset` of `(inputs, targets)`, both int32 `[seq_length]`.

    Window `k` starts at `k * stride`: `inputs = ids[s : s + seq_length]`,
    `targets = ids[s + 1 : s + seq_length + 1]`. The default stride is
    `seq_length`, so every id after the first is a target exactly once.
    Windows are sliced lazily from one tensor of ids, so any stride costs no
    extra memory. The tail shorter than a window is dropped.

    Args:
        text_or_ids: a string (tokenized whole, in the graph, by `tokenizer`)
            or a 1-D sequence / tensor of ids.
        tokenizer: a tokenizer or `TextPreprocessor` with `max_length=None`
            (e.g. `CharTokenizer.from_text(text)`), needed for text. For ids it
            may be omitted: `language_model_windows(ids, 100)` also works.
        seq_length: window length.
        stride: distance between window starts; defaults to `seq_length`.

    Example:
    >>> text = "hello world"
    >>> tokenizer = CharTokenizer.from_text(text)
    >>> dataset = language_model_windows(text, tokenizer, seq_length=4)
    >>> [(x.tolist(), y.tolist()) for x, y in dataset.take(1).as_numpy_iterator()]
    [([5, 4, 6, 6], [4, 6, 6, 7])]
    """
    if isinstance(tokenizer, (int, np.integer)) and not isinstance(tokenizer, bool):
        # The ids-only form: language_model_windows(ids, seq_length).
        tokenizer, seq_length = None, tokenizer
    seq_length = check_positive("seq_length", seq_length)
    stride = check_positive("stride", seq_length if stride is None else stride)

    ids = _ids_of(text_or_ids, tokenizer)
    length = int(ids.shape[0])
    if length < seq_length + 1:
        raise DataError(
            f"language_model_windows: {length} ids, fewer than seq_length + 1 = {seq_length + 1}"
        )
    num_windows = (length - seq_length - 1) // stride + 1

    def window(index):
        start = tf.cast(index, tf.int32) * stride
        chunk = ids[start : start + seq_length + 1]
        return chunk[:-1], chunk[1:]

    dataset = tf.data.Dataset.range(num_windows).map(window, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.apply(tf.data.experimental.assert_cardinality(num_windows))


def _ids_of(text_or_ids, tokenizer):
    is_text = isinstance(text_or_ids, (str, bytes)) or (
        tf.is_tensor(text_or_ids) and text_or_ids.dtype == tf.string
    )
    if is_text:
        if tokenizer is None:
            raise ConfigError(
                "tokenizer", "needed to turn text into ids, e.g. CharTokenizer.from_text(text)"
            )
        if getattr(tokenizer, "max_length", None) is not None:
            raise ConfigError(
                "tokenizer",
                f"has max_length={tokenizer.max_length}, which would truncate the text; "
                "use max_length=None",
            )
        ids = tokenizer(tf.reshape(tf.convert_to_tensor(text_or_ids), []))
    else:
        if tokenizer is not None:
            raise ConfigError("tokenizer", "given with ids; pass text, or ids without a tokenizer")
        ids = tf.convert_to_tensor(text_or_ids)
        if not ids.dtype.is_integer:
            raise DataError(f"language_model_windows: expected integer ids, got {ids.dtype.name}")
    ids = tf.cast(ids, tf.int32)
    if ids.shape.rank != 1:
        raise DataError(f"language_model_windows: expected 1-D ids, got shape {ids.shape}")
    return ids
