"""fastText's classifier body: the mean embedding of a text's hashed n-grams."""

import keras

from tfcharnlp.models.backbone import Backbone, ids_input
from tfcharnlp.models.embedding_bag import EmbeddingBag
from tfcharnlp.validation import check_optional_positive, check_positive, check_rate


@keras.saving.register_keras_serializable(package="tfcharnlp")
class NGramBagBackbone(Backbone):
    """Embedding-bag average of n-gram ids, then optional hidden layers.

    The model of Joulin et al. (2016), "Bag of Tricks for Efficient Text
    Classification" (fastText): every id of a text (words, word n-grams,
    character n-grams, hashed by `NGramTokenizer`) has a vector, and the
    text is the mean of its ids' vectors, padding left out (`EmbeddingBag`).
    fastText puts the softmax straight on that mean, which is
    `hidden_units=()`; hidden layers make it a small MLP over the bag.
    `TextClassifier` adds the head.

    Train it with `SparseAdam` (or SGD without momentum): they update only
    the rows a batch touched, while Keras' Adam rewrites the whole table
    and its two moment tables every step (see `EmbeddingBag`).

    Args:
        vocabulary_size: int. Number of ids, padding (0) included
            (`NGramTokenizer.vocabulary_size`).
        max_length: int or None. Ids per text, None for variable.
        embedding_dim: int. Size of each n-gram's vector.
        hidden_units: tuple of ints. Sizes of `Dense` layers after the mean.
        activation: activation of the hidden layers.
        dropout: float. Dropout on the mean (and after each hidden layer).
        token_dropout: float. Share of a text's ids left out of its mean in
            training (`EmbeddingBag`'s word dropout).

    Call arguments:
        token_ids: int32 `[batch, sequence]`, 0 = padding.

    Returns:
        float features `[batch, embedding_dim]`, or `[batch, hidden_units[-1]]`.

    Example:
    ```python
    backbone = NGramBagBackbone(vocabulary_size=1002, embedding_dim=16)
    features = backbone(np.array([[659, 519, 283, 0]]))  # [1, 16]
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        max_length=None,
        embedding_dim=16,
        hidden_units=(),
        activation="relu",
        dropout=0.0,
        token_dropout=0.0,
        **kwargs,
    ):
        check_positive("vocabulary_size", vocabulary_size)
        check_optional_positive("max_length", max_length)
        check_positive("embedding_dim", embedding_dim)
        check_rate("dropout", dropout)
        check_rate("token_dropout", token_dropout)
        if isinstance(hidden_units, int):
            hidden_units = (hidden_units,)
        hidden_units = tuple(check_positive("hidden_units", units) for units in hidden_units)

        # === Layers ===
        self.token_embedding = EmbeddingBag(
            vocabulary_size, embedding_dim, token_dropout=token_dropout, name="embedding_bag"
        )
        self.hidden_layers = [
            keras.layers.Dense(units, activation=activation, name=f"hidden_{index + 1}")
            for index, units in enumerate(hidden_units)
        ]

        # === Functional Model ===
        token_ids = ids_input(max_length)
        x = self.token_embedding(token_ids)
        for index, layer in enumerate(self.hidden_layers):
            x = keras.layers.Dropout(dropout, name=f"dropout_{index + 1}")(x)
            x = layer(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        super().__init__(inputs=token_ids, outputs=x, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.max_length = max_length
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.activation = activation
        self.dropout = dropout
        self.token_dropout = token_dropout

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "max_length": self.max_length,
                "embedding_dim": self.embedding_dim,
                "hidden_units": list(self.hidden_units),
                "activation": self.activation,
                "dropout": self.dropout,
                "token_dropout": self.token_dropout,
            }
        )
        return config
