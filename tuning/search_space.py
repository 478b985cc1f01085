"""The search spaces, defined once by the hypermodels and shared with retraining.

A family's hypermodel is the `TextHyperModel` subclass in
`tuning/<family>_hypermodel.py` whose `family` is the family's registry
name (`tfcharnlp.models.families`), so adding a family to the registry and
writing that file is all tuning needs. `search_space(family)` builds the
hypermodel once on a fresh `HyperParameters`, so the space the tuner
searches and the space retraining reads back (`HyperParameters.from_config`
of `best_hyperparameters.json`) are the same, as in TFX.
"""

import importlib
import inspect
import json

import keras_tuner

from tfcharnlp.constants import BEST_HYPERPARAMETERS_FILE
from tfcharnlp.data.text_statistics import AUTO_LENGTH
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import families
from tuning.text_hypermodel import TextHyperModel

# Inputs used when only the space is wanted; the space never depends on them.
_PROBE_LENGTH = 256  # stands in for 'auto', long enough for every backbone
_PROBE_VOCABULARY_SIZE = 16
_PROBE_DATA = {"path": "search-space-probe.csv"}


def hypermodel_class(family):
    """The `TextHyperModel` subclass of `tuning/<family>_hypermodel.py`."""
    families.get_family(family)
    module = importlib.import_module(f"tuning.{family}_hypermodel")
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, TextHyperModel)
        and getattr(value, "family", None) == family
    ]
    if len(found) != 1:
        raise ConfigError("family", f"{module.__name__} defines no hypermodel for {family!r}")
    return found[0]


def get_hypermodel(config, inputs, objective=None):
    """The hypermodel of `config.family` over the run's config and data inputs."""
    return hypermodel_class(config.family)(config, inputs, objective=objective)


def search_space_of(hypermodel):
    """Builds `hypermodel` once on a fresh `HyperParameters` and returns them."""
    import keras

    hp = keras_tuner.HyperParameters()
    hypermodel.declare_hyperparameters(hp)
    hypermodel.build(hp)
    keras.backend.clear_session()
    return hp


def search_space(family, recipe=families.DEFAULT_RECIPE, **config_fields):
    """The search space of `family` under `recipe` (`HyperParameters` holding every default)."""
    from tfcharnlp.training.model_setup import ModelInputs
    from tfcharnlp.training.train_config import TrainConfig

    config = TrainConfig.from_dict(
        {"data": _PROBE_DATA, "family": family, "recipe": recipe, **config_fields}
    ).resolve()
    if config.max_length == AUTO_LENGTH:
        # The data would measure it; the space does not depend on it.
        config = config.replace(max_length=max(config.family_spec.min_length, _PROBE_LENGTH))
    num_classes = None if config.is_language_model else 2
    inputs = ModelInputs(vocabulary_size=_PROBE_VOCABULARY_SIZE, num_classes=num_classes)
    return search_space_of(get_hypermodel(config, inputs))


def save_hyperparameters(hp, path):
    """Writes `hp.get_config()` as JSON (TFX's `best_hyperparameters.txt` format)."""
    with open(path, "w") as f:
        json.dump(hp.get_config(), f, indent=2, sort_keys=True)
        f.write("\n")


def load_hyperparameters(path):
    """Reads a `best_hyperparameters.json` back into `HyperParameters`."""
    try:
        with open(path) as f:
            config = json.load(f)
        return keras_tuner.HyperParameters.from_config(config)
    except FileNotFoundError as error:
        raise ConfigError("best_hyperparameters", f"no file at {path}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            "best_hyperparameters", f"{path} is not a HyperParameters config: {error}"
        ) from error


__all__ = [
    "BEST_HYPERPARAMETERS_FILE",
    "get_hypermodel",
    "hypermodel_class",
    "load_hyperparameters",
    "save_hyperparameters",
    "search_space",
    "search_space_of",
]
