"""Next-token samplers: logits `[batch, vocab]` + seeds -> ids `[batch]`.

Each sampler is a small callable made of TensorFlow ops, so it runs inside a
`tf.while_loop` in an exported graph. Sampling is stateless and per row: a
row's draw depends only on its own logits and its own seed pair, never on
the other rows of the batch or on its position. This is what lets a serving
batcher merge requests from different clients without changing anyone's
text.

Seeds are int64 pairs: `[batch, 2]` (one pair per row; generation uses
`(row seed, index of the character being drawn)`), or `[2]`, one pair shared
by every row (rows with equal logits then draw equal ids).

The draw is the Gumbel-max trick, `argmax(logits / temperature + g)` with
`g = -log(-log(u))`, whose result follows `softmax(logits / temperature)`.
The uniforms `u` come from `tf.fingerprint` (FarmHash Fingerprint64, whose
values FarmHash promises never to change) of the int64 key `(seed_0, seed_1,
vocabulary index)`: one vectorized op for the whole batch. It hashes the
keys' memory bytes, so texts match across little-endian machines (x86, ARM),
which is where TensorFlow and TF Serving run. The `tf.random.stateless_*`
ops take a single seed per call, so per-row seeds would need one op per row
(a `tf.map_fn`, about 13x slower per step at batch 64 on this machine).
"""

import numbers

import tensorflow as tf

from tfcharnlp.errors import ConfigError

# The uniforms keep 52 of the fingerprint's 64 bits: (x + 0.5) / 2**52 is
# then strictly inside (0, 1) in float64, so the Gumbel noise is finite.
_UNIFORM_BITS = 52


def row_seeds(seed, batch_size):
    """`seed` (int `[2]` or `[batch, 2]`) as int64 `[batch_size, 2]`."""
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    if seed.shape.rank not in (1, 2):
        raise ConfigError("seed", f"expected a pair [2] or pairs [batch, 2], got {seed.shape}")
    return tf.broadcast_to(tf.reshape(seed, [-1, 2]), tf.stack([batch_size, 2]))


def per_row(value, batch_size, dtype):
    """A control given as a scalar or one value per row, as `dtype` `[batch_size]`."""
    value = tf.cast(tf.convert_to_tensor(value), dtype)
    if value.shape.rank not in (None, 0, 1):
        raise ConfigError("controls", f"expected a scalar or one value per row, got {value.shape}")
    return tf.broadcast_to(value, tf.reshape(batch_size, [1]))


def uniform_noise(seeds, vocabulary_size):
    """float64 `[batch, vocabulary_size]` uniforms in (0, 1), row `r` from `seeds[r]` only."""
    seeds = tf.cast(seeds, tf.int64)
    batch_size = tf.shape(seeds)[0]
    # keys[r, v] = (seeds[r, 0], seeds[r, 1], v), built by broadcasting.
    shape = tf.stack([batch_size, vocabulary_size, 1])
    keys = tf.concat(
        [
            tf.broadcast_to(seeds[:, tf.newaxis, :], tf.stack([batch_size, vocabulary_size, 2])),
            tf.broadcast_to(tf.range(vocabulary_size, dtype=tf.int64)[:, tf.newaxis], shape),
        ],
        axis=2,
    )
    # One 64-bit fingerprint per (seed pair, index) key.
    bits = tf.bitcast(tf.fingerprint(tf.reshape(keys, [-1, 3])), tf.uint64)
    bits = tf.bitwise.right_shift(bits, tf.constant(64 - _UNIFORM_BITS, tf.uint64))
    uniform = (tf.cast(bits, tf.float64) + 0.5) * 2.0**-_UNIFORM_BITS
    return tf.reshape(uniform, tf.stack([batch_size, vocabulary_size]))


def gumbel_noise(seeds, vocabulary_size):
    """float64 Gumbel(0, 1) noise `[batch, vocabulary_size]`, `-log(-log(u))` of `uniform_noise`.

    Apart from `gumbel_max` so that a generation loop can draw the noise of
    many steps in one vectorized op before the loop (the fingerprint op has
    no XLA kernel; the noise is the same either way).
    """
    return -tf.math.log(-tf.math.log(uniform_noise(seeds, vocabulary_size)))


def top_k_mask(logits, k):
    """True for each row's `k` largest logits (ties: the lower id first, as `tf.argmax`)."""
    vocabulary_size = tf.shape(logits)[-1]
    order = tf.math.top_k(logits, k=vocabulary_size).indices  # Stable for ties.
    ranks = tf.argsort(order, axis=-1)  # The inverse permutation: each id's rank.
    return ranks < tf.reshape(tf.cast(k, tf.int32), [-1, 1])


def gumbel_max(logits, seeds, temperature, keep=None, noise=None):
    """One id per row from `softmax(logits / temperature)` restricted to `keep`.

    `noise`: the rows' `gumbel_noise(seeds, vocabulary_size)` if drawn
    beforehand (then `seeds` is not read).
    """
    logits = tf.cast(logits, tf.float64)
    temperature = tf.reshape(tf.cast(temperature, tf.float64), [-1, 1])
    gumbel = gumbel_noise(seeds, tf.shape(logits)[-1]) if noise is None else noise
    scores = logits / temperature + gumbel
    if keep is not None:
        scores = tf.where(keep, scores, tf.constant(-float("inf"), tf.float64))
    return tf.argmax(scores, axis=-1, output_type=tf.int32)


class Sampler:
    """Base class: `sampler(logits, seed) -> int32 ids [batch]`.

    `seed` is int `[batch, 2]` (one pair per row) or `[2]` (shared).
    """

    def __call__(self, logits, seed):
        raise NotImplementedError

    def get_config(self):
        return {}


class GreedySampler(Sampler):
    """The most likely id (argmax); ignores the seed.

    Example:
    ```python
    ids = GreedySampler()(logits, seed=[0, 0])
    ```
    """

    def __call__(self, logits, seed):
        return tf.argmax(logits, axis=-1, output_type=tf.int32)


class TemperatureSampler(Sampler):
    """Sample from `softmax(logits / temperature)`, each row from its own seed.

    Args:
        temperature: float > 0, or a tensor (scalar or one value per row);
            below 1 sharpens the distribution, above 1 flattens it.

    Example:
    ```python
    ids = TemperatureSampler(0.8)(logits, seed=[[42, 0], [43, 0]])
    ```
    """

    def __init__(self, temperature=1.0):
        if isinstance(temperature, numbers.Number) and temperature <= 0:
            raise ConfigError("temperature", f"expected a value > 0, received {temperature!r}")
        self.temperature = temperature

    def __call__(self, logits, seed):
        batch_size = tf.shape(logits)[0]
        temperature = per_row(self.temperature, batch_size, tf.float32)
        return gumbel_max(logits, row_seeds(seed, batch_size), temperature)

    def get_config(self):
        return {"temperature": self.temperature}


class TopKSampler(Sampler):
    """Sample among the `k` most likely ids, from `softmax(logits / temperature)`.

    Args:
        k: int >= 1, or a tensor (scalar or one value per row); clipped to
            the vocabulary size.
        temperature: float > 0, or a tensor (scalar or one value per row).

    Example:
    ```python
    ids = TopKSampler(k=5, temperature=0.8)(logits, seed=[[42, 0], [43, 0]])
    ```
    """

    def __init__(self, k=10, temperature=1.0):
        if isinstance(k, numbers.Number) and k < 1:
            raise ConfigError("k", f"expected an integer >= 1, received {k!r}")
        if isinstance(temperature, numbers.Number) and temperature <= 0:
            raise ConfigError("temperature", f"expected a value > 0, received {temperature!r}")
        self.k = k
        self.temperature = temperature

    def __call__(self, logits, seed):
        batch_size = tf.shape(logits)[0]
        k = tf.clip_by_value(per_row(self.k, batch_size, tf.int32), 1, tf.shape(logits)[-1])
        temperature = per_row(self.temperature, batch_size, tf.float32)
        keep = top_k_mask(logits, k)
        return gumbel_max(logits, row_seeds(seed, batch_size), temperature, keep)

    def get_config(self):
        return {"k": self.k, "temperature": self.temperature}


def sample_next(logits, seed, temperature=1.0, top_k=0, noise=None):
    """The sampler chosen by runtime controls, row by row, for a serving signature.

    For each row: `temperature <= 0` is greedy; otherwise `top_k > 0` samples
    among its `top_k` most likely ids (so `top_k = 1` is greedy too) and
    `top_k <= 0` over the whole vocabulary. `temperature` and `top_k` are
    scalars or one value per row; `seed` is `[batch, 2]` or `[2]` (see the
    module docstring). The choice is made in-graph. `noise`: the rows'
    `gumbel_noise` drawn beforehand (then `seed` is not read and may be None).
    """
    logits = tf.cast(logits, tf.float32)
    batch_size = tf.shape(logits)[0]
    vocabulary_size = tf.shape(logits)[-1]
    temperature = per_row(temperature, batch_size, tf.float32)
    top_k = per_row(top_k, batch_size, tf.int32)
    # Top-k over the whole vocabulary is plain temperature sampling; the
    # sort behind the mask runs only when some row restricts its choice.
    k = tf.where(top_k > 0, tf.minimum(top_k, vocabulary_size), vocabulary_size)
    keep = tf.cond(
        tf.reduce_any(k < vocabulary_size),
        lambda: top_k_mask(logits, k),
        lambda: tf.ones_like(logits, tf.bool),
    )
    seeds = None if noise is not None else row_seeds(seed, batch_size)
    sampled = gumbel_max(logits, seeds, tf.maximum(temperature, 1e-6), keep, noise)
    greedy = GreedySampler()(logits, seed)
    return tf.where(temperature <= 0.0, greedy, sampled)
