import numpy as np
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.models import EmbeddingBag


class TestEmbeddingBag(TestCase):
    def setup_method(self):
        self.ids = np.array([[5, 7, 0, 0], [0, 0, 0, 0], [3, 3, 9, 0]], dtype="int32")

    def test_layer_basics(self):
        self.run_layer_test(
            EmbeddingBag,
            init_kwargs={"input_dim": 10, "output_dim": 4},
            input_data=self.ids,
            expected_output_shape=(3, 4),
            expected_num_trainable_weights=1,
        )

    def test_mean_of_the_non_padding_rows(self):
        bag = EmbeddingBag(10, 4)
        means = bag(self.ids).numpy()
        table = bag.embeddings.numpy()
        self.assertAllClose(means[0], (table[5] + table[7]) / 2)
        self.assertAllEqual(means[1], np.zeros(4))  # only padding
        self.assertAllClose(means[2], (2 * table[3] + table[9]) / 3)  # repeats count

    def test_token_dropout_only_in_training(self):
        bag = EmbeddingBag(10, 4, token_dropout=0.5)
        ids = np.tile(np.arange(1, 10, dtype="int32"), (8, 1))
        inference = bag(ids).numpy()
        self.assertAllClose(inference, np.tile(bag.embeddings.numpy()[1:].mean(0), (8, 1)))
        training = bag(ids, training=True).numpy()
        assert training.shape == (8, 4) and np.all(np.isfinite(training))
        assert not np.allclose(training, inference)
        assert EmbeddingBag.from_config(bag.get_config()).token_dropout == 0.5

    def test_fasttext_initializer(self):
        bag = EmbeddingBag(1000, 8)
        bag.build(self.ids.shape)
        table = bag.embeddings.numpy()
        assert np.abs(table).max() <= 1 / 8 and table.std() > 1 / 32

    def test_gradient_is_sparse_over_the_ids(self):
        # What keeps a step cheap for a table of millions of rows.
        bag = EmbeddingBag(10, 4)
        bag.build(self.ids.shape)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(bag(self.ids))
        (gradient,) = tape.gradient(loss, [bag.embeddings.value])
        assert isinstance(gradient, tf.IndexedSlices)
        # One row per non-padding position (repeats are summed by the update).
        assert sorted(gradient.indices.numpy().tolist()) == [3, 3, 5, 7, 9]
        dense = tf.convert_to_tensor(gradient).numpy()
        self.assertAllClose(dense[3], np.full(4, 2 / 3))
        self.assertAllClose(dense[5], np.full(4, 1 / 2))
        self.assertAllEqual(dense[0], np.zeros(4))

    def test_xla_path_gives_the_same_means(self):
        bag = EmbeddingBag(10, 4)
        eager = bag(self.ids).numpy()
        compiled = tf.function(bag, jit_compile=True)(tf.constant(self.ids))
        self.assertAllClose(compiled, eager, atol=1e-6)

    def test_sgd_updates_only_the_rows_it_saw(self):
        import keras

        inputs = keras.Input(shape=(4,), dtype="int32")
        bag = EmbeddingBag(10, 2)
        model = keras.Model(inputs, bag(inputs))
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        before = bag.embeddings.numpy().copy()
        model.fit(self.ids, np.ones((3, 2)), epochs=1, batch_size=3, verbose=0)
        changed = np.flatnonzero(np.any(bag.embeddings.numpy() != before, axis=1))
        assert changed.tolist() == [3, 5, 7, 9]
