"""A tiny stand-in hypermodel and data, so the tuner machinery is tested in seconds."""

import keras
import keras_tuner
import numpy as np


class TinyHyperModel(keras_tuner.HyperModel):
    """Embedding + average pooling; searched: embedding_dim, dropout, learning_rate."""

    objective = "val_accuracy"

    def __init__(self, vocabulary_size=20, max_length=16, num_classes=2):
        super().__init__()
        self.vocabulary_size = vocabulary_size
        self.max_length = max_length
        self.num_classes = num_classes

    def build_features(self, hp, inputs):
        embedding_dim = hp.Choice("embedding_dim", [4, 8], default=8)
        x = keras.layers.Embedding(self.vocabulary_size, embedding_dim)(inputs)
        return keras.layers.GlobalAveragePooling1D()(x)

    def build(self, hp):
        inputs = keras.Input((self.max_length,), dtype="int32")
        x = self.build_features(hp, inputs)
        x = keras.layers.Dropout(hp.Choice("dropout", [0.0, 0.5], default=0.5))(x)
        model = keras.Model(inputs, keras.layers.Dense(self.num_classes)(x))
        learning_rate = hp.Choice("learning_rate", [3e-4, 1e-3, 3e-3], default=1e-3)
        model.compile(
            keras.optimizers.Adam(learning_rate),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model


def tiny_data(rows=200, max_length=16, vocabulary_size=20, batch_size=32, seed=0):
    """Ids whose first token decides the label: learnable in one epoch."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    x = rng.integers(2, vocabulary_size, (rows, max_length)).astype("int32")
    y = (x[:, 0] >= vocabulary_size // 2).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).cache()


def tiny_hypermodel():
    return TinyHyperModel(vocabulary_size=20, max_length=16, num_classes=2)
