"""The shared base of the tfcharnlp hypermodels: a family's search space over `train()`'s path."""

import dataclasses

import keras_tuner

from tfcharnlp.errors import ConfigError
from tfcharnlp.validation import check_choice, check_int
from tuning.choices import CLASSIFIER_OBJECTIVES, LANGUAGE_MODEL_OBJECTIVES


class TextHyperModel(keras_tuner.HyperModel):
    """A family's search space; a trial's model is the model `train()` builds.

    The structure is fixed in the constructor and checked there: the run's
    `TrainConfig` (family, recipe and every setting that is not searched)
    and the `ModelInputs` of its data (vocabulary, classes, preprocessor,
    steps per epoch). `search(hp)` declares the searched values, each named
    after the `TrainConfig` field it sets (`dropout`, `learning_rate`,
    `embedding_dim`, ...) or, for a backbone argument without a field, the
    `model_options` entry (`filters`, `kernel_size`, ...). The default of
    each is the config's own value (the family recipe's unless a flag set
    it), and that value is always among the choices: trial 0 of a grid
    search is the untuned run. `build(hp)` is
    `build_compiled_model(trial_config(hp), inputs)`, the function `train()`
    uses, so it sets the dtype policy inside every trial and the tuned
    winner retrains as `train(trial_config(best_hp))`.

    Subclasses set `family` and implement `search(hp)`.

    Args:
        config: the run's `TrainConfig` (resolved here).
        inputs: the `ModelInputs` of the run's data.
        objective: `"val_accuracy"`, `"val_macro_f1"` or `"val_loss"` for a
            classifier (default `"val_accuracy"`); `"val_loss"` for a
            language model.
        name: optional str.
        tunable: bool. Whether the hyperparameters are tunable.

    Example:
    ```python
    config = TrainConfig.from_dict({"data": {"preset": "trec"}, "family": "lstm"})
    hypermodel = LSTMHyperModel(config, ModelInputs(vocabulary_size=70, num_classes=6))
    model = hypermodel.build(keras_tuner.HyperParameters())  # The recipe's model.
    ```
    """

    family = None

    def __init__(self, config, inputs, objective=None, name=None, tunable=True):
        if config.family != self.family:
            raise ConfigError(
                "family", f"{type(self).__name__} tunes {self.family!r}, got {config.family!r}"
            )
        config = config.resolve()
        check_int("vocabulary_size", inputs.vocabulary_size, minimum=3)
        if config.is_language_model:
            objective = objective or LANGUAGE_MODEL_OBJECTIVES[0]
            check_choice("objective", objective, LANGUAGE_MODEL_OBJECTIVES)
        else:
            objective = objective or CLASSIFIER_OBJECTIVES[0]
            check_choice("objective", objective, CLASSIFIER_OBJECTIVES)
            check_int("num_classes", inputs.num_classes, minimum=2)
        super().__init__(name=name, tunable=tunable)
        self.config = config
        self.inputs = inputs
        self.objective = objective

    # ------------------------------------------------------- the space
    def search(self, hp):
        """Declares the searched values on `hp`; returns {name: value} (see the class doc)."""
        raise NotImplementedError

    def default(self, name, fallback=None):
        """The config's value of `name` (a field, else a `model_options` entry, else `fallback`)."""
        if name in _CONFIG_FIELDS:
            return getattr(self.config, name)
        return self.config.model_options.get(name, fallback)

    def choice(self, hp, name, values, fallback=None):
        """`hp.Choice(name, values)` defaulting to the config's value, which joins the values."""
        default = self.default(name, fallback)
        values = list(values)
        if default not in values:
            values = sorted([*values, default]) if _all_numbers(values) else [*values, default]
        return hp.Choice(name, values, default=default)

    def int_range(self, hp, name, low, high):
        """`hp.Int(name, low, high)` defaulting to the config's value (the range widens to hold it)."""
        default = self.default(name)
        return hp.Int(name, min(low, default), max(high, default), default=default)

    # ------------------------------------------------------- the trial
    def trial_config(self, hp):
        """The `TrainConfig` of the values in `hp`: fields set, other names in `model_options`."""
        changes, options = {}, dict(self.config.model_options)
        for name, value in self.search(hp).items():
            if name in _CONFIG_FIELDS:
                changes[name] = value
            else:
                options[name] = value
        return self.config.replace(model_options=options, **changes)

    def build(self, hp):
        from tfcharnlp.training.model_setup import build_compiled_model

        return build_compiled_model(self.trial_config(hp), self.inputs)


def _all_numbers(values):
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _config_fields():
    from tfcharnlp.training.train_config import TrainConfig

    return frozenset(field.name for field in dataclasses.fields(TrainConfig))


_CONFIG_FIELDS = _config_fields()
