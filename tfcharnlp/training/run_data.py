"""The data of a run, read and prepared once: what `train()` and every tuning trial fit on.

`read_classifier_data(config, strategy)` and `read_language_model_data(config,
strategy)` read the configured sources, build the preprocessor, and return
batched `tf.data` pipelines of ids (global batches for the strategy's
replicas) with the `ModelInputs` a model is built from. Reader errors are
renamed after the config field they came from (`data.label_column`,
`test_data.path`, ...), so every data problem names what to change.
"""

import dataclasses
import logging
import math
from typing import Optional

from tfcharnlp.errors import ConfigError, DataError, OfflineError
from tfcharnlp.training import devices
from tfcharnlp.training.class_weights import class_weight_dict
from tfcharnlp.training.model_setup import ModelInputs
from tfcharnlp.training.train_config import PRESET_KEYS

logger = logging.getLogger(__name__)


def data_config(options, field="data", **overrides):
    """The `DataConfig` of a `TrainConfig.data` mapping (a preset or explicit fields)."""
    from tfcharnlp.data.config import DataConfig
    from tfcharnlp.data.presets import preset

    options = {key: value for key, value in options.items() if value is not None}
    options.update(overrides)
    try:
        if options.get("preset"):
            rest = {key: value for key, value in options.items() if key not in PRESET_KEYS}
            return preset(
                options["preset"],
                split=options.get("split"),
                data_dir=options.get("data_dir"),
                **rest,
            )
        return DataConfig(**{k: v for k, v in options.items() if k not in PRESET_KEYS})
    except ConfigError as error:
        raise error.renamed(f"{field}.{error.field}") from error


def _load(read, source, field):
    """`read(source)`, with reader errors renamed after the config field they came from.

    A bad column becomes `data.label_column`; an unreadable or empty source
    (a `DataError`) becomes `data.path`.
    """
    try:
        return read(source)
    except OfflineError:
        raise
    except ConfigError as error:
        if error.field.startswith(field):
            raise
        raise error.renamed(f"{field}.{error.field}") from error
    except DataError as error:
        raise ConfigError(f"{field}.path", str(error)) from error


def shuffle_buffer_size(config, train_size):
    """The configured shuffle buffer, or the whole training set.

    Files are often sorted by label (IMDB's train.csv holds 12,500 negative
    reviews, then 12,500 positive ones): a buffer smaller than the data then
    yields single-class batches, and the model learns the order instead of
    the text. The examples are in memory already, so a full buffer is cheap.
    """
    return max(1, config.shuffle_buffer or train_size)


def _batching(config, strategy):
    """`(global batch size, drop_remainder)` of the training batches under `strategy`."""
    strategy = strategy or devices.distribution_strategy()
    batch = devices.global_batch_size(config.batch_size, strategy, config.batch_per_replica)
    if batch < strategy.num_replicas_in_sync:
        raise ConfigError(
            "batch_size",
            f"a global batch of {batch} cannot feed {strategy.num_replicas_in_sync} replicas",
        )
    return batch, devices.drops_remainder(strategy)


def _steps(config, examples, batch, drop_remainder, field):
    """Batches per epoch: the configured cap, else the whole data (full batches only if dropped)."""
    full = examples // batch if drop_remainder else math.ceil(examples / batch)
    if full == 0:
        raise ConfigError(
            field, f"{examples} training examples do not fill one global batch of {batch}"
        )
    return config.steps_per_epoch or full


# --------------------------------------------------------------- classifier
@dataclasses.dataclass
class ClassifierData:
    """What a classifier run fits and evaluates on.

    Args:
        config: the run's config, its `max_length` resolved (`resolve_auto_length`).
        train: `(ids, label)` global batches, shuffled every epoch.
        validation: `(ids, label)` batches for early stopping, or None.
        evaluation: `(ids, label)` batches of the report's split.
        split: the report's split: "test", "dev" or "validation".
        preprocessor: raw strings -> ids (exported with the model).
        label_vocabulary: the `LabelVocabulary` (class id = index).
        class_weight: Keras `class_weight`, or None.
        inputs: the `ModelInputs` a model is built from.
        global_batch_size: examples per training step, over all replicas.
        data_configs: role ("train", "dev", "test") -> `DataConfig`.
        word_vectors_coverage: {"found", "total", "share"} of the vocabulary
            the pre-trained word vectors covered, or None without vectors.
    """

    config: object
    train: object
    validation: Optional[object]
    evaluation: object
    split: str
    preprocessor: object
    label_vocabulary: object
    class_weight: Optional[dict]
    inputs: ModelInputs
    global_batch_size: int
    data_configs: dict
    train_size: int
    validation_size: int
    word_vectors_coverage: Optional[dict] = None


def _held_out(options, field, vocabulary):
    """A test or dev file, read with the training labels: (`LoadedDataset`, `DataConfig`).

    All its rows are in `.train`; rows with labels unseen in training are
    skipped and counted in its report.
    """
    from tfcharnlp.data.dataset import load_dataset

    source = data_config(options, field, labels=tuple(vocabulary.labels), validation_split=0.0)
    held_out = _load(load_dataset, source, field)
    logger.info("%s: %s", field, held_out.report.summary())
    return held_out, source


def _read_labeled(config):
    """`(loaded, validation, validation_size, evaluation, split, data_configs)` of a classifier."""
    from tfcharnlp.data.dataset import load_dataset

    # A dev file replaces the validation split: every training row trains.
    source = data_config(config.data, **({"validation_split": 0.0} if config.dev_data else {}))
    loaded = _load(load_dataset, source, "data")
    if loaded.label_vocabulary is None:
        raise ConfigError("data.label_column", "the data has no labels; a classifier needs them")
    if loaded.train_size == 0:
        raise ConfigError(
            "data.validation_split", "no training examples left after the validation split"
        )
    vocabulary = loaded.label_vocabulary
    logger.info("%s", loaded.summary())
    if config.num_classes is not None and len(vocabulary) != config.num_classes:
        # Fewer labels than classes is as suspicious as more (a wrong column, a slice missing
        # a class); a fixed `data.labels` list pins the vocabulary when that is intended.
        raise ConfigError(
            "num_classes",
            f"num_classes={config.num_classes} but the data has {len(vocabulary)} labels "
            f"{list(vocabulary.labels)[:20]}; fix num_classes or list the labels in data.labels",
        )
    if len(vocabulary) < 2:
        raise ConfigError("data.label_column", f"needs at least 2 labels, found {list(vocabulary)}")
    validation, validation_size = loaded.validation, loaded.validation_size
    data_configs = {"train": source}
    if config.dev_data:
        dev, data_configs["dev"] = _held_out(config.dev_data, "dev_data", vocabulary)
        validation, validation_size = dev.train, dev.train_size
        if validation_size == 0:
            raise ConfigError("dev_data", "no examples with a known label in the dev data")
    if config.test_data:
        test, data_configs["test"] = _held_out(config.test_data, "test_data", vocabulary)
        return loaded, validation, validation_size, test.train, "test", data_configs
    if validation_size == 0:
        raise ConfigError(
            "data.validation_split", "no held-out examples: set validation_split or test_data"
        )
    split = "dev" if config.dev_data else "validation"
    return loaded, validation, validation_size, validation, split, data_configs


def _pretrained_embedding(config, preprocessor):
    """`(matrix, coverage)`: the `[vocabulary, width]` matrix of `config.word_vectors` and the
    {"found", "total", "share"} of the vocabulary it covered; `(None, None)` without vectors."""
    if config.word_vectors is None:
        return None, None
    from tfcharnlp.models.word_vectors import load_word_vectors

    matrix, coverage = load_word_vectors(
        config.word_vectors, preprocessor.tokenizer.vocabulary, return_coverage=True
    )
    if config.embedding_dim is not None and config.embedding_dim != matrix.shape[1]:
        raise ConfigError(
            "embedding_dim",
            f"{config.embedding_dim} differs from the {matrix.shape[1]}-dimensional vectors in "
            f"{config.word_vectors}; leave it unset to take the vectors' size",
        )
    share = round(coverage.fraction, 4)
    return matrix, {"found": coverage.found, "total": coverage.total, "share": share}


def resolve_auto_length(config, train_texts):
    """`config` with `max_length="auto"` replaced by a length measured on `train_texts`.

    The training texts' `SUGGESTED_PERCENTILE`th percentile length, in
    characters or in whitespace-separated words by the tokenizer (the same
    figure `tfcharnlp data` suggests), rounded up and kept within the
    family's `[min_length, auto_length_cap]`. Measured on the raw texts, before
    normalization, so it approximates what the tokenizer sees.
    """
    from tfcharnlp.data.text_statistics import (
        AUTO_LENGTH,
        SUGGESTED_PERCENTILE,
        LengthStatistics,
        percentile,
    )

    if config.max_length != AUTO_LENGTH:
        return config
    texts = [text.decode("utf-8", errors="replace") for text in train_texts.as_numpy_iterator()]
    unit = "characters" if config.tokenizer == "char" else "words"
    family = config.family_spec
    lengths = LengthStatistics.of(texts, unit)
    length = lengths.suggested_max_length(low=family.min_length, high=family.auto_length_cap)
    logger.info(
        "max_length auto: %d %s (the %dth percentile of %d training texts is %d; "
        "family %s keeps it within [%d, %d])",
        length, unit, SUGGESTED_PERCENTILE, len(texts),
        percentile(lengths.lengths, SUGGESTED_PERCENTILE),
        config.family, family.min_length, family.auto_length_cap,
    )  # fmt: skip
    return config.replace(max_length=length)


def _crop_length(config):
    """The training windows' width, or None where they would not be shorter than the texts."""
    if config.crop_length is None or config.crop_length >= config.max_length:
        return None
    return config.crop_length


def read_classifier_data(config, strategy=None):
    """The `ClassifierData` of a resolved classifier `config` (batched for `strategy`)."""
    import numpy as np

    from tfcharnlp.preprocessing import make_pipeline
    from tfcharnlp.preprocessing.preprocessor_factory import build_preprocessor

    loaded, validation, validation_size, evaluation, split, data_configs = _read_labeled(config)
    config = resolve_auto_length(config, loaded.train.map(lambda text, label: text))
    vocabulary = loaded.label_vocabulary
    preprocessor = build_preprocessor(config, loaded.train.map(lambda text, label: text))
    batch, drop_remainder = _batching(config, strategy)
    steps = _steps(config, loaded.train_size, batch, drop_remainder, "batch_size")
    train = make_pipeline(
        loaded.train,
        preprocessor,
        batch,
        shuffle_buffer=shuffle_buffer_size(config, loaded.train_size),
        cache=config.cache,
        seed=config.seed,
        drop_remainder=drop_remainder,
        # Tokenized once, reshuffled each epoch, where a step costs less than tokenizing.
        cache_ids=config.cache and config.family_spec.cache_ids,
        trim_padding=config.family_spec.trim_padding,
        crop_length=_crop_length(config),
    )
    validation_ds = None
    if validation_size:
        validation_ds = make_pipeline(
            validation,
            preprocessor,
            batch,
            cache=config.cache,
            trim_padding=config.family_spec.trim_padding,
        )
    train_labels = None
    if config.class_weights == "balanced":
        train_labels = np.array([int(label) for _, label in loaded.train.as_numpy_iterator()])
    embedding_matrix, coverage = _pretrained_embedding(config, preprocessor)
    inputs = ModelInputs(
        vocabulary_size=preprocessor.tokenizer.vocabulary_size,
        num_classes=len(vocabulary),
        preprocessor=preprocessor,
        steps_per_epoch=steps,
        embedding_matrix=embedding_matrix,
    )
    return ClassifierData(
        config=config,
        train=train,
        validation=validation_ds,
        evaluation=make_pipeline(
            evaluation, preprocessor, batch, trim_padding=config.family_spec.trim_padding
        ),
        split=split,
        preprocessor=preprocessor,
        label_vocabulary=vocabulary,
        class_weight=class_weight_dict(config, vocabulary, train_labels),
        inputs=inputs,
        global_batch_size=batch,
        data_configs=data_configs,
        train_size=loaded.train_size,
        validation_size=validation_size,
        word_vectors_coverage=coverage,
    )


# ----------------------------------------------------------- language model
@dataclasses.dataclass
class LanguageModelData:
    """What a language-model run fits on: next-character windows of one text.

    Args:
        config: the run's config.
        train, validation: `(inputs, targets)` window batches (the training
            ones shuffled, full global batches only).
        preprocessor: the prompt preprocessor the exported model carries.
        window_tokenizer: the tokenizer the windows were cut with.
        train_characters, validation_characters: sizes of the two parts.
        inputs: the `ModelInputs` a model is built from.
        global_batch_size: windows per training step, over all replicas.
        data_configs: {"train": DataConfig}.
    """

    config: object
    train: object
    validation: object
    preprocessor: object
    window_tokenizer: object
    train_characters: int
    validation_characters: int
    inputs: ModelInputs
    global_batch_size: int
    data_configs: dict


def read_language_model_data(config, strategy=None):
    """The `LanguageModelData` of a resolved language-model `config`.

    The last `validation_split` of the text is held out (as char-rnn does).
    """
    from tfcharnlp.data.read_examples import read_examples
    from tfcharnlp.data.split import split_text
    from tfcharnlp.preprocessing import language_model_windows
    from tfcharnlp.preprocessing.preprocessor_factory import language_model_tokenizers

    source = data_config(config.data, label_column=None)
    result = _load(read_examples, source, "data")
    if not source.validation_split:
        raise ConfigError(
            "data.validation_split", "a language model needs a held-out tail of the text (> 0)"
        )
    train_text, validation_text = split_text("".join(result.texts), source.validation_split)
    if len(train_text) <= config.seq_length or len(validation_text) <= config.seq_length:
        raise ConfigError(
            "seq_length",
            f"{config.seq_length} is too long for the text ({len(train_text)} training and "
            f"{len(validation_text)} held-out characters): both need more than one window",
        )
    window_tokenizer, preprocessor = language_model_tokenizers(train_text, config.max_length)
    batch, _ = _batching(config, strategy)

    def windows(part, shuffle):
        dataset = language_model_windows(part, window_tokenizer, seq_length=config.seq_length)
        if shuffle:
            buffer = shuffle_buffer_size(config, int(dataset.cardinality()))
            dataset = dataset.shuffle(buffer, seed=config.seed)
        # Training batches keep one shape; every held-out window counts in the validation loss.
        return dataset.batch(batch, drop_remainder=shuffle).prefetch(2)

    steps = _steps(config, len(train_text) // config.seq_length, batch, True, "batch_size")
    return LanguageModelData(
        config=config,
        train=windows(train_text, True),
        validation=windows(validation_text, False),
        preprocessor=preprocessor,
        window_tokenizer=window_tokenizer,
        train_characters=len(train_text),
        validation_characters=len(validation_text),
        inputs=ModelInputs(
            vocabulary_size=window_tokenizer.vocabulary_size,
            preprocessor=preprocessor,
            steps_per_epoch=steps,
        ),
        global_batch_size=batch,
        data_configs={"train": source},
    )
