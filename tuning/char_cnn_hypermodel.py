"""Search space of the character CNN (Zhang, Zhao & LeCun 2015)."""

from tuning.text_hypermodel import TextHyperModel


class CharCNNHyperModel(TextHyperModel):
    """`CharCNNBackbone` + `TextClassifier`; searched: width, head size, dropout, rate.

    The size (`--size small|large`) and the input encoding (one-hot unless
    `embedding_dim` is set) are fixed by the config. The defaults are the
    size's own widths (small: 256 conv features, 1024 units; large: 1024,
    2048) and the recipe's dropout and learning rate, so trial 0 of a grid
    search is the untuned baseline.

    Example:
    ```python
    config = TrainConfig.from_dict({"data": {"preset": "ag_news"}, "max_length": 256})
    hypermodel = CharCNNHyperModel(config, ModelInputs(vocabulary_size=70, num_classes=4))
    model = hypermodel.build(keras_tuner.HyperParameters())
    ```
    """

    family = "char_cnn"

    def search(self, hp):
        large = self.config.size == "large"
        return {
            "filters": self.choice(
                hp,
                "filters",
                [64, 128, 256, 1024] if large else [64, 128, 256],
                1024 if large else 256,
            ),
            "dense_units": self.choice(
                hp,
                "dense_units",
                [256, 1024, 2048] if large else [256, 512, 1024],
                2048 if large else 1024,
            ),  # fmt: skip
            "dropout": self.choice(hp, "dropout", [0.0, 0.2, 0.5]),
            "learning_rate": self.choice(hp, "learning_rate", [3e-4, 1e-3, 3e-3]),
        }
