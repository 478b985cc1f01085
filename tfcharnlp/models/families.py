"""The model families: the one registry `train`, `tune`, the CLI and the hypermodels read.

A family is a backbone class, a task (a classifier or a language model), the
tokenizers it reads, how a `TrainConfig` maps to its constructor arguments,
and its recipes. A recipe is a family's training defaults (optimizer,
learning rate, schedule, batch size, dropout, lengths, sizes, epochs,
patience): the fields of `RECIPE_FIELDS` that the family uses. A
`TrainConfig` leaves those fields unset (None) unless a flag or a config file
sets them; `TrainConfig.resolve()` fills the rest from the family's recipe
(`--recipe NAME`, "default" unless named), and the resolved values are what
a run uses and what `train_config.json` records. The hypermodels take their
fixed values and the defaults of their searched values from the same recipe.

To change a default, change its recipe below. To add a family: one
`Family(...)` entry in `FAMILIES`, its backbone module, and its hypermodel
`tuning/<name>_hypermodel.py` (found by that name).

This module imports no TensorFlow: the command line reads it to build `--help`.
"""

import dataclasses
import importlib
from collections.abc import Callable, Mapping

from tfcharnlp.errors import ConfigError

CLASSIFIER = "classifier"
LANGUAGE_MODEL = "language_model"

# The TrainConfig fields a recipe may set. A family's recipes set exactly the
# ones it uses; a config that sets one the family does not use is an error.
# `model_options` (backbone constructor arguments) is merged: the config's
# entries override the recipe's.
RECIPE_FIELDS = (
    "max_length",
    "crop_length",
    "seq_length",
    "embedding_dim",
    "buckets",
    "word_ngrams",
    "char_ngram_min",
    "char_ngram_max",
    "hidden_units",
    "num_layers",
    "bidirectional",
    "dropout",
    "label_smoothing",
    "model_options",
    "optimizer",
    "learning_rate",
    "momentum",
    "schedule",
    "warmup_epochs",
    "decay_rate",
    "decay_epochs",
    "batch_size",
    "epochs",
    "patience",
    "monitor",
)
DEFAULT_RECIPE = "default"


@dataclasses.dataclass(frozen=True)
class Family:
    """One model family.

    Args:
        name: the `--family` value.
        task: `CLASSIFIER` or `LANGUAGE_MODEL`.
        backbone: `"module:Class"` of the backbone, imported on first use.
        summary: one line for `--help`.
        recipes: recipe name -> {field of `RECIPE_FIELDS`: value}; every
            recipe of a family sets the same fields; "default" is required.
        arguments: `config -> (backbone_kwargs, task_kwargs)`, the
            constructor arguments a resolved `TrainConfig` gives (the
            vocabulary size and `model_options` are added by the builder).
        tokenizers: the tokenizers the family reads.
        word_vectors: whether the embedding can start from pre-trained vectors.
        min_length: the shortest `max_length` the backbone accepts.
        auto_length_cap: the longest `max_length` that `"auto"` picks: the
            training cost grows with the length, and beyond this the family
            gains little from more of a long text.
        cache_ids: whether training caches the tokenized ids rather than the
            texts (for models whose step costs less than tokenizing a batch).
        trim_padding: whether the backbone takes ids of any length, so that
            batches are padded only to their longest text.
        steps_per_execution: training batches per call of the compiled step
            (Keras' `compile(steps_per_execution=...)`), for models whose
            step is short next to the cost of a call from Python.
    """

    name: str
    task: str
    backbone: str
    summary: str
    recipes: Mapping[str, Mapping[str, object]]
    arguments: Callable
    tokenizers: tuple = ("char", "word")
    word_vectors: bool = False
    min_length: int = 1
    auto_length_cap: int = 1014
    cache_ids: bool = False
    trim_padding: bool = False
    steps_per_execution: int = 1

    @property
    def is_language_model(self):
        return self.task == LANGUAGE_MODEL

    @property
    def fields(self):
        """The `RECIPE_FIELDS` this family uses."""
        return tuple(self.recipes[DEFAULT_RECIPE])

    def recipe(self, name=DEFAULT_RECIPE):
        """The values of the recipe `name` (a `ConfigError` naming `recipe` if unknown)."""
        if name not in self.recipes:
            raise ConfigError(
                "recipe",
                f"expected one of {', '.join(repr(r) for r in self.recipes)} for family "
                f"{self.name!r}, got {name!r}",
            )
        return dict(self.recipes[name])

    def backbone_class(self):
        module, _, attribute = self.backbone.partition(":")
        return getattr(importlib.import_module(module), attribute)


# ------------------------------------------------------------- recipes
# The "default" recipes keep the values of the first releases (shared
# optimization settings below); change a value here to change the default.
_OPTIMIZATION = {
    "optimizer": "adam",
    "learning_rate": 0.001,
    "momentum": 0.9,
    "schedule": "none",
    "warmup_epochs": 0.0,
    "decay_rate": 0.5,
    "decay_epochs": 3.0,
    "batch_size": 128,
    "epochs": 10,
    "patience": 3,
    "monitor": "val_loss",
}

CHAR_CNN_RECIPES = {
    # Trains from a few thousand texts (the paper's recipe needs hundreds of
    # thousands): batch normalization after every convolution and a global
    # maximum over the text's positions (see `CharCNNBackbone`), 256 fully
    # connected units instead of 1024 (fewer to overfit small data), Glorot's
    # uniform initialisation, Adam 1e-3 warmed up over half an epoch and
    # decayed to 0 on a cosine over the epochs, and the length the training
    # texts need. Texts longer than 128 characters train on random
    # 128-character windows, a new one each epoch, and are predicted whole
    # (the global maximum ignores padding, so a window and a padded whole
    # text are read alike). Against overfitting, each epoch also drops 10% of
    # the input characters (`input_dropout`) and smooths the labels by 0.1:
    # on AG News's 6,080 training texts, 16 epochs of 128-character windows
    # reached 79.8% validation (91% training accuracy); with both
    # regularizers 24 epochs reached 81.9% and every one of the last four
    # stayed above 80% (88% training). On IMDB's reviews (1014 characters)
    # the whole-text model stayed at chance for its first 3 epochs, where
    # windows learned. Dropout 0.2 between the fully connected layers, not
    # the paper's 0.5: with 0.5 the second layer's units died (47% never
    # active on a validation batch) and TREC-6's short questions stayed at
    # chance for 8 epochs (78.4% test after 24); with 0.2 they learned from
    # epoch 5 (84.4%), and AG News reached 81.7% against 81.9%. With 0.2
    # AG's validation accuracy swings in the first half of the cosine, and
    # patience 5 stopped it at epoch 10 (69.4%): so patience spans the
    # epochs, and early stopping only keeps the best epoch's weights (the
    # late, decayed epochs are the best). It watches validation accuracy:
    # the validation loss rises from the epoch the training set is fitted,
    # while accuracy still improves as the rate decays. Measured in
    # bench/RESULTS.md (quality).
    "default": {
        "max_length": "auto",
        "crop_length": 128,
        "embedding_dim": None,  # None: one-hot characters, as in the paper
        "dropout": 0.2,
        "label_smoothing": 0.1,
        "model_options": {
            "normalization": "batch",
            "pooling": "global_max",
            "dense_units": 256,
            "kernel_initializer": "glorot_uniform",
            "input_dropout": 0.1,
        },
        "optimizer": "adam",
        "learning_rate": 0.001,
        "momentum": 0.9,
        "schedule": "cosine",
        "warmup_epochs": 0.5,
        "decay_rate": 0.5,
        "decay_epochs": 3.0,
        "batch_size": 64,
        "epochs": 24,
        "patience": 24,
        "monitor": "val_accuracy",
    },
    # Zhang, Zhao & LeCun (2015): SGD 0.01 with momentum 0.9, the rate halved
    # every 3 epochs, batches of 128, 1014 characters, dropout 0.5 between the
    # fully connected layers; the weights start from N(0, 0.05) (the small
    # backbone's own initialisation).
    "paper": {
        "max_length": 1014,
        "crop_length": None,
        "embedding_dim": None,
        "dropout": 0.5,
        "label_smoothing": 0.0,
        "model_options": {},
        "optimizer": "sgd",
        "learning_rate": 0.01,
        "momentum": 0.9,
        "schedule": "step",
        "warmup_epochs": 0.0,
        "decay_rate": 0.5,
        "decay_epochs": 3.0,
        "batch_size": 128,
        "epochs": 10,
        "patience": 3,
        "monitor": "val_loss",
    },
}
# The other classifiers share the optimization defaults of the first
# releases, with what every classifier gains: the length its training texts
# need, and early stopping on validation accuracy (the validation loss rises
# once the training set is fitted, while the accuracy still improves).
_CLASSIFIER_OPTIMIZATION = {**_OPTIMIZATION, "label_smoothing": 0.0, "monitor": "val_accuracy"}
# Recurrent layers learn from many small steps: batches of 32 and Adam 2e-3
# (batches of 128 leave a few thousand texts 20 steps an epoch, and an LSTM
# at chance after 6 epochs).
_RECURRENT_OPTIMIZATION = {**_CLASSIFIER_OPTIMIZATION, "batch_size": 32, "learning_rate": 0.002}
MULTI_WIDTH_CNN_RECIPES = {
    "default": {
        "max_length": "auto",
        "embedding_dim": 16,
        "dropout": 0.5,
        "model_options": {},
        **_CLASSIFIER_OPTIMIZATION,
    },
}
LSTM_RECIPES = {
    # Both directions: the backward pass ends on a text's first characters
    # (TREC-6 questions on characters: 67% after 5 epochs both ways, 30%
    # one way, which needed 10 epochs for 45%).
    "default": {
        "max_length": "auto",
        "embedding_dim": 128,
        "hidden_units": 128,
        "num_layers": 1,
        "bidirectional": True,
        "dropout": 0.5,
        "model_options": {},
        **_RECURRENT_OPTIMIZATION,
    },
}
CNN_LSTM_RECIPES = {
    "default": {
        "max_length": "auto",
        "embedding_dim": 128,
        "hidden_units": 128,
        "bidirectional": False,
        "dropout": 0.5,
        "model_options": {},
        **_RECURRENT_OPTIMIZATION,
    },
}
CHAR_GRU_RECIPES = {
    # The Tiny Shakespeare setting of bench/RESULTS.md at 256 units: windows
    # of 100 characters in batches of 32, little dropout (a character model
    # underfits long before it overfits), Adam 2e-3 decayed by 0.85 an epoch.
    "default": {
        "seq_length": 100,
        "max_length": 1014,  # the padding of a prompt in the exported generator
        "embedding_dim": 64,
        "hidden_units": 256,
        "num_layers": 2,
        "dropout": 0.1,
        "model_options": {},
        **_OPTIMIZATION,
        "learning_rate": 0.002,
        "schedule": "step",
        "decay_rate": 0.85,
        "decay_epochs": 1.0,
        "batch_size": 32,
    },
}
# fastText (Joulin et al. 2016): words and bigrams hashed into 2M buckets, the
# softmax on their mean embedding, a learning rate decaying linearly to zero.
# fastText's SGD on one example at a time becomes SparseAdam on batches here
# (a step costs the rows it touched, and Adam evens out the small gradients
# of long texts' rows); "sgd" is fastText's plain SGD, at its rate per
# example (0.02 x 256), which suits large sets of short texts such as
# SST-2's phrases. max_length is a cap, not "auto": a batch is padded only to
# its longest text, and a bag loses the words it cuts. Measurements:
# bench/RESULTS.md.
NGRAM_BAG_RECIPES = {
    "default": {
        "max_length": 2048,
        "buckets": 2_000_000,
        "word_ngrams": 2,
        "char_ngram_min": 0,
        "char_ngram_max": 0,
        "embedding_dim": 16,
        "dropout": 0.0,
        "model_options": {},
        **_CLASSIFIER_OPTIMIZATION,
        "optimizer": "sparse_adam",
        "learning_rate": 0.1,
        "momentum": 0.0,
        "schedule": "linear",
        "batch_size": 256,
        "epochs": 5,
    },
}
NGRAM_BAG_RECIPES["sgd"] = {
    **NGRAM_BAG_RECIPES["default"],
    "optimizer": "sgd",
    "learning_rate": 5.12,
    "epochs": 10,
    # Every epoch runs; the best one on the validation data is kept.
    "patience": 10,
}
# Long texts (hundreds of words): at the default rate the validation
# accuracy peaks after the first epoch and falls as the bag fits the
# training reviews; at 0.02 it improves over the 5 epochs (IMDB's 8 rating classes,
# validation accuracy 48.2% vs 46.1% at 0.1; IMDB positive/negative 91.4%
# vs 90.6%). Short texts need the default's larger steps (TREC-6 80.4% vs
# 85.1%, AG News 86.8% vs 88.5%).
NGRAM_BAG_RECIPES["long"] = {**NGRAM_BAG_RECIPES["default"], "learning_rate": 0.02}


# ------------------------------------------------ config -> constructor arguments
def _char_cnn_arguments(config):
    backbone = {"max_length": config.max_length, "size": config.size, "dropout": config.dropout}
    if config.embedding_dim is not None:
        backbone.update(input_encoding="embedding", embedding_dim=config.embedding_dim)
    # The paper's dropout sits between the backbone's fully connected layers.
    return backbone, {"dropout": 0.0}


def _multi_width_cnn_arguments(config):
    backbone = {"max_length": config.max_length, "embedding_dim": config.embedding_dim}
    return backbone, {"dropout": config.dropout}


def _lstm_arguments(config):
    backbone = {
        "max_length": config.max_length,
        "embedding_dim": config.embedding_dim,
        "hidden_units": config.hidden_units,
        "num_layers": config.num_layers,
        "bidirectional": config.bidirectional,
    }
    return backbone, {"dropout": config.dropout}


def _cnn_lstm_arguments(config):
    backbone = {
        "max_length": config.max_length,
        "embedding_dim": config.embedding_dim,
        "hidden_units": config.hidden_units,
        "variant": config.variant,
        "bidirectional": config.bidirectional,
    }
    return backbone, {"dropout": config.dropout}


def _ngram_bag_arguments(config):
    # The bag takes ids of any length (`trim_padding`); max_length caps the tokenizer's.
    backbone = {"max_length": None, "embedding_dim": config.embedding_dim}
    return backbone, {"dropout": config.dropout}


def _char_gru_arguments(config):
    backbone = {
        "embedding_dim": config.embedding_dim,
        "hidden_units": config.hidden_units,
        "num_layers": config.num_layers,
        "cell": config.cell,
        "dropout": config.dropout,
    }
    return backbone, {}


FAMILIES = {
    family.name: family
    for family in (
        Family(
            name="char_cnn",
            task=CLASSIFIER,
            backbone="tfcharnlp.models.char_cnn_backbone:CharCNNBackbone",
            summary="Zhang, Zhao & LeCun (2015) character CNN, --size small|large",
            recipes=CHAR_CNN_RECIPES,
            arguments=_char_cnn_arguments,
            tokenizers=("char",),
            # Six convolutions and three poolings leave nothing of a shorter text.
            min_length=123,
        ),
        Family(
            name="multi_width_cnn",
            task=CLASSIFIER,
            backbone="tfcharnlp.models.multi_width_cnn_backbone:MultiWidthCNNBackbone",
            summary="Kim (2014)-style convolutions of several widths, max over time",
            recipes=MULTI_WIDTH_CNN_RECIPES,
            arguments=_multi_width_cnn_arguments,
            word_vectors=True,
        ),
        Family(
            name="lstm",
            task=CLASSIFIER,
            backbone="tfcharnlp.models.lstm_backbone:LSTMBackbone",
            summary="stacked LSTM, --bidirectional",
            recipes=LSTM_RECIPES,
            arguments=_lstm_arguments,
            word_vectors=True,
        ),
        Family(
            name="cnn_lstm",
            task=CLASSIFIER,
            backbone="tfcharnlp.models.cnn_lstm_backbone:CNNLSTMBackbone",
            summary="convolution + LSTM hybrids, --variant sequential|concatenated|parallel|attention",
            recipes=CNN_LSTM_RECIPES,
            arguments=_cnn_lstm_arguments,
            word_vectors=True,
        ),
        Family(
            name="ngram_bag",
            task=CLASSIFIER,
            backbone="tfcharnlp.models.ngram_bag_backbone:NGramBagBackbone",
            summary="fastText-style mean of hashed word (and character) n-gram embeddings",
            recipes=NGRAM_BAG_RECIPES,
            arguments=_ngram_bag_arguments,
            tokenizers=("ngram",),
            cache_ids=True,
            trim_padding=True,
            # A step of the bag is ~2 ms of work: one call per step spent more
            # than half of SST-2's epoch outside it (1.6 s vs 0.6 s an epoch).
            steps_per_execution=32,
        ),
        Family(
            name="char_gru",
            task=LANGUAGE_MODEL,
            backbone="tfcharnlp.models.char_gru_backbone:CharGRUBackbone",
            summary="character language model (the generator), --cell gru|lstm",
            recipes=CHAR_GRU_RECIPES,
            arguments=_char_gru_arguments,
            tokenizers=("char",),
        ),
    )
}
FAMILY_NAMES = tuple(FAMILIES)


def get_family(name):
    """The `Family` called `name` (a `ConfigError` naming `family` if unknown)."""
    if name not in FAMILIES:
        raise ConfigError(
            "family", f"expected one of {', '.join(repr(n) for n in FAMILIES)}, got {name!r}"
        )
    return FAMILIES[name]


def family_names(task=None):
    """The family names, all or those of one task."""
    return tuple(name for name, family in FAMILIES.items() if task in (None, family.task))


def _format(value):
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def recipe_defaults(field):
    """`"char_cnn 1014, lstm 1014, ..."`: each family's default recipe value of `field`."""
    values = [
        (name, family.recipes[DEFAULT_RECIPE][field])
        for name, family in FAMILIES.items()
        if field in family.recipes[DEFAULT_RECIPE]
    ]
    distinct = {repr(value) for _, value in values}
    if len(distinct) == 1 and len(values) == len(FAMILIES):
        return f"{_format(values[0][1])} for every family"
    return ", ".join(f"{name} {_format(value)}" for name, value in values)


def _applies(field, values):
    """Whether `field` changes what a recipe trains (momentum is SGD's, decay the step schedule's)."""
    if field == "momentum":
        return values.get("optimizer") == "sgd"
    if field in ("decay_rate", "decay_epochs"):
        return values.get("schedule") == "step"
    if field == "warmup_epochs":
        return values.get("schedule") == "cosine"
    return True


def describe_recipes():
    """Every family's recipes, one line each (the epilog of `train --help`)."""
    lines = []
    for name, family in FAMILIES.items():
        for recipe_name, values in family.recipes.items():
            settings = " ".join(
                f"{field}={_format(values[field])}"
                for field in RECIPE_FIELDS
                if field in values and values[field] != {} and _applies(field, values)
            )
            lines.append(f"  {name} --recipe {recipe_name}: {settings}")
    return "\n".join(lines)
