"""Search space of the stacked (optionally bidirectional) LSTM."""

from tuning.text_hypermodel import TextHyperModel


class LSTMHyperModel(TextHyperModel):
    """`LSTMBackbone` + `TextClassifier`.

    Searched: `embedding_dim`, `hidden_units`, `num_layers`, `bidirectional`,
    `dropout` (on the final state), `learning_rate`; defaults: the config's
    (the recipe's) values.

    Example:
    ```python
    config = TrainConfig.from_dict({"data": {"preset": "trec"}, "family": "lstm"})
    hypermodel = LSTMHyperModel(config, ModelInputs(vocabulary_size=70, num_classes=6))
    model = hypermodel.build(keras_tuner.HyperParameters())
    ```
    """

    family = "lstm"

    def search(self, hp):
        return {
            "embedding_dim": self.choice(hp, "embedding_dim", [32, 64, 128]),
            "hidden_units": self.choice(hp, "hidden_units", [64, 128, 256]),
            "num_layers": self.int_range(hp, "num_layers", 1, 2),
            "bidirectional": hp.Boolean("bidirectional", default=self.default("bidirectional")),
            "dropout": self.choice(hp, "dropout", [0.0, 0.2, 0.5]),
            "learning_rate": self.choice(hp, "learning_rate", [3e-4, 1e-3, 3e-3]),
        }
