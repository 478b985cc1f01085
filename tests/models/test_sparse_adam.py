import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import EmbeddingBag, SparseAdam


def step(optimizer, gradient, initial):
    variable = keras.Variable(initial)
    optimizer.apply([gradient], [variable])
    return variable.numpy()


class TestSparseAdam(TestCase):
    def setup_method(self):
        self.initial = np.arange(12, dtype="float32").reshape(4, 3) / 10

    def test_dense_gradients_are_keras_adam(self):
        gradient = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
        ours = step(SparseAdam(0.1), tf.constant(gradient), self.initial)
        adam = step(keras.optimizers.Adam(0.1), tf.constant(gradient), self.initial)
        self.assertAllClose(ours, adam)

    def test_sparse_gradient_moves_only_its_rows(self):
        values = np.array([[1.0, -2.0, 0.5], [0.3, 0.3, -0.3]], dtype="float32")
        sparse = tf.IndexedSlices(tf.constant(values), tf.constant([2, 0]), tf.constant([4, 3]))
        ours = step(SparseAdam(0.1), sparse, self.initial)
        dense = np.zeros((4, 3), "float32")
        dense[[2, 0]] = values
        adam = step(keras.optimizers.Adam(0.1), tf.constant(dense), self.initial)
        # Rows 1 and 3 keep their values (Adam's would too on step one, with zero moments),
        # rows 0 and 2 move exactly as under Adam.
        self.assertAllClose(ours, adam)
        self.assertAllEqual(ours[[1, 3]], self.initial[[1, 3]])

    def test_untouched_rows_keep_their_moments(self):
        optimizer = SparseAdam(0.1)
        variable = keras.Variable(self.initial)
        first = tf.IndexedSlices(tf.ones((1, 3)), tf.constant([1]), tf.constant([4, 3]))
        second = tf.IndexedSlices(tf.ones((1, 3)), tf.constant([3]), tf.constant([4, 3]))
        optimizer.apply([first], [variable])
        after_first = variable.numpy()
        optimizer.apply([second], [variable])
        # Keras' Adam would move row 1 again on its momentum; the lazy one does not.
        self.assertAllEqual(variable.numpy()[1], after_first[1])
        assert not np.allclose(variable.numpy()[3], self.initial[3])

    def test_repeated_indices_are_summed(self):
        sparse = tf.IndexedSlices(
            tf.constant([[1.0, 1.0, 1.0], [2.0, 0.0, -1.0]]), tf.constant([1, 1]), [4, 3]
        )
        summed = tf.IndexedSlices(tf.constant([[3.0, 1.0, 0.0]]), tf.constant([1]), [4, 3])
        self.assertAllClose(
            step(SparseAdam(0.1), sparse, self.initial),
            step(SparseAdam(0.1), summed, self.initial),
        )

    def test_trains_an_embedding_bag_and_serializes(self):
        inputs = keras.Input(shape=(3,), dtype="int32")
        model = keras.Model(inputs, EmbeddingBag(20, 2)(inputs))
        model.compile(optimizer=SparseAdam(0.05), loss="mse")
        ids = np.array([[3, 4, 0], [5, 0, 0]], dtype="int32")
        history = model.fit(ids, np.ones((2, 2)), epochs=20, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
        config = keras.optimizers.serialize(model.optimizer)
        revived = keras.optimizers.deserialize(config)
        assert isinstance(revived, SparseAdam)
        assert revived.get_config() == model.optimizer.get_config()

    def test_amsgrad_is_refused(self):
        with pytest.raises(ConfigError, match="amsgrad"):
            SparseAdam(amsgrad=True)
