"""Parallel convolutions of several widths with max-over-time pooling (Kim-style)."""

import keras

from tfcharnlp.errors import ConfigError
from tfcharnlp.models.backbone import (
    Backbone,
    ids_input,
    token_embedding,
)
from tfcharnlp.validation import check_positive, check_rate


@keras.saving.register_keras_serializable(package="tfcharnlp")
class MultiWidthCNNBackbone(Backbone):
    """Character embedding, parallel convolutions, max-over-time, concatenated.

    Each width `w` in `kernel_sizes` gets its own `Conv1D` over the
    embedded characters; each is max-pooled over time and the results are
    concatenated, as in Kim (2014) and the character-aware word embeddings of
    Kim et al. (2016). The output has `sum(filters)` features, so the
    backbone also serves as a character-level embedding of words or short
    texts (wrap it in `keras.layers.TimeDistributed` for `[batch, words,
    characters]` ids). As in those papers, padding is an ordinary learned
    symbol here, so pad every input to one fixed length.

    Args:
        vocabulary_size: int. Number of ids, padding (0) included.
        max_length: int or None. Fixed sequence length, None for variable.
        embedding_dim: int. Character embedding size.
        kernel_sizes: tuple of ints. Convolution widths.
        filters: int, or a tuple with one int per width.
        activation: activation of the convolutions.
        dropout: float. Dropout on the concatenated features.
        embedding_matrix: optional `[vocabulary_size, embedding_dim]` array to
            start the embedding from (word vectors, `load_word_vectors`).
        trainable_embedding: bool. False freezes the embedding (Kim's static).

    Call arguments:
        token_ids: int32 `[batch, sequence]`, sequence >= max(kernel_sizes).

    Returns:
        float features `[batch, sum(filters)]`.

    Example:
    ```python
    backbone = MultiWidthCNNBackbone(vocabulary_size=72, kernel_sizes=(3, 4, 5), filters=100)
    features = backbone(np.random.randint(0, 72, size=(2, 32)))  # [2, 300]
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        max_length=None,
        embedding_dim=16,
        kernel_sizes=(3, 4, 5),
        filters=100,
        activation="relu",
        dropout=0.0,
        embedding_matrix=None,
        trainable_embedding=True,
        **kwargs,
    ):
        check_positive("vocabulary_size", vocabulary_size)
        check_positive("embedding_dim", embedding_dim)
        check_rate("dropout", dropout)
        kernel_sizes = tuple(check_positive("kernel_sizes", size) for size in kernel_sizes)
        if not kernel_sizes:
            raise ConfigError("kernel_sizes", "expected at least one width")
        filters_list = (filters,) * len(kernel_sizes) if isinstance(filters, int) else filters
        filters_list = tuple(check_positive("filters", value) for value in filters_list)
        if len(filters_list) != len(kernel_sizes):
            raise ConfigError(
                "filters",
                f"expected one value per kernel size ({len(kernel_sizes)}), received {filters}",
            )
        if max_length is not None and check_positive("max_length", max_length) < max(kernel_sizes):
            raise ConfigError(
                "max_length", f"{max_length} is shorter than the widest kernel {max(kernel_sizes)}"
            )

        # === Layers ===
        self.token_embedding = token_embedding(
            vocabulary_size,
            embedding_dim,
            embedding_matrix=embedding_matrix,
            trainable_embedding=trainable_embedding,
        )
        self.conv_layers = [
            keras.layers.Conv1D(count, width, activation=activation, name=f"conv_width_{width}")
            for width, count in zip(kernel_sizes, filters_list, strict=True)
        ]

        # === Functional Model ===
        token_ids = ids_input(max_length)
        embedded = self.token_embedding(token_ids)
        pooled = [
            keras.layers.GlobalMaxPooling1D(name=f"max_over_time_{conv.kernel_size[0]}")(
                conv(embedded)
            )
            for conv in self.conv_layers
        ]
        x = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="concat")(pooled)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        super().__init__(inputs=token_ids, outputs=x, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.max_length = max_length
        self.embedding_dim = embedding_dim
        self.kernel_sizes = kernel_sizes
        self.filters = filters if isinstance(filters, int) else filters_list
        self.activation = activation
        self.dropout = dropout
        self.trainable_embedding = trainable_embedding

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "max_length": self.max_length,
                "embedding_dim": self.embedding_dim,
                "kernel_sizes": list(self.kernel_sizes),
                "filters": self.filters if isinstance(self.filters, int) else list(self.filters),
                "activation": self.activation,
                "dropout": self.dropout,
                "trainable_embedding": self.trainable_embedding,
            }
        )
        return config
