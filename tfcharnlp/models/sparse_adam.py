"""Adam that applies a sparse gradient to the rows it names only (PyTorch's SparseAdam)."""

import keras
import tensorflow as tf

from tfcharnlp.errors import ConfigError


@keras.saving.register_keras_serializable(package="tfcharnlp")
class SparseAdam(keras.optimizers.Adam):
    """Keras' Adam, except that a `tf.IndexedSlices` gradient updates only its rows.

    The "lazy" Adam of PyTorch's `SparseAdam` and TF Addons' `LazyAdam`: for
    an embedding table, the rows a batch used get Adam's moment and weight
    updates, and every other row, with its moments, is left alone. Keras'
    own Adam decays and rewrites the whole table and both moment tables
    every step, which for a table of millions of hash buckets costs far
    more than the rest of the step. Dense gradients get Keras' Adam
    unchanged, and the bias correction counts the optimizer's steps (as in
    LazyAdam), so a row's first update has the same size as Adam's.

    A gradient's repeated indices are summed first, as a dense gradient
    would add them. Sparse updates are gathers and scatters on the
    TensorFlow backend's variables, so this optimizer is TensorFlow-only,
    like the rest of tfcharnlp.

    Args:
        learning_rate, beta_1, beta_2, epsilon, **kwargs: as `keras.optimizers.Adam`;
            `amsgrad` is not supported.

    Example:
    ```python
    optimizer = SparseAdam(learning_rate=0.01)
    classifier.compile(optimizer=optimizer, loss=...)  # e.g. over an NGramBagBackbone
    ```
    """

    def __init__(self, learning_rate=0.001, amsgrad=False, **kwargs):
        if amsgrad:
            raise ConfigError("amsgrad", "SparseAdam does not support amsgrad")
        super().__init__(learning_rate=learning_rate, amsgrad=False, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        if not isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable, learning_rate)
        index = self._get_variable_index(variable)
        momentum = self._momentums[index].value
        velocity = self._velocities[index].value
        target = variable.value if isinstance(variable, keras.Variable) else variable
        dtype = target.dtype
        indices, unique_positions = tf.unique(gradient.indices)
        values = tf.math.unsorted_segment_sum(
            tf.cast(gradient.values, dtype), unique_positions, tf.shape(indices)[0]
        )

        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        alpha = (
            tf.cast(learning_rate, dtype)
            * tf.sqrt(1 - tf.pow(beta_2, step))
            / (1 - tf.pow(beta_1, step))
        )
        m_rows = tf.gather(momentum, indices)
        v_rows = tf.gather(velocity, indices)
        m_rows += (values - m_rows) * (1 - beta_1)
        v_rows += (tf.square(values) - v_rows) * (1 - beta_2)
        momentum.scatter_update(tf.IndexedSlices(m_rows, indices))
        velocity.scatter_update(tf.IndexedSlices(v_rows, indices))
        target.scatter_sub(
            tf.IndexedSlices(m_rows * alpha / (tf.sqrt(v_rows) + self.epsilon), indices)
        )

    def get_config(self):
        config = super().get_config()
        config.pop("amsgrad", None)
        return config
