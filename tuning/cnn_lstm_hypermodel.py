"""Search space of the CNN-LSTM hybrids (all four variants in one space)."""

from tfcharnlp.training.train_config import CNN_LSTM_VARIANTS
from tuning.text_hypermodel import TextHyperModel


class CNNLSTMHyperModel(TextHyperModel):
    """`CNNLSTMBackbone` + `TextClassifier`; the variant is searched too.

    Searched: `variant`, `embedding_dim`, `filters`, `kernel_size`,
    `hidden_units`, `bidirectional`, `dropout`, `learning_rate`; defaults:
    the config's (the recipe's) values, else the backbone's own. Searching
    the variant is how "the best hybrid" is found; the config's `--variant`
    is the default one.

    Example:
    ```python
    config = TrainConfig.from_dict({"data": {"preset": "trec"}, "family": "cnn_lstm"})
    hypermodel = CNNLSTMHyperModel(config, ModelInputs(vocabulary_size=70, num_classes=6))
    model = hypermodel.build(keras_tuner.HyperParameters())
    ```
    """

    family = "cnn_lstm"

    def search(self, hp):
        variants = [
            self.config.variant,
            *(v for v in CNN_LSTM_VARIANTS if v != self.config.variant),
        ]
        return {
            "variant": hp.Choice("variant", variants, default=self.config.variant),
            "embedding_dim": self.choice(hp, "embedding_dim", [32, 64, 128]),
            "filters": self.choice(hp, "filters", [64, 128], 128),
            "kernel_size": self.choice(hp, "kernel_size", [3, 5, 7], 5),
            "hidden_units": self.choice(hp, "hidden_units", [64, 128]),
            "bidirectional": hp.Boolean("bidirectional", default=self.default("bidirectional")),
            "dropout": self.choice(hp, "dropout", [0.0, 0.2, 0.5]),
            "learning_rate": self.choice(hp, "learning_rate", [3e-4, 1e-3, 3e-3]),
        }
