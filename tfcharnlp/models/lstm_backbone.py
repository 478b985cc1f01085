"""A stacked (optionally bidirectional) LSTM over characters or words."""

import keras

from tfcharnlp.models.backbone import (
    Backbone,
    ids_input,
    recurrent_stack,
    token_embedding,
)
from tfcharnlp.validation import check_optional_positive, check_positive, check_rate


@keras.saving.register_keras_serializable(package="tfcharnlp")
class LSTMBackbone(Backbone):
    """Embedding (padding masked) -> stacked LSTM -> last state, ids -> features.

    The same backbone serves characters and words: only the ids differ. The
    embedding masks id 0, so each sequence's features are the LSTM state
    after its last real token, whatever the padding. Word models may start
    from pre-trained vectors (`load_word_vectors`).

    Args:
        vocabulary_size: int. Number of ids, padding (0) and unknown (1) included.
        embedding_dim: int. Embedding size.
        hidden_units: int. LSTM units per layer (per direction).
        num_layers: int. Number of stacked LSTM layers.
        bidirectional: bool. Run each layer both ways and concatenate.
        dropout: float. Dropout between layers and on the output features.
        max_length: int or None. Fixed sequence length, None for variable.
        embedding_matrix: optional `[vocabulary_size, embedding_dim]` array to
            start the embedding from. Not stored in the config (the trained
            values are in the weights).
        trainable_embedding: bool. False freezes the embedding.

    Call arguments:
        token_ids: int32 `[batch, sequence]`, 0 = padding (at the end).

    Returns:
        float features `[batch, hidden_units]`, `2 * hidden_units` if bidirectional.

    Example:
    ```python
    backbone = LSTMBackbone(vocabulary_size=20000, embedding_dim=100, hidden_units=128,
                            num_layers=2, bidirectional=True)
    features = backbone(np.random.randint(0, 20000, size=(2, 50)))  # [2, 256]
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=128,
        hidden_units=128,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        max_length=None,
        embedding_matrix=None,
        trainable_embedding=True,
        **kwargs,
    ):
        check_positive("vocabulary_size", vocabulary_size)
        check_positive("embedding_dim", embedding_dim)
        check_positive("hidden_units", hidden_units)
        check_positive("num_layers", num_layers)
        check_rate("dropout", dropout)
        check_optional_positive("max_length", max_length)

        # === Layers ===
        self.token_embedding = token_embedding(
            vocabulary_size,
            embedding_dim,
            embedding_matrix=embedding_matrix,
            trainable_embedding=trainable_embedding,
            mask_zero=True,
        )
        self.lstm_layers = recurrent_stack(
            "lstm", hidden_units, num_layers, bidirectional=bidirectional
        )

        # === Functional Model ===
        token_ids = ids_input(max_length)
        x = self.token_embedding(token_ids)
        for index, lstm in enumerate(self.lstm_layers):
            x = lstm(x)
            x = keras.layers.Dropout(dropout, name=f"dropout_{index + 1}")(x)
        super().__init__(inputs=token_ids, outputs=x, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.max_length = max_length
        self.trainable_embedding = trainable_embedding

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "hidden_units": self.hidden_units,
                "num_layers": self.num_layers,
                "bidirectional": self.bidirectional,
                "dropout": self.dropout,
                "max_length": self.max_length,
                "trainable_embedding": self.trainable_embedding,
            }
        )
        return config
