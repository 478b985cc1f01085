"""A stacked GRU or LSTM over characters, with explicit states for stepping."""

import keras
import tensorflow as tf

from tfcharnlp.models.backbone import (
    Backbone,
    ids_input,
    recurrent_stack,
    token_embedding,
)
from tfcharnlp.validation import check_choice, check_positive, check_rate


@keras.saving.register_keras_serializable(package="tfcharnlp")
class CharGRUBackbone(Backbone):
    """Character embedding -> stacked GRU (or LSTM) with dropout, ids -> sequence.

    Unlike the classifier backbones it returns one feature vector per
    position, for next-character prediction, and it can run one step at a
    time from explicit states (`step`), which generation needs.

    State layout: a flat list of float32 tensors `[batch, hidden_units]`,
    layer by layer from the bottom: `[h_1, ..., h_L]` for "gru",
    `[h_1, c_1, ..., h_L, c_L]` for "lstm". `flatten_states` concatenates
    them into one `[batch, state_size]` tensor (for a signature) and
    `unflatten_states` splits it back.

    Args:
        vocabulary_size: int. Number of ids, padding (0) included.
        embedding_dim: int. Character embedding size.
        hidden_units: int. Units of each recurrent layer.
        num_layers: int. Number of stacked recurrent layers.
        cell: "gru" or "lstm".
        dropout: float. Dropout after the embedding and each recurrent layer
            (training only).

    Call arguments:
        token_ids: int32 `[batch, sequence]`.

    Returns:
        float features `[batch, sequence, hidden_units]`.

    Example:
    ```python
    backbone = CharGRUBackbone(vocabulary_size=68, embedding_dim=64, hidden_units=256,
                               num_layers=2, cell="gru", dropout=0.2)
    features = backbone(np.random.randint(0, 68, size=(2, 100)))  # [2, 100, 256]
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=64,
        hidden_units=256,
        num_layers=2,
        cell="gru",
        dropout=0.0,
        **kwargs,
    ):
        check_positive("vocabulary_size", vocabulary_size)
        check_positive("embedding_dim", embedding_dim)
        check_positive("hidden_units", hidden_units)
        check_positive("num_layers", num_layers)
        check_choice("cell", cell, ("gru", "lstm"))
        check_rate("dropout", dropout)

        # === Layers ===
        self.token_embedding = token_embedding(vocabulary_size, embedding_dim)
        # return_state lets the same layers run from explicit states in `step`.
        self.recurrent_layers = recurrent_stack(
            cell, hidden_units, num_layers, last_return_sequences=True, return_state=True
        )
        # Dropout is a separate layer (not the cells' own), which keeps the
        # cuDNN kernels usable on GPUs and leaves inference steps untouched.
        self.dropout_layers = [
            keras.layers.Dropout(dropout, name=f"dropout_{index}")
            for index in range(num_layers + 1)
        ]

        # === Functional Model ===
        token_ids = ids_input(None)
        x = self.dropout_layers[0](self.token_embedding(token_ids))
        for layer, dropout_layer in zip(
            self.recurrent_layers, self.dropout_layers[1:], strict=True
        ):
            x = dropout_layer(layer(x)[0])
        super().__init__(inputs=token_ids, outputs=x, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.num_layers = num_layers
        self.cell = cell
        self.dropout = dropout

    @property
    def states_per_layer(self):
        return 2 if self.cell == "lstm" else 1

    @property
    def state_size(self):
        """Width of the flattened state."""
        return self.num_layers * self.states_per_layer * self.hidden_units

    def initial_states(self, batch_size):
        """Zero states for `batch_size` sequences (the layout is in the class docstring)."""
        zeros = tf.zeros(tf.stack([batch_size, self.hidden_units]), dtype=tf.float32)
        return [zeros] * (self.num_layers * self.states_per_layer)

    def flatten_states(self, states):
        """The list of states -> one `[batch, state_size]` tensor."""
        return tf.concat([tf.cast(state, tf.float32) for state in states], axis=-1)

    def unflatten_states(self, flat_states):
        """One `[batch, state_size]` tensor -> the list of states."""
        count = self.num_layers * self.states_per_layer
        return tf.split(flat_states, count, axis=-1)

    def step(self, token_ids, states):
        """Run `token_ids` `[batch, t]` (or `[batch]`, one id each) from `states`.

        Inference mode (no dropout).

        Returns:
            `(features [batch, t, hidden_units], new_states)`. With a static
            `t == 1` (or `[batch]` ids) it calls the recurrent cells directly
            (no inner loop), which is what a generation loop runs.
        """
        token_ids = tf.convert_to_tensor(token_ids)
        if token_ids.shape.rank == 1:
            token_ids = token_ids[:, None]
        x = self.token_embedding(token_ids)
        per_layer = self.states_per_layer
        new_states = []
        single_step = token_ids.shape.rank == 2 and token_ids.shape[1] == 1
        for index, layer in enumerate(self.recurrent_layers):
            layer_states = list(states[index * per_layer : (index + 1) * per_layer])
            if single_step:
                output, layer_states = layer.cell(x[:, 0, :], layer_states, training=False)
                output = output[:, None, :]
            else:
                output, *layer_states = layer(x, initial_state=layer_states, training=False)
            new_states.extend(tf.cast(state, tf.float32) for state in layer_states)
            x = output
        return x, new_states

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "hidden_units": self.hidden_units,
                "num_layers": self.num_layers,
                "cell": self.cell,
                "dropout": self.dropout,
            }
        )
        return config
