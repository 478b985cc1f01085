"""Hybrids of a convolution and an LSTM over the same embeddings."""

import keras
from keras import ops

from tfcharnlp.models.attention_pooling import AttentionPooling
from tfcharnlp.models.backbone import (
    Backbone,
    ids_input,
    recurrent_layer,
    token_embedding,
)
from tfcharnlp.validation import check_choice, check_optional_positive, check_positive, check_rate

CNN_LSTM_VARIANTS = ("sequential", "concatenated", "parallel", "attention")


@keras.saving.register_keras_serializable(package="tfcharnlp")
class CNNLSTMBackbone(Backbone):
    """A convolution and an LSTM over shared embeddings, in one of four layouts.

    - "sequential": conv -> max-pool -> LSTM (C-LSTM style); features are
      the LSTM's last state.
    - "concatenated": a conv branch (max over time) and an LSTM branch
      (last state) over the same embeddings, concatenated.
    - "parallel": the same two branches, concatenated and projected by a
      ReLU `Dense(projection_dim)`.
    - "attention": additive attention over all LSTM outputs, concatenated
      with the conv branch's max-over-time features.

    Padding (id 0) is masked for the LSTM in every layout; in "sequential"
    the mask is max-pooled alongside the features, so a pooled position is
    real when any of its inputs is.

    Args:
        vocabulary_size: int. Number of ids, padding (0) and unknown (1) included.
        variant: one of "sequential", "concatenated", "parallel", "attention".
        embedding_dim: int. Embedding size.
        filters: int. Convolution features.
        kernel_size: int. Convolution width ("same" padding).
        pool_size: int. Pooling before the LSTM ("sequential" only).
        hidden_units: int. LSTM units (per direction).
        bidirectional: bool. Bidirectional LSTM.
        projection_dim: int. Output size of the "parallel" projection.
        attention_units: int. Scoring units of the "attention" pooling.
        dropout: float. Dropout on the output features.
        max_length: int or None. Fixed sequence length, None for variable.
        embedding_matrix: optional `[vocabulary_size, embedding_dim]` array to
            start the embedding from (not stored in the config).
        trainable_embedding: bool. False freezes the embedding.

    Call arguments:
        token_ids: int32 `[batch, sequence]`, 0 = padding (at the end).

    Returns:
        float features `[batch, output_dim]`: LSTM size ("sequential"),
        `filters` + LSTM size ("concatenated", "attention") or
        `projection_dim` ("parallel"); the LSTM size doubles if bidirectional.

    Example:
    ```python
    backbone = CNNLSTMBackbone(vocabulary_size=20000, variant="attention")
    features = backbone(np.random.randint(0, 20000, size=(2, 50)))  # [2, 256]
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        variant="sequential",
        embedding_dim=128,
        filters=128,
        kernel_size=5,
        pool_size=2,
        hidden_units=128,
        bidirectional=False,
        projection_dim=128,
        attention_units=64,
        dropout=0.0,
        max_length=None,
        embedding_matrix=None,
        trainable_embedding=True,
        **kwargs,
    ):
        check_choice("variant", variant, CNN_LSTM_VARIANTS)
        for field, value in (
            ("vocabulary_size", vocabulary_size),
            ("embedding_dim", embedding_dim),
            ("filters", filters),
            ("kernel_size", kernel_size),
            ("pool_size", pool_size),
            ("hidden_units", hidden_units),
            ("projection_dim", projection_dim),
            ("attention_units", attention_units),
        ):
            check_positive(field, value)
        check_rate("dropout", dropout)
        check_optional_positive("max_length", max_length)

        # === Layers ===
        self.token_embedding = token_embedding(
            vocabulary_size,
            embedding_dim,
            embedding_matrix=embedding_matrix,
            trainable_embedding=trainable_embedding,
        )
        self.conv = keras.layers.Conv1D(
            filters, kernel_size, padding="same", activation="relu", name="conv"
        )
        self.lstm = recurrent_layer(
            "lstm",
            hidden_units,
            bidirectional=bidirectional,
            return_sequences=variant == "attention",
            name="lstm",
        )

        # === Functional Model ===
        token_ids = ids_input(max_length)
        mask = ops.not_equal(token_ids, 0)
        # Zeroing the padding vectors makes the "same" convolution see padding
        # exactly as its own zero padding, so results do not depend on how
        # much padding follows a text.
        embedded = self.token_embedding(token_ids)
        embedded = embedded * ops.expand_dims(ops.cast(mask, embedded.dtype), -1)
        if variant == "sequential":
            pool = keras.layers.MaxPooling1D(pool_size, padding="same", name="pool")
            x = pool(self.conv(embedded))
            mask_pool = keras.layers.MaxPooling1D(pool_size, padding="same", name="mask_pool")
            pooled_mask = mask_pool(ops.expand_dims(ops.cast(mask, x.dtype), -1))
            x = self.lstm(x, mask=ops.squeeze(pooled_mask, -1) > 0)
        else:
            conv_features = masked_max_over_time(self.conv(embedded), mask)
            lstm_features = self.lstm(embedded, mask=mask)
            if variant == "attention":
                attention = AttentionPooling(attention_units, name="attention")
                lstm_features = attention(lstm_features, mask=mask)
            x = keras.layers.Concatenate(name="concat")([conv_features, lstm_features])
            if variant == "parallel":
                x = keras.layers.Dense(projection_dim, activation="relu", name="projection")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        super().__init__(inputs=token_ids, outputs=x, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.variant = variant
        self.embedding_dim = embedding_dim
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.hidden_units = hidden_units
        self.bidirectional = bidirectional
        self.projection_dim = projection_dim
        self.attention_units = attention_units
        self.dropout = dropout
        self.max_length = max_length
        self.trainable_embedding = trainable_embedding

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "variant": self.variant,
                "embedding_dim": self.embedding_dim,
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "pool_size": self.pool_size,
                "hidden_units": self.hidden_units,
                "bidirectional": self.bidirectional,
                "projection_dim": self.projection_dim,
                "attention_units": self.attention_units,
                "dropout": self.dropout,
                "max_length": self.max_length,
                "trainable_embedding": self.trainable_embedding,
            }
        )
        return config


def masked_max_over_time(features, mask):
    """Max over the real positions (`[batch, sequence, d]` -> `[batch, d]`), 0 if none."""
    mask = ops.expand_dims(mask, -1)
    lowest = ops.full_like(features, -1e4)
    maxima = ops.max(ops.where(mask, features, lowest), axis=1)
    return ops.where(ops.any(mask, axis=1), maxima, ops.zeros_like(maxima))
