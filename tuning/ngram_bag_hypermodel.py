"""Search space of the fastText-style bag of hashed n-grams."""

from tuning.text_hypermodel import TextHyperModel


class NGramBagHyperModel(TextHyperModel):
    """`NGramBagBackbone` + `TextClassifier`.

    Searched: `embedding_dim`, `token_dropout` (ids left out of a text's
    mean in training), `dropout` (on the mean), `learning_rate`; defaults:
    the config's (the recipe's) values, else the backbone's own. The
    n-gram settings (`buckets`, `word_ngrams`, `char_ngram_min/max`) are the
    tokenizer's, fixed for a tuning run: every trial fits the ids the run
    tokenized once, as `train()` would.

    Example:
    ```python
    config = TrainConfig.from_dict({"data": {"preset": "trec"}, "family": "ngram_bag"})
    hypermodel = NGramBagHyperModel(config, ModelInputs(vocabulary_size=1002, num_classes=6))
    model = hypermodel.build(keras_tuner.HyperParameters())
    ```
    """

    family = "ngram_bag"

    def search(self, hp):
        return {
            "embedding_dim": self.choice(hp, "embedding_dim", [16, 32, 64]),
            "token_dropout": self.choice(hp, "token_dropout", [0.0, 0.25], 0.0),
            "dropout": self.choice(hp, "dropout", [0.0, 0.25, 0.5]),
            "learning_rate": self.choice(hp, "learning_rate", [0.01, 0.03, 0.1]),
        }
