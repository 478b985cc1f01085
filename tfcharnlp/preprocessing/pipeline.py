"""tf.data pipeline builder: batch, then preprocess whole batches in the graph."""

import tensorflow as tf

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
    memory is `max_length` int32 ids a text.

    Args:
        dataset: `tf.data.Dataset` of scalar `tf.string` texts, or of tuples
            whose first part is the text.
        preprocessor: a layer (or any callable) mapping strings `[batch]` to ids.
        batch_size: texts per batch.
        shuffle_buffer: `None` for no shuffling, else the shuffle buffer size.
        cache: `False`, `True` (in memory) or a file path prefix.
        cache_ids: cache the ids rather than the texts when shuffling
            (needs `cache`).
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

    if isinstance(spec, tuple):

        def preprocess(text, *rest):
            return (preprocessor(text), *rest)

    else:
        preprocess = preprocessor

    cache_path = cache if isinstance(cache, str) else ""
    if cache_ids and shuffle_buffer is not None:
        dataset = dataset.batch(batch_size).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.unbatch().cache(cache_path)
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
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
