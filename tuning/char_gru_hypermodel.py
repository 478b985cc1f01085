"""Search space of the character language model (the generator)."""

from tuning.text_hypermodel import TextHyperModel


class CharGRUHyperModel(TextHyperModel):
    """`CharGRUBackbone` + `CharGRUCausalLM`, judged by `val_loss` (nats/char).

    Searched: `embedding_dim`, `hidden_units`, `num_layers`, `cell`,
    `dropout`, `learning_rate`; defaults: the config's (the recipe's) values.
    The window length (`--seq-length`) and the prompt padding
    (`--max-length`) are fixed, as in `train`.

    Example:
    ```python
    config = TrainConfig.from_dict({"data": {"preset": "tinyshakespeare"}, "family": "char_gru"})
    hypermodel = CharGRUHyperModel(config, ModelInputs(vocabulary_size=67))
    model = hypermodel.build(keras_tuner.HyperParameters())
    ```
    """

    family = "char_gru"

    def search(self, hp):
        return {
            "embedding_dim": self.choice(hp, "embedding_dim", [32, 64, 128]),
            "hidden_units": self.choice(hp, "hidden_units", [128, 256, 512]),
            "num_layers": self.int_range(hp, "num_layers", 1, 3),
            "cell": hp.Choice("cell", ["gru", "lstm"], default=self.config.cell),
            "dropout": self.choice(hp, "dropout", [0.0, 0.1, 0.2]),
            "learning_rate": self.choice(hp, "learning_rate", [1e-3, 2e-3, 5e-3]),
        }
