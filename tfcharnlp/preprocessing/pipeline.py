"""tf.data pipeline builder: batch, then preprocess whole batches in the graph."""

import tensorflow as tf

from tfcharnlp.alphabets import PADDING_ID
from tfcharnlp.errors import ConfigError
from tfcharnlp.validation import check_optional_positive, check_positive


def make_pipeline(
    dataset,
    preprocessor,
    batch_size,
    shuffle_buffer=None,
    cache=False,
    seed=None,
    drop_remainder=False,
    cache_ids=False,
    trim_padding=False,
    crop_length=None,
):
    """Returns `dataset` shuffled, batched, preprocessed and prefetched.

    The preprocessor runs once per batch (a vectorized map: one call handles
    `batch_size` texts), with `num_parallel_calls=AUTOTUNE` and
    `prefetch(AUTOTUNE)`. Elements are `text` or `(text, label, ...)`; only
    the text is preprocessed.

    Caching happens at the latest point that is the same every epoch: without
    shuffling, after preprocessing (the ids are cached, so later epochs skip
    tokenization); with shuffling, before the shuffle (the raw elements are
    cached and reshuffled every epoch). With `cache_ids=True` the ids are
    cached even when shuffling: the texts are tokenized once, in batches of
    `batch_size`, and the cached ids are reshuffled every epoch. That is for
    models whose step costs less than tokenizing its batch (a bag of hashed
    n-grams: IMDB's reviews take seconds to tokenize, every epoch); the
    memory is `max_length` int32 ids a text (with `trim_padding`, only
    the text's own ids).

    With `trim_padding=True` each batch is padded only to its longest text
    (at most `max_length`), for models that take ids of any length: a batch
    of SST-2 sentences, whose unigrams and bigrams number 19 on average,
    then holds a few dozen columns instead of the 2,048 an IMDB review may
    need. The preprocessor must pad at the end with id 0 (as every
    tokenizer here does).

    With `crop_length` each text becomes a random window of `crop_length`
    of its ids, drawn again every epoch (a text shorter than the window
    keeps its start and its padding): a model that reads any length (a
    global maximum over positions) then trains on short windows, several
    times cheaper a step on long documents and a new view of each text
    every epoch, and still predicts on the whole `max_length`.

    Args:
        dataset: `tf.data.Dataset` of scalar `tf.string` texts, or of tuples
            whose first part is the text.
        preprocessor: a layer (or any callable) mapping strings `[batch]` to ids.
        batch_size: texts per batch.
        shuffle_buffer: `None` for no shuffling, else the shuffle buffer size.
        cache: `False`, `True` (in memory) or a file path prefix.
        cache_ids: cache the ids rather than the texts when shuffling
            (needs `cache`).
        trim_padding: pad each batch to its longest text only.
        crop_length: None, or the width of the random windows (at most the
            preprocessor's length).
        seed: shuffle seed, for reproducible orders.
        drop_remainder: drop the last, smaller batch.

    Example:
    >>> texts = tf.data.Dataset.from_tensor_slices((["a b", "c"], [0, 1]))
    >>> pipeline = make_pipeline(texts, CharTokenizer(max_length=4), batch_size=2)
    >>> ids, labels = next(iter(pipeline))
    >>> ids.shape.as_list(), labels.numpy().tolist()
    ([2, 4], [0, 1])
    """
    if not isinstance(dataset, tf.data.Dataset):
        raise ConfigError("dataset", f"expected a tf.data.Dataset, got {type(dataset).__name__}")
    if not callable(preprocessor):
        raise ConfigError("preprocessor", f"expected a layer, got {type(preprocessor).__name__}")
    check_positive("batch_size", batch_size)
    check_optional_positive("shuffle_buffer", shuffle_buffer)
    check_optional_positive("crop_length", crop_length)
    if crop_length is not None and (cache_ids if shuffle_buffer is not None else cache):
        raise ConfigError(
            "crop_length", "cached ids would keep one window a text: crop without them"
        )
    if not isinstance(cache, (bool, str)):
        raise ConfigError("cache", f"expected True, False or a file path, got {cache!r}")
    if cache_ids and cache is False:
        raise ConfigError("cache_ids", "caching the ids needs cache=True or a file path")

    spec = dataset.element_spec
    text_spec = spec[0] if isinstance(spec, tuple) else spec
    if (
        not isinstance(text_spec, tf.TensorSpec)
        or text_spec.dtype != tf.string
        or text_spec.shape.rank != 0
    ):
        raise ConfigError(
            "dataset",
            f"expected elements `text` or `(text, label, ...)` with scalar tf.string text, got {spec}",
        )

    def ids_of(text):
        ids = preprocessor(text)
        if crop_length is not None:
            ids = _random_windows(ids, crop_length, seed)
        return _trim_padding(ids) if trim_padding else ids

    if isinstance(spec, tuple):

        def preprocess(text, *rest):
            return (ids_of(text), *rest)

    else:
        preprocess = ids_of

    cache_path = cache if isinstance(cache, str) else ""
    if cache_ids and shuffle_buffer is not None:
        dataset = dataset.batch(batch_size).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.unbatch()
        if trim_padding:
            dataset = dataset.map(_trim_one, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.cache(cache_path)
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        if trim_padding:
            # Texts of different lengths: each batch is padded to its longest.
            dataset = dataset.padded_batch(batch_size, drop_remainder=drop_remainder)
        else:
            dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        return dataset.prefetch(tf.data.AUTOTUNE)
    if cache is not False and shuffle_buffer is not None:
        dataset = dataset.cache(cache_path)
    if shuffle_buffer is not None:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    if cache is not False and shuffle_buffer is None:
        dataset = dataset.cache(cache_path)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _text_lengths(ids):
    """Each text's own ids, counted over the last axis (padding, id 0, excluded)."""
    return tf.reduce_sum(tf.cast(tf.not_equal(ids, PADDING_ID), tf.int32), axis=-1)


def _random_windows(ids, width, seed=None):
    """`[batch, width]`: a window of each row's ids, at a random start within its text."""
    tf.debugging.assert_less_equal(
        width, tf.shape(ids)[1], message="crop_length is longer than the ids"
    )
    lengths = _text_lengths(ids)
    last_start = tf.maximum(lengths - width, 0)
    # A seeded draw repeats each epoch, but the shuffle deals it to other texts.
    fraction = tf.random.uniform(tf.shape(lengths), seed=seed)
    starts = tf.minimum(
        tf.cast(fraction * tf.cast(last_start + 1, tf.float32), tf.int32), last_start
    )
    positions = starts[:, None] + tf.range(width)[None, :]
    return tf.gather(ids, positions, batch_dims=1)


def _trim_padding(ids):
    """`[batch, length]` ids without the trailing columns that are padding in every row."""
    lengths = _text_lengths(ids)
    return ids[:, : tf.reduce_max(tf.concat([lengths, [0]], axis=0))]


def _trim_one(ids, *rest):
    """One text's ids without their padding (an unbatched element)."""
    length = _text_lengths(ids)
    return (ids[:length], *rest) if rest else ids[:length]
