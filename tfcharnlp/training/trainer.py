"""`train(config) -> TrainResult`: the whole `tfcharnlp train` workflow.

read data -> preprocessor (char or word) -> model -> compile -> fit on
tf.data pipelines -> evaluate on the held-out split -> report -> save the
model folder -> (optionally) export a SavedModel version.

The model folder `<output_dir>/<model_name>/` holds:

    model.keras               the trained model (with its preprocessor)
    label_vocabulary.txt      one label per line, line k = class id k
    train_config.json         the TrainConfig of the run (+ resolved data configs)
    history.csv               one row per epoch (Keras CSVLogger)
    report.txt/.json/.md      held-out evaluation (classifier) or language-model report
    confusion_matrix.png      (classifier)
    training_curves.png       loss / metrics per epoch
    sample.txt                generated text (language model)
    checkpoints/best.keras    best model by `monitor`
    logs/                     TensorBoard
    backup/                   only while a run is unfinished (BackupAndRestore)
"""

import dataclasses
import json
import logging
import math
import pathlib
from typing import Optional

from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.training import callbacks as callbacks_lib
from tfcharnlp.training import devices
from tfcharnlp.training.evaluation_report import (
    REPORT_JSON,
    REPORT_MARKDOWN,
    REPORT_TEXT,
    TRAINING_CURVES_PNG,
    EvaluationReport,
    plot_training_curves,
    read_history_csv,
)
from tfcharnlp.training.optimizers import make_optimizer
from tfcharnlp.training.train_config import PRESET_KEYS, TrainConfig

logger = logging.getLogger(__name__)

MODEL_FILE = "model.keras"
LABEL_VOCABULARY_FILE = "label_vocabulary.txt"
TRAIN_CONFIG_FILE = "train_config.json"
SAMPLE_FILE = "sample.txt"


@dataclasses.dataclass
class TrainResult:
    """What `train` returns.

    Args:
        model_dir: the model folder.
        model: the trained Keras model.
        history: {metric: [value per epoch]} over the whole run (resumed runs included).
        metrics: the headline numbers: accuracy and macro_f1 (classifier) or
            validation loss in nats/char, bits/char and perplexity (language model).
        report: the `EvaluationReport` (classifier), else None.
        label_vocabulary: the `LabelVocabulary` (classifier), else None.
        sample: generated text (language model), else None.
        export_path: the exported SavedModel version folder, or None.
        initial_epoch: the epoch the run started at (> 0 when resumed from a backup).
    """

    model_dir: pathlib.Path
    model: object
    history: dict
    metrics: dict
    report: Optional[EvaluationReport] = None
    label_vocabulary: object = None
    sample: Optional[str] = None
    export_path: Optional[pathlib.Path] = None
    initial_epoch: int = 0


# --------------------------------------------------------------------- data
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
        raise ConfigError(f"{field}.{error.field}", str(error).split(": ", 1)[-1]) from error


@dataclasses.dataclass
class _LabeledData:
    """The datasets of a classifier run (`loaded` holds train and the label vocabulary)."""

    loaded: object
    validation: object
    validation_size: int
    evaluation: object
    split: str
    data_configs: dict  # role ("train", "dev", "test") -> DataConfig


def _read_labeled(config):
    """Train / validation / test datasets and the label vocabulary of a classifier run."""
    from tfcharnlp.data.dataset import load_dataset

    # A dev file replaces the validation split: every training row trains.
    train_config = data_config(
        config.data, **({"validation_split": 0.0} if config.dev_data else {})
    )
    loaded = _load(load_dataset, train_config, "data")
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
    data_configs = {"train": train_config}
    if config.dev_data:
        dev, data_configs["dev"] = _held_out(config.dev_data, "dev_data", vocabulary)
        validation, validation_size = dev.train, dev.train_size
        if validation_size == 0:
            raise ConfigError("dev_data", "no examples with a known label in the dev data")
    if config.test_data:
        test, data_configs["test"] = _held_out(config.test_data, "test_data", vocabulary)
        return _LabeledData(loaded, validation, validation_size, test.train, "test", data_configs)
    if validation_size == 0:
        raise ConfigError(
            "data.validation_split", "no held-out examples: set validation_split or test_data"
        )
    split = "dev" if config.dev_data else "validation"
    return _LabeledData(loaded, validation, validation_size, validation, split, data_configs)


def _held_out(options, field, vocabulary):
    """A test or dev file, read with the training labels: (`LoadedDataset`, `DataConfig`).

    All its rows are in `.train`; rows with labels unseen in training are
    skipped and counted in its report.
    """
    from tfcharnlp.data.dataset import load_dataset

    held_out_config = data_config(
        options, field, labels=tuple(vocabulary.labels), validation_split=0.0
    )
    held_out = _load(load_dataset, held_out_config, field)
    logger.info("%s: %s", field, held_out.report.summary())
    return held_out, held_out_config


def _load(read, data_config, field):
    """`read(data_config)`, with reader errors renamed after the config field they came from.

    A bad column becomes `data.label_column`; an unreadable or empty source
    (a `DataError`) becomes `data.path`, so every data problem names its field.
    """
    from tfcharnlp.errors import OfflineError

    try:
        return read(data_config)
    except OfflineError:
        raise
    except ConfigError as error:
        if error.field.startswith(field):
            raise
        raise ConfigError(f"{field}.{error.field}", str(error).split(": ", 1)[-1]) from error
    except DataError as error:
        raise ConfigError(f"{field}.path", str(error)) from error


# ------------------------------------------------------------ preprocessing
def build_preprocessor(config, train_texts=None):
    """The `TextPreprocessor` (normalizer + char or word tokenizer) of a classifier run."""
    from tfcharnlp.preprocessing import (
        CharTokenizer,
        TextNormalizer,
        TextPreprocessor,
        WordTokenizer,
    )

    normalizer = TextNormalizer(steps=tuple(config.normalize)) if config.normalize else None
    if config.tokenizer == "word":
        tokenizer = WordTokenizer(
            max_tokens=config.max_tokens, max_length=config.max_length, split=config.word_split
        )
        if train_texts is None:
            raise ValueError("a word tokenizer needs the training texts to adapt its vocabulary")
        texts = train_texts.map(normalizer) if normalizer is not None else train_texts
        tokenizer.adapt(texts)
    else:
        kwargs = {}
        if config.alphabet is not None:
            kwargs["alphabet"] = config.alphabet
        if config.char_mode == "alphabet":
            kwargs["extra_characters"] = config.extra_characters
        elif config.extra_characters:
            raise ConfigError("extra_characters", "applies to char_mode 'alphabet' only")
        tokenizer = CharTokenizer(
            mode=config.char_mode, max_length=config.max_length, reverse=config.reverse, **kwargs
        )
    return TextPreprocessor(tokenizer=tokenizer, normalizer=normalizer)


# -------------------------------------------------------------------- models
def build_classifier(config, preprocessor, num_classes):
    """The `TextClassifier` of the configured family over `preprocessor`'s ids.

    Settings left at None take the family's own defaults; `model_options`
    passes any other backbone argument through (e.g. `kernel_sizes`).
    """
    from tfcharnlp.models.char_cnn_backbone import CharCNNBackbone
    from tfcharnlp.models.cnn_lstm_backbone import CNNLSTMBackbone
    from tfcharnlp.models.lstm_backbone import LSTMBackbone
    from tfcharnlp.models.multi_width_cnn_backbone import MultiWidthCNNBackbone
    from tfcharnlp.models.text_classifier import TextClassifier

    vocabulary_size = preprocessor.tokenizer.vocabulary_size
    options = {"vocabulary_size": vocabulary_size, "max_length": config.max_length}
    for name in ("embedding_dim", "hidden_units", "num_layers"):
        if getattr(config, name) is not None:
            options[name] = getattr(config, name)
    if config.word_vectors is not None:
        options.update(_pretrained_embedding(config, preprocessor))
    head_dropout = config.dropout
    if config.family == "char_cnn":
        # The paper's dropout sits between the backbone's fully connected layers.
        options.pop("hidden_units", None)
        options.pop("num_layers", None)
        if "embedding_dim" in options:
            options["input_encoding"] = "embedding"
        options.update(size=config.size, dropout=config.dropout)
        head_dropout = 0.0
        backbone_class = CharCNNBackbone
    elif config.family == "multi_width_cnn":
        options.pop("hidden_units", None)
        options.pop("num_layers", None)
        backbone_class = MultiWidthCNNBackbone
    elif config.family == "lstm":
        options["bidirectional"] = config.bidirectional
        backbone_class = LSTMBackbone
    else:
        options.pop("num_layers", None)
        options.update(variant=config.variant, bidirectional=config.bidirectional)
        backbone_class = CNNLSTMBackbone
    options.update(config.model_options)
    backbone = backbone_class(**options)
    return TextClassifier(
        backbone=backbone,
        num_classes=num_classes,
        preprocessor=preprocessor,
        dropout=head_dropout,
    )


def _pretrained_embedding(config, preprocessor):
    """Backbone arguments that start the embedding from `config.word_vectors`."""
    from tfcharnlp.models.word_vectors import load_word_vectors

    matrix = load_word_vectors(config.word_vectors, preprocessor.tokenizer.vocabulary)
    if config.embedding_dim is not None and config.embedding_dim != matrix.shape[1]:
        raise ConfigError(
            "embedding_dim",
            f"{config.embedding_dim} differs from the {matrix.shape[1]}-dimensional vectors in "
            f"{config.word_vectors}; leave it unset to take the vectors' size",
        )
    return {
        "embedding_dim": int(matrix.shape[1]),
        "embedding_matrix": matrix,
        "trainable_embedding": not config.freeze_embedding,
    }


def class_weight_dict(config, vocabulary, train_label_ids):
    """Keras `class_weight` from the config: None, balanced, a list or {label: weight}."""
    weights = config.class_weights
    if isinstance(weights, str) and weights == "none":
        return None
    num_classes = len(vocabulary)
    if weights == "balanced":
        from tfcharnlp.models.losses import balanced_class_weights

        return balanced_class_weights(train_label_ids, num_classes)
    if isinstance(weights, list):
        if len(weights) != num_classes:
            raise ConfigError(
                "class_weights",
                f"{len(weights)} weights for {num_classes} classes {list(vocabulary)}",
            )
        return {index: float(weight) for index, weight in enumerate(weights)}
    unknown = [label for label in weights if label not in vocabulary]
    if unknown:
        raise ConfigError(
            "class_weights", f"labels {unknown} are not in the data {list(vocabulary)}"
        )
    return {vocabulary.index(label): float(weights.get(label, 1.0)) for label in vocabulary}


# --------------------------------------------------------------------- train
def train(config, extra_callbacks=()):
    """Runs one training job described by `config` (a `TrainConfig` or a mapping).

    A folder left by a killed run of the same config (its `backup/`) is
    resumed at the epoch after the last completed one.
    """
    if not isinstance(config, TrainConfig):
        config = TrainConfig.from_dict(config)
    config.validate()
    import keras

    keras.utils.set_random_seed(config.seed)
    devices.configure_precision(config.precision)
    run_dir = config.model_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    resuming = callbacks_lib.has_backup(run_dir)
    if resuming:
        logger.info("resuming the interrupted run in %s", run_dir)
    else:
        # A fresh run must not append to the per-epoch log of an older one.
        (run_dir / callbacks_lib.HISTORY_FILE).unlink(missing_ok=True)
    if config.is_language_model:
        return _train_language_model(config, run_dir, extra_callbacks)
    return _train_classifier(config, run_dir, extra_callbacks)


def shuffle_buffer_size(config, train_size):
    """The configured shuffle buffer, or the whole training set.

    Files are often sorted by label (IMDB's train.csv holds 12,500 negative
    reviews, then 12,500 positive ones): a buffer smaller than the data then
    yields single-class batches, and the model learns the order instead of
    the text. The examples are in memory already, so a full buffer is cheap.
    """
    return max(1, config.shuffle_buffer or train_size)


def _fit(config, run_dir, model, train_ds, validation_ds, steps_per_epoch, extra, **kwargs):
    monitor = config.monitor
    if validation_ds is None and monitor.startswith("val_"):
        # Without a validation split (a test file only), watch the training metric instead.
        monitor = monitor[len("val_") :]
        logger.info("no validation data: early stopping and checkpoints watch %s", monitor)
    callbacks = callbacks_lib.build_callbacks(
        run_dir,
        monitor=monitor,
        patience=config.patience,
        checkpoint=config.checkpoint,
        backup=config.backup,
        log_dir=config.log_dir,
        extra=extra,
    )
    if config.steps_per_epoch:
        train_ds = train_ds.repeat()
    model.fit(
        train_ds,
        validation_data=validation_ds,
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        callbacks=callbacks,
        # The tf.data pipeline shuffles; Keras' own flag does not apply to datasets.
        shuffle=False,
        verbose=callbacks_lib.progress_verbosity(),
        **kwargs,
    )
    # BackupAndRestore records the epoch it restored on the model (Keras' own attribute).
    initial_epoch = getattr(model, "_initial_epoch", None) or 0
    history = read_history_csv(run_dir / callbacks_lib.HISTORY_FILE)
    return history, initial_epoch


def _train_classifier(config, run_dir, extra_callbacks):
    import numpy as np

    from tfcharnlp.models.compile_classifier import compile_classifier
    from tfcharnlp.preprocessing import make_pipeline

    data = _read_labeled(config)
    loaded, evaluation, split = data.loaded, data.evaluation, data.split
    vocabulary = loaded.label_vocabulary
    num_classes = len(vocabulary)
    preprocessor = build_preprocessor(config, loaded.train.map(lambda text, label: text))
    train_ds = make_pipeline(
        loaded.train,
        preprocessor,
        config.batch_size,
        shuffle_buffer=shuffle_buffer_size(config, loaded.train_size),
        cache=config.cache,
        seed=config.seed,
    )
    validation_ds = None
    if data.validation_size:
        validation_ds = make_pipeline(
            data.validation, preprocessor, config.batch_size, cache=config.cache
        )
    steps = config.steps_per_epoch or math.ceil(loaded.train_size / config.batch_size)
    train_labels = None
    if config.class_weights == "balanced":
        train_labels = np.array([int(label) for _, label in loaded.train.as_numpy_iterator()])
    class_weight = class_weight_dict(config, vocabulary, train_labels)

    strategy = devices.distribution_strategy()
    with strategy.scope():
        model = build_classifier(config, preprocessor, num_classes)
        compile_classifier(
            model,
            optimizer=make_optimizer(config, steps),
            loss=config.loss,
            label_smoothing=config.label_smoothing,
            focal_gamma=config.focal_gamma,
            num_classes=num_classes,
            jit_compile=devices.jit_compile_option(config.jit_compile),
        )
    history, initial_epoch = _fit(
        config,
        run_dir,
        model,
        train_ds,
        validation_ds,
        steps,
        extra_callbacks,
        class_weight=class_weight,
    )

    # Held-out evaluation: argmax of the logits against the true ids.
    evaluation_ds = make_pipeline(evaluation, preprocessor, config.batch_size)
    y_true = np.concatenate([labels.numpy() for _, labels in evaluation_ds])
    logits = model.predict(evaluation_ds, verbose=0)
    report = EvaluationReport.from_predictions(
        y_true, np.argmax(logits, axis=-1), list(vocabulary.labels), split=split
    )
    report.save(run_dir, history=history)
    logger.info("\n%s", report.to_text())

    model.save(run_dir / MODEL_FILE)
    vocabulary.save(run_dir / LABEL_VOCABULARY_FILE)
    _save_config(config, run_dir, data.data_configs)
    result = TrainResult(
        model_dir=run_dir,
        model=model,
        history=history,
        metrics={"accuracy": report.accuracy, "macro_f1": report.macro_f1, "split": split},
        report=report,
        label_vocabulary=vocabulary,
        initial_epoch=initial_epoch,
    )
    result.export_path = _maybe_export(config, result)
    return result


def _train_language_model(config, run_dir, extra_callbacks):
    import keras

    from tfcharnlp.data.read_examples import read_examples
    from tfcharnlp.data.split import split_text
    from tfcharnlp.models.char_gru_backbone import CharGRUBackbone
    from tfcharnlp.models.char_gru_causal_lm import CharGRUCausalLM
    from tfcharnlp.preprocessing import CharTokenizer, TextPreprocessor, language_model_windows

    source = data_config(config.data, label_column=None)
    result = _load(read_examples, source, "data")
    if not source.validation_split:
        raise ConfigError(
            "data.validation_split", "a language model needs a held-out tail of the text (> 0)"
        )
    text = "".join(result.texts)
    train_text, validation_text = split_text(text, source.validation_split)
    if len(train_text) <= config.seq_length or len(validation_text) <= config.seq_length:
        raise ConfigError(
            "seq_length",
            f"{config.seq_length} is too long for the text ({len(train_text)} training and "
            f"{len(validation_text)} held-out characters): both need more than one window",
        )
    # Windows are cut from the whole text tokenized at once (no max_length); the
    # preprocessor the model carries for prompts pads to `max_length` with the same ids.
    tokenizer = CharTokenizer.from_text(train_text, max_length=None)
    preprocessor = TextPreprocessor(
        tokenizer=CharTokenizer.from_text(train_text, max_length=config.max_length)
    )

    def windows(part, shuffle):
        dataset = language_model_windows(part, tokenizer, seq_length=config.seq_length)
        if shuffle:
            buffer = shuffle_buffer_size(config, int(dataset.cardinality()))
            dataset = dataset.shuffle(buffer, seed=config.seed)
        # Training batches keep one shape; every held-out window counts in the validation loss.
        return dataset.batch(config.batch_size, drop_remainder=shuffle).prefetch(2)

    train_ds, validation_ds = windows(train_text, True), windows(validation_text, False)
    steps = config.steps_per_epoch or max(
        1, (len(train_text) // config.seq_length) // config.batch_size
    )
    strategy = devices.distribution_strategy()
    with strategy.scope():
        options = dict(config.model_options)
        options.setdefault("embedding_dim", config.embedding_dim or 64)
        backbone = CharGRUBackbone(
            vocabulary_size=tokenizer.vocabulary_size,
            hidden_units=config.hidden_units or 256,
            num_layers=config.num_layers or 2,
            cell=config.cell,
            dropout=config.dropout,
            **options,
        )
        model = CharGRUCausalLM(backbone=backbone, preprocessor=preprocessor)
        model.compile(
            optimizer=make_optimizer(config, steps),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=devices.jit_compile_option(config.jit_compile),
        )
    history, initial_epoch = _fit(
        config, run_dir, model, train_ds, validation_ds, steps, extra_callbacks
    )
    # Mean cross-entropy with natural logarithms = nats per character.
    validation_loss = float(model.evaluate(validation_ds, verbose=0, return_dict=True)["loss"])
    sample = config.sample_prompt
    if config.sample_length:
        sample += model.generate(
            [config.sample_prompt],
            length=config.sample_length,
            temperature=config.temperature,
            seed=config.seed,
        )[0]
    metrics = {
        "validation_loss_nats_per_char": validation_loss,
        "validation_bits_per_char": validation_loss / math.log(2),
        "validation_perplexity": math.exp(validation_loss),
        "train_characters": len(train_text),
        "validation_characters": len(validation_text),
        "vocabulary_size": tokenizer.vocabulary_size,
    }
    _write_language_model_report(run_dir, metrics, sample, history)
    model.save(run_dir / MODEL_FILE)
    _save_config(config, run_dir, {"train": source})
    result = TrainResult(
        model_dir=run_dir,
        model=model,
        history=history,
        metrics=metrics,
        sample=sample,
        initial_epoch=initial_epoch,
    )
    result.export_path = _maybe_export(config, result)
    return result


def _write_language_model_report(run_dir, metrics, sample, history):
    (run_dir / REPORT_JSON).write_text(json.dumps({**metrics, "sample": sample}, indent=2) + "\n")
    lines = [
        "## Language model evaluation (held-out tail of the text)",
        "",
        f"- validation loss: {metrics['validation_loss_nats_per_char']:.4f} nats/char "
        f"({metrics['validation_bits_per_char']:.4f} bits/char, "
        f"perplexity {metrics['validation_perplexity']:.2f})",
        f"- characters: {metrics['train_characters']} train, "
        f"{metrics['validation_characters']} validation; vocabulary {metrics['vocabulary_size']}",
        "",
        "Sample:",
        "",
        "```",
        sample,
        "```",
    ]
    (run_dir / REPORT_MARKDOWN).write_text("\n".join(lines) + "\n")
    (run_dir / REPORT_TEXT).write_text(
        f"validation loss {metrics['validation_loss_nats_per_char']:.4f} nats/char\n\n{sample}\n"
    )
    (run_dir / SAMPLE_FILE).write_text(sample)
    if history:
        plot_training_curves(history, run_dir / TRAINING_CURVES_PNG)


def _save_config(config, run_dir, data_configs):
    # The resolved data configs (absolute paths, preset settings) let `evaluate`
    # rebuild the exact held-out split without the original flags.
    values = config.to_dict()
    values["resolved_data"] = [data.get_config() for data in data_configs.values()]
    values["resolved_data_roles"] = list(data_configs)
    (run_dir / TRAIN_CONFIG_FILE).write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")


def _maybe_export(config, result):
    if not config.export and not config.export_base:
        return None
    try:
        from tfcharnlp.export import export_model
    except ImportError as error:
        raise ConfigError("export", f"the export package is not available: {error}") from error
    from tfcharnlp.constants import DEFAULT_MODEL_BASE

    base = pathlib.Path(config.export_base or DEFAULT_MODEL_BASE)
    name = config.model_name or config.family
    vocabulary = result.label_vocabulary
    path = export_model(
        result.model,
        base=base,
        model_name=name,
        labels=list(vocabulary.labels) if vocabulary is not None else None,
        training_config=config.to_dict(),
    )
    logger.info("exported %s", path)
    return pathlib.Path(path)


def evaluate_folder(classifier, model_dir, data=None, split="test", output=None, batch_size=256):
    """Evaluates a loaded classifier (`model_folder.load_classifier`) and writes the report.

    With `data` (a `DataConfig`), every row of it is evaluated. Without, the
    data the model was trained with is re-read from its `train_config.json`:
    the test data when the run had one, else its dev data, else the same
    validation split.
    """
    from tfcharnlp.data.config import DataConfig
    from tfcharnlp.data.read_examples import read_examples
    from tfcharnlp.data.split import split_examples

    labels = list(classifier.labels)
    if data is None:
        path = pathlib.Path(model_dir) / TRAIN_CONFIG_FILE
        if not path.is_file():
            raise ConfigError(
                "data", f"{model_dir} has no {TRAIN_CONFIG_FILE}: give --preset or --path"
            )
        recorded = json.loads(path.read_text())
        resolved = recorded.get("resolved_data") or []
        if not resolved:
            raise ConfigError("data", f"{path} records no data: give --preset or --path")
        # Folders written before dev data existed hold [train] or [train, test].
        roles = recorded.get("resolved_data_roles") or ["train", "test"][: len(resolved)]
        by_role = dict(zip(roles, resolved, strict=True))
        split = "test" if "test" in by_role else "dev" if "dev" in by_role else "validation"
        source = DataConfig.from_config({**by_role.get(split, by_role["train"]), "labels": labels})
        result = read_examples(source)
        if split != "validation":
            texts, label_names = result.texts, result.labels
        else:
            _, (texts, label_names) = split_examples(
                result.texts, result.labels, source.validation_split, source.split_seed
            )
    else:
        result = read_examples(dataclasses.replace(data, labels=tuple(labels)))
        texts, label_names, split = result.texts, result.labels, split or "data"
    if not texts:
        raise DataError("no labeled examples to evaluate")
    index = {label: position for position, label in enumerate(labels)}
    y_true = [index[label] for label in label_names]
    probabilities = classifier.probabilities(texts, batch_size=batch_size)
    report = EvaluationReport.from_predictions(
        y_true, probabilities.argmax(axis=-1), labels, split=split
    )
    report.save(output or pathlib.Path(model_dir) / "evaluation")
    return report
