"""`TrainConfig`: every setting of one training run, from a file and flags.

A run is described by one JSON or YAML file whose keys are the fields below;
command-line flags override single fields. Validation fails fast with a
`ConfigError` naming the field, before any data is read or model built.
"""

import dataclasses
import json
import math
import pathlib
from typing import Any, Optional, Union

from tfcharnlp.alphabets import describe_alphabets
from tfcharnlp.char_modes import CHAR_MODE_HELP, CHAR_MODES
from tfcharnlp.data.config import DataConfig
from tfcharnlp.errors import ConfigError

CLASSIFIER_FAMILIES = ("char_cnn", "multi_width_cnn", "lstm", "cnn_lstm")
LANGUAGE_MODEL_FAMILIES = ("char_gru",)
FAMILIES = CLASSIFIER_FAMILIES + LANGUAGE_MODEL_FAMILIES
TOKENIZERS = ("char", "word")
NORMALIZE_STEPS = (
    "lower",
    "nfkc",
    "remove_urls",
    "remove_hashtags",
    "remove_mentions",
    "strip_html",
)
WORD_SPLITS = ("whitespace", "unicode_script")
WORD_VECTOR_FAMILIES = ("multi_width_cnn", "lstm", "cnn_lstm")
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("none", "step", "cyclic", "cosine")
CYCLIC_MODES = ("triangular", "triangular2")
LOSSES = ("cross_entropy", "focal")
CLASS_WEIGHT_MODES = ("none", "balanced")
PRECISIONS = ("auto", "float32", "mixed_float16")
JIT_COMPILE = ("auto", "on", "off")
CNN_LSTM_VARIANTS = ("sequential", "concatenated", "parallel", "attention")
CELLS = ("gru", "lstm")
# The data sub-mapping: `DataConfig` fields, or a shared-data preset with its split.
PRESET_KEYS = ("preset", "split", "data_dir")
DATA_KEYS = tuple(field.name for field in dataclasses.fields(DataConfig)) + PRESET_KEYS


def _field(default, help, choices=None, **kwargs):
    """A dataclass field carrying its flag help (and choices) as metadata."""
    metadata = {"help": help, "choices": choices}
    if isinstance(default, (list, dict)):
        return dataclasses.field(
            default_factory=lambda d=default: type(d)(d), metadata=metadata, **kwargs
        )
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


@dataclasses.dataclass
class TrainConfig:
    """Settings of one `tfcharnlp train` run.

    Load with `TrainConfig.from_file(path)` (JSON or YAML) or
    `TrainConfig.from_dict(d)`; both reject unknown keys and call `validate()`.
    The names follow the popular char-CNN trainer where one exists
    (`max_length`, `extra_characters`, `batch_size`, `patience`, ...).

    Example:

    ```python
    config = TrainConfig.from_dict(
        {"data": {"preset": "trec"}, "family": "char_cnn", "epochs": 2}
    )
    config.model_dir  # models/char_cnn
    ```
    """

    # Data: the keys of `tfcharnlp.data.DataConfig` (plus `preset` / `split`).
    data: dict = _field({}, "data options (DataConfig fields, or a preset name)")
    test_data: Optional[dict] = _field(
        None, "held-out test data (same keys as data); default: the validation split"
    )
    dev_data: Optional[dict] = _field(
        None,
        "development data for early stopping and checkpoints (same keys as data), "
        "instead of data.validation_split",
    )
    # Preprocessing.
    tokenizer: str = _field("char", "character or word tokens", TOKENIZERS)
    normalize: list = _field(["lower"], "normalization steps, in order", NORMALIZE_STEPS)
    alphabet: Optional[str] = _field(
        None, f"the alphabet's characters, or a named alphabet: {describe_alphabets()}"
    )
    extra_characters: str = _field("", "characters added to the alphabet (e.g. accents)")
    char_mode: str = _field("alphabet", CHAR_MODE_HELP, CHAR_MODES)
    max_length: int = _field(1014, "characters (or words) per text, truncated or padded")
    reverse: bool = _field(False, "reverse the character order (Zhang et al.'s quantization)")
    max_tokens: int = _field(20000, "word vocabulary size (word tokenizer)")
    word_split: str = _field(
        "whitespace",
        "word tokenizer: split at whitespace, or also where the Unicode script changes "
        "(punctuation becomes its own token)",
        WORD_SPLITS,
    )
    word_vectors: Optional[str] = _field(
        None, "pre-trained word vectors (GloVe / word2vec text file) to start the embedding from"
    )
    freeze_embedding: bool = _field(False, "keep the pre-trained word vectors fixed (Kim's static)")
    num_classes: Optional[int] = _field(
        None, "number of classes (inferred from the data when absent)"
    )
    # Model.
    family: str = _field("char_cnn", "model family", FAMILIES)
    size: str = _field("small", "CharCNN size", ("small", "large"))
    variant: str = _field("sequential", "CNN-LSTM hybrid variant", CNN_LSTM_VARIANTS)
    embedding_dim: Optional[int] = _field(None, "embedding width (None: the family's default)")
    hidden_units: Optional[int] = _field(None, "LSTM/GRU units (None: the family's default)")
    num_layers: Optional[int] = _field(
        None, "stacked recurrent layers (None: the family's default)"
    )
    bidirectional: bool = _field(False, "bidirectional LSTM")
    cell: str = _field("gru", "recurrent cell of the language model", CELLS)
    dropout: float = _field(0.5, "dropout rate")
    model_options: dict = _field({}, "extra backbone constructor arguments")
    # Optimization.
    epochs: int = _field(10, "training epochs")
    batch_size: int = _field(128, "examples per batch")
    steps_per_epoch: Optional[int] = _field(None, "cap on batches per epoch (None: whole data)")
    optimizer: str = _field("adam", "optimizer", OPTIMIZERS)
    learning_rate: float = _field(0.001, "initial learning rate")
    momentum: float = _field(0.9, "SGD momentum")
    clipnorm: Optional[float] = _field(None, "gradient norm clipping")
    schedule: str = _field("none", "learning-rate schedule", SCHEDULES)
    decay_rate: float = _field(0.5, "step decay: factor per drop")
    decay_epochs: float = _field(3.0, "step decay: epochs between drops")
    min_learning_rate: float = _field(0.0, "floor of the step and cosine schedules")
    max_learning_rate: float = _field(0.01, "cyclic: peak learning rate")
    cycle_epochs: float = _field(2.0, "cyclic: epochs per half cycle (step size)")
    cyclic_mode: str = _field("triangular", "cyclic: amplitude policy", CYCLIC_MODES)
    # Loss and imbalance.
    loss: str = _field("cross_entropy", "classification loss", LOSSES)
    focal_gamma: float = _field(2.0, "focal loss gamma")
    label_smoothing: float = _field(0.0, "label smoothing")
    class_weights: Union[str, list, dict] = _field(
        "none", "'none', 'balanced', or a weight per class (list or {label: weight})"
    )
    # Callbacks and outputs.
    patience: int = _field(3, "early-stopping patience in epochs (0: off)")
    monitor: str = _field("val_loss", "metric watched by early stopping and checkpointing")
    checkpoint: bool = _field(True, "keep the best model (by `monitor`) in checkpoints/")
    backup: bool = _field(True, "back up every epoch so a killed run resumes (BackupAndRestore)")
    output_dir: str = _field("models", "folder holding trained model folders")
    model_name: Optional[str] = _field(None, "model folder name (default: the family)")
    log_dir: Optional[str] = _field(None, "TensorBoard log folder (default: <model folder>/logs)")
    seed: int = _field(1337, "random seed")
    shuffle_buffer: Optional[int] = _field(
        None, "shuffle buffer in examples (None: the whole training set, for files sorted by label)"
    )
    cache: bool = _field(True, "cache the tokenized training set in memory")
    # Devices.
    precision: str = _field(
        "auto", "float32, mixed_float16, or auto (mixed only on GPU)", PRECISIONS
    )
    jit_compile: str = _field("off", "XLA compilation", JIT_COMPILE)
    # Language model (char_gru).
    seq_length: int = _field(100, "language model: characters per training window")
    sample_length: int = _field(300, "language model: characters generated for the report")
    sample_prompt: str = _field("\n", "language model: prompt of the report's sample")
    temperature: float = _field(0.8, "language model: sampling temperature of the report's sample")
    # Export.
    export: bool = _field(False, "export a SavedModel version after training")
    export_base: Optional[str] = _field(None, "model repository base (default: 'models')")

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_dict(cls, values, validate=True):
        """Builds a config from a mapping; unknown keys are a `ConfigError`."""
        if not isinstance(values, dict):
            raise ConfigError(
                "config", f"expected a mapping of fields, got {type(values).__name__}"
            )
        known = {f.name for f in dataclasses.fields(cls)}
        for key in values:
            if key not in known:
                raise ConfigError(key, f"unknown field; known fields: {', '.join(sorted(known))}")
        config = cls(**values)
        if validate:
            config.validate()
        return config

    @classmethod
    def from_file(cls, path, validate=True):
        """Reads a JSON (`.json`) or YAML (`.yaml`, `.yml`) config file."""
        path = pathlib.Path(path)
        if not path.is_file():
            raise ConfigError("config", f"file not found: {path}")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                values = yaml.safe_load(text) or {}
            else:
                values = json.loads(text)
        except Exception as error:  # Parser errors differ by format; report both the same way.
            raise ConfigError("config", f"cannot parse {path}: {error}") from error
        return cls.from_dict(values, validate=validate)

    def replace(self, validate=True, **overrides):
        """A copy with some fields changed (how flags override a file)."""
        return self.from_dict({**self.to_dict(), **overrides}, validate=validate)

    def to_dict(self):
        return dataclasses.asdict(self)

    def save(self, path):
        pathlib.Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    # -------------------------------------------------------------- derived
    @property
    def is_language_model(self):
        return self.family in LANGUAGE_MODEL_FAMILIES

    @property
    def model_dir(self):
        return pathlib.Path(self.output_dir) / (self.model_name or self.family)

    # ------------------------------------------------------------ validation
    def validate(self):
        """Checks every field; raises `ConfigError(field, message)` on the first bad one."""
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices and field.name != "normalize" and value not in choices:
                raise ConfigError(
                    field.name, f"unknown value {value!r}; choose one of {', '.join(choices)}"
                )
        if not isinstance(self.normalize, (list, tuple)):
            raise ConfigError("normalize", f"expected a list of steps, got {self.normalize!r}")
        for step in self.normalize:
            if step not in NORMALIZE_STEPS:
                raise ConfigError(
                    "normalize", f"unknown step {step!r}; choose from {', '.join(NORMALIZE_STEPS)}"
                )
        if self.word_vectors is not None and (
            self.tokenizer != "word" or self.family not in WORD_VECTOR_FAMILIES
        ):
            raise ConfigError(
                "word_vectors",
                "pre-trained word vectors need tokenizer 'word' and a family with a word "
                f"embedding ({', '.join(WORD_VECTOR_FAMILIES)}); "
                f"got tokenizer {self.tokenizer!r}, family {self.family!r}",
            )
        self._validate_data("data", self.data, required=True)
        if self.test_data is not None:
            self._validate_data("test_data", self.test_data, required=True)
        if self.dev_data is not None:
            self._validate_data("dev_data", self.dev_data, required=True)
            if self.data.get("validation_split"):
                raise ConfigError(
                    "dev_data",
                    "give either dev_data or data.validation_split, not both "
                    "(dev_data replaces the validation split)",
                )
        for name in ("max_length", "epochs", "batch_size", "max_tokens", "seq_length"):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("patience", self.patience, minimum=0)
        _check_int("seed", self.seed, minimum=0)
        _check_int("sample_length", self.sample_length, minimum=0)
        for name in (
            "num_classes",
            "steps_per_epoch",
            "embedding_dim",
            "hidden_units",
            "num_layers",
            "shuffle_buffer",
        ):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), minimum=2 if name == "num_classes" else 1)
        for name in ("learning_rate", "max_learning_rate", "decay_epochs", "cycle_epochs"):
            _check_number(name, getattr(self, name), low=0.0, low_inclusive=False)
        for name in ("decay_rate", "focal_gamma", "temperature"):
            _check_number(name, getattr(self, name), low=0.0, low_inclusive=False)
        _check_number("min_learning_rate", self.min_learning_rate, low=0.0)
        _check_number("momentum", self.momentum, low=0.0, high=1.0, high_inclusive=False)
        _check_number("dropout", self.dropout, low=0.0, high=1.0, high_inclusive=False)
        _check_number(
            "label_smoothing", self.label_smoothing, low=0.0, high=1.0, high_inclusive=False
        )
        if self.clipnorm is not None:
            _check_number("clipnorm", self.clipnorm, low=0.0, low_inclusive=False)
        if self.schedule == "cyclic" and self.max_learning_rate <= self.learning_rate:
            raise ConfigError(
                "max_learning_rate",
                f"must exceed learning_rate ({self.learning_rate}) for the cyclic schedule, "
                f"got {self.max_learning_rate}",
            )
        if self.min_learning_rate > self.learning_rate:
            raise ConfigError(
                "min_learning_rate",
                f"must not exceed learning_rate ({self.learning_rate}), got {self.min_learning_rate}",
            )
        self._validate_class_weights()
        if not isinstance(self.model_options, dict):
            raise ConfigError("model_options", f"expected a mapping, got {self.model_options!r}")
        if self.alphabet is not None and not (isinstance(self.alphabet, str) and self.alphabet):
            raise ConfigError("alphabet", "expected a non-empty string of characters")
        if not isinstance(self.extra_characters, str):
            raise ConfigError("extra_characters", "expected a string of characters")
        if self.model_name is not None and (
            not self.model_name or "/" in self.model_name or self.model_name in (".", "..")
        ):
            raise ConfigError(
                "model_name", f"expected a plain folder name, got {self.model_name!r}"
            )
        if self.is_language_model and self.tokenizer != "char":
            raise ConfigError("tokenizer", "the char_gru language model needs tokenizer 'char'")
        if self.tokenizer == "word" and self.family == "char_cnn":
            raise ConfigError("tokenizer", "char_cnn reads characters; use tokenizer 'char'")
        return self

    def _validate_data(self, name, data, required):
        if not isinstance(data, dict):
            raise ConfigError(name, f"expected a mapping of data options, got {data!r}")
        for key in data:
            if key not in DATA_KEYS:
                raise ConfigError(
                    f"{name}.{key}", f"unknown data option; known: {', '.join(DATA_KEYS)}"
                )
        if required and not (data.get("path") or data.get("preset")):
            raise ConfigError(
                f"{name}.path", "no data given: set a path (--data) or a preset (--preset)"
            )
        if data.get("max_rows") is not None:
            _check_int(f"{name}.max_rows", data["max_rows"], minimum=1)
        if data.get("validation_split") is not None:
            _check_number(
                f"{name}.validation_split", data["validation_split"], low=0.0, high=1.0,
                high_inclusive=False,
            )  # fmt: skip

    def _validate_class_weights(self):
        weights = self.class_weights
        if isinstance(weights, str):
            if weights not in CLASS_WEIGHT_MODES:
                raise ConfigError(
                    "class_weights",
                    f"unknown value {weights!r}; use 'none', 'balanced', a list or a mapping",
                )
            return
        values = weights.values() if isinstance(weights, dict) else weights
        if not isinstance(weights, (list, dict)):
            raise ConfigError("class_weights", f"expected a list or mapping, got {weights!r}")
        for value in values:
            _check_number("class_weights", value, low=0.0, low_inclusive=False)
        if isinstance(weights, list) and self.num_classes and len(weights) != self.num_classes:
            raise ConfigError(
                "class_weights",
                f"{len(weights)} weights given for num_classes={self.num_classes}",
            )


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"expected an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(name, f"must be >= {minimum}, got {value}")


def _check_number(name, value, low=None, high=None, low_inclusive=True, high_inclusive=True):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(name, f"expected a number, got {value!r}")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        bound = ">=" if low_inclusive else ">"
        raise ConfigError(name, f"must be {bound} {low}, got {value}")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        bound = "<=" if high_inclusive else "<"
        raise ConfigError(name, f"must be {bound} {high}, got {value}")


def field_help(name) -> Any:
    """The help text and choices of a field (used to build the flags)."""
    field = {f.name: f for f in dataclasses.fields(TrainConfig)}[name]
    return field.metadata["help"], field.metadata.get("choices")
