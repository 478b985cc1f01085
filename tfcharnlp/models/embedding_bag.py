"""The mean of the embeddings of a text's ids, padding left out, with sparse gradients."""

import keras
import tensorflow as tf
from keras import ops

from tfcharnlp.alphabets import PADDING_ID
from tfcharnlp.models.one_hot_conv1d import _in_xla_context


@keras.saving.register_keras_serializable(package="tfcharnlp")
class EmbeddingBag(keras.layers.Layer):
    """`[batch, length]` ids -> `[batch, output_dim]`: the mean embedding of the non-padding ids.

    PyTorch's `nn.EmbeddingBag(mode="mean")` for padded ids. The
    non-padding ids are gathered straight from the table and averaged per
    text, so the table's gradient is a `tf.IndexedSlices` with one row per
    id, never a dense table and never a row per padded position. With
    `SparseAdam`, or Keras' SGD without momentum (whose TensorFlow backend
    applies `IndexedSlices` with a scatter), a step then costs the rows it
    touched, whatever the table's size: what lets a fastText-sized table of
    millions of hash buckets train quickly. (Keras' Adam, RMSprop, momentum
    and even its Adagrad read and write the whole table every step.) A row
    of only padding gives zeros.

    Under XLA (`jit_compile=True`), which lacks the sparse op and dynamic
    shapes, it falls back to a masked mean of a dense gather.

    Args:
        input_dim: int. Number of ids, padding (0) included.
        output_dim: int. Embedding size.
        embeddings_initializer: initializer of the table; default uniform in
            `[-1/output_dim, 1/output_dim]`, fastText's.
        token_dropout: float. In training, each id is left out of its
            text's mean with this probability (the word dropout of Iyyer et
            al. 2015, "Deep Unordered Composition Rivals Syntactic Methods").

    Call arguments:
        ids: int `[batch, length]`, 0 = padding.

    Returns:
        `[batch, output_dim]` in the layer's compute dtype.

    Example:
    ```python
    bag = EmbeddingBag(input_dim=100, output_dim=8)
    means = bag(np.array([[5, 7, 0], [0, 0, 0]]))  # [2, 8]; row 1 is zeros
    ```
    """

    def __init__(
        self, input_dim, output_dim, embeddings_initializer=None, token_dropout=0.0, **kwargs
    ):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.token_dropout = float(token_dropout)
        self.seed_generator = keras.random.SeedGenerator()
        if embeddings_initializer is None:
            embeddings_initializer = keras.initializers.RandomUniform(
                -1.0 / output_dim, 1.0 / output_dim
            )
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape):
        # Kept float32 under mixed precision (as Keras' Embedding does): the
        # mean is cast to the compute dtype instead.
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            autocast=False,
        )

    def call(self, ids, training=False):
        ids = tf.cast(ids, tf.int32)
        mask = ids != PADDING_ID
        if training and self.token_dropout > 0:
            kept = keras.random.uniform(tf.shape(ids), seed=self.seed_generator)
            mask &= kept >= self.token_dropout
        if _in_xla_context():
            vectors = tf.gather(self.embeddings.value, ids)
            weights = tf.cast(mask, vectors.dtype)[..., tf.newaxis]
            counts = tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)
            means = tf.reduce_sum(vectors * weights, axis=1) / counts
        else:
            # A gather from the variable itself (ResourceGather): a sparse op
            # over the whole table would read it as a tensor, and the
            # optimizer's scatter into a table that a live tensor still holds
            # copies all of it, every step. (`tf.sparse.segment_mean` with a
            # dynamic `num_segments` also ran ten times slower inside Keras'
            # nested train function, so the mean is an unsorted segment mean.)
            positions = tf.where(mask)
            vectors = tf.gather(self.embeddings.value, tf.gather_nd(ids, positions))
            means = tf.math.unsorted_segment_mean(
                vectors, tf.cast(positions[:, 0], tf.int32), num_segments=tf.shape(ids)[0]
            )
        return ops.cast(means, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
                "token_dropout": self.token_dropout,
            }
        )
        return config
