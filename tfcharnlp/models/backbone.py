"""The shared base of every backbone: a functional model from ids to features."""

import keras
import numpy as np

from tfcharnlp.errors import ConfigError
from tfcharnlp.validation import check_choice


@keras.saving.register_keras_serializable(package="tfcharnlp")
class Backbone(keras.Model):
    """Base class of the backbones: int ids `[batch, sequence]` -> features.

    Subclasses build their layers, call `super().__init__(inputs=...,
    outputs=...)` to become a functional model, then store their
    hyperparameters. `get_config()` returns those hyperparameters, so
    `from_config` rebuilds the graph from the constructor rather than from a
    serialized layer graph (as keras-hub does).
    """

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def ids_input(max_length=None, name="token_ids"):
    """The shared input of every backbone: int32 ids, 0 = padding."""
    return keras.Input(shape=(max_length,), dtype="int32", name=name)


def token_embedding(
    vocabulary_size,
    embedding_dim,
    embedding_matrix=None,
    trainable_embedding=True,
    mask_zero=False,
    name="token_embedding",
):
    """An `Embedding` layer, optionally started from a pre-trained matrix.

    The matrix is only an initializer: it is not part of the config (it can
    be hundreds of megabytes), and the trained values travel with the weights.
    """
    initializer = "uniform"
    if embedding_matrix is not None:
        matrix = np.asarray(embedding_matrix, dtype="float32")
        if matrix.shape != (vocabulary_size, embedding_dim):
            raise ConfigError(
                "embedding_matrix",
                f"expected shape {(vocabulary_size, embedding_dim)} "
                f"(vocabulary_size, embedding_dim), received {matrix.shape}",
            )
        initializer = keras.initializers.Constant(matrix)
    return keras.layers.Embedding(
        vocabulary_size,
        embedding_dim,
        embeddings_initializer=initializer,
        mask_zero=mask_zero,
        trainable=trainable_embedding,
        name=name,
    )


def recurrent_layer(
    cell, units, bidirectional=False, return_sequences=False, return_state=False, name=None
):
    """An LSTM or GRU layer, optionally wrapped in `Bidirectional`."""
    layer_cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[
        check_choice("cell", cell, ("lstm", "gru"))
    ]
    layer = layer_cls(
        units, return_sequences=return_sequences, return_state=return_state, name=name
    )
    if bidirectional:
        layer = keras.layers.Bidirectional(layer, name=f"{name}_bidirectional" if name else None)
    return layer


def recurrent_stack(
    cell,
    units,
    num_layers,
    bidirectional=False,
    last_return_sequences=False,
    return_state=False,
):
    """`num_layers` stacked `recurrent_layer`s named `<cell>_1`, `<cell>_2`, ...

    Every layer but the last returns sequences (the next one reads them); the
    last one too with `last_return_sequences`.
    """
    return [
        recurrent_layer(
            cell,
            units,
            bidirectional=bidirectional,
            return_sequences=last_return_sequences or index < num_layers - 1,
            return_state=return_state,
            name=f"{cell}_{index + 1}",
        )
        for index in range(num_layers)
    ]
