"""Search space of the multi-width (Kim-style) CNN."""

from tuning.text_hypermodel import TextHyperModel

# Kernel width sets, as strings: a hyperparameter value must be a scalar.
KERNEL_SIZES = ("3,4,5", "2,3,4", "3,5,7")


class MultiWidthCNNHyperModel(TextHyperModel):
    """`MultiWidthCNNBackbone` + `TextClassifier`.

    Searched: `kernel_sizes` (as "3,4,5"-style strings), `embedding_dim`,
    `filters` (per width), `dropout` (on the pooled features),
    `learning_rate`; defaults: the config's (the recipe's) values, else the
    backbone's own.

    Example:
    ```python
    config = TrainConfig.from_dict({"data": {"preset": "sst2"}, "family": "multi_width_cnn"})
    hypermodel = MultiWidthCNNHyperModel(config, ModelInputs(vocabulary_size=70, num_classes=2))
    model = hypermodel.build(keras_tuner.HyperParameters())
    ```
    """

    family = "multi_width_cnn"

    def default(self, name, fallback=None):
        value = super().default(name, fallback)
        if name == "kernel_sizes" and not isinstance(value, str):
            return ",".join(str(size) for size in value)
        return value

    def search(self, hp):
        kernel_sizes = self.choice(hp, "kernel_sizes", list(KERNEL_SIZES), (3, 4, 5))
        return {
            "kernel_sizes": tuple(int(size) for size in kernel_sizes.split(",")),
            "embedding_dim": self.choice(hp, "embedding_dim", [16, 32, 64]),
            "filters": self.choice(hp, "filters", [50, 100, 200], 100),
            "dropout": self.choice(hp, "dropout", [0.0, 0.25, 0.5]),
            "learning_rate": self.choice(hp, "learning_rate", [3e-4, 1e-3, 3e-3]),
        }
