"""The model folder `train` writes: its file names, writing it, and reading it back.

This module is the one owner of the folder's format. `<output_dir>/<model_name>/` holds:

    model.keras               the trained model (with its preprocessor)
    label_vocabulary.txt      one label per line, line k = class id k (classifier)
    train_config.json         the resolved TrainConfig of the run + the resolved data configs
                              (+ `time_budget`, what max_time did, when it was set)
    history.csv               one row per epoch (Keras CSVLogger)
    report.txt/.json/.md      held-out evaluation (see `evaluation_report`)
    confusion_matrix.png      (classifier)
    training_curves.png       loss / metrics per epoch
    sample.txt                generated text (language model)
    checkpoints/best.keras    best model by `monitor`
    logs/                     TensorBoard
    backup/                   only while a run is unfinished (BackupAndRestore)
    evaluation/               reports written by `tfcharnlp evaluate`

`evaluate`, `predict` and `generate` also accept a SavedModel version folder
(`saved_model.pb`) or a repository model folder (`<base>/<name>/`, its
latest version), run through their serving signatures as a server would.
"""

import json
import pathlib

from tfcharnlp import constants
from tfcharnlp.errors import ConfigError

MODEL_FILE = "model.keras"
LABEL_VOCABULARY_FILE = "label_vocabulary.txt"
TRAIN_CONFIG_FILE = "train_config.json"
SAMPLE_FILE = "sample.txt"
HISTORY_FILE = "history.csv"
CHECKPOINT_FILE = "checkpoints/best.keras"
BACKUP_DIR = "backup"
LOG_DIR = "logs"
EVALUATION_DIR = "evaluation"


def is_trained_folder(path):
    """True for a folder `train` finished (it holds `model.keras`)."""
    return (pathlib.Path(path) / MODEL_FILE).is_file()


def write_model_folder(
    run_dir,
    model,
    config,
    data_configs,
    label_vocabulary=None,
    word_vectors_coverage=None,
    time_budget=None,
):
    """Saves the model, its labels and the run's config; returns the recorded config dict.

    The resolved data configs (absolute paths, preset settings) let
    `evaluate` rebuild the exact held-out split without the original flags.
    With pre-trained word vectors, `word_vectors_coverage` (the share of
    the vocabulary they covered) is recorded too. `time_budget` (a
    `TimeBudgetOutcome`) records whether `max_time` stopped the run.
    """
    run_dir = pathlib.Path(run_dir)
    model.save(run_dir / MODEL_FILE)
    if label_vocabulary is not None:
        label_vocabulary.save(run_dir / LABEL_VOCABULARY_FILE)
    recorded = config.to_dict()
    recorded["resolved_data"] = [data.get_config() for data in data_configs.values()]
    recorded["resolved_data_roles"] = list(data_configs)
    if word_vectors_coverage is not None:
        recorded["word_vectors_coverage"] = word_vectors_coverage
    if time_budget is not None:
        recorded["time_budget"] = time_budget.to_dict()
    (run_dir / TRAIN_CONFIG_FILE).write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    return recorded


def read_train_config(model_dir):
    """The `train_config.json` of a model folder as a dict ({} when there is none)."""
    path = pathlib.Path(model_dir) / TRAIN_CONFIG_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def load_trained(model_dir):
    """`(model, labels or None, recorded config dict)` of a folder `train` wrote."""
    return load_keras_model(model_dir), read_labels(model_dir), read_train_config(model_dir)


def resolve_model_path(path):
    """`(kind, path)` with kind "keras" or "saved_model"; ConfigError naming MODEL_DIR otherwise."""
    path = pathlib.Path(path)
    if (path / MODEL_FILE).is_file():
        return "keras", path
    if (path / constants.SAVED_MODEL_FILE).is_file():
        return "saved_model", path
    if path.is_dir():
        versions = [
            child
            for child in path.iterdir()
            if child.name.isdigit() and (child / constants.SAVED_MODEL_FILE).is_file()
        ]
        if versions:
            return "saved_model", max(versions, key=lambda child: int(child.name))
    raise ConfigError(
        "MODEL_DIR",
        f"{path} holds neither {MODEL_FILE} (a trained model folder) nor "
        f"{constants.SAVED_MODEL_FILE} (an exported version)",
    )


def load_keras_model(model_dir):
    """The trained Keras model of a model folder (its custom classes registered first)."""
    import keras

    # Importing the modules registers their classes for deserialization (the
    # schedules are part of the saved optimizer).
    import tfcharnlp.models
    import tfcharnlp.preprocessing  # noqa: F401
    import tfcharnlp.training.budget_schedule  # noqa: F401
    import tfcharnlp.training.cyclic_learning_rate  # noqa: F401
    import tfcharnlp.training.step_decay  # noqa: F401

    tfcharnlp.models.register_all()

    return keras.models.load_model(pathlib.Path(model_dir) / MODEL_FILE)


def load_saved_model(path):
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the text ops the graph may use)

    return tf.saved_model.load(str(path))


def read_labels(path):
    path = pathlib.Path(path)
    for candidate in (
        path / LABEL_VOCABULARY_FILE,
        path / constants.ASSETS_DIR / constants.LABEL_VOCABULARY_ASSET,
    ):
        if candidate.is_file():
            lines = candidate.read_text(encoding="utf-8").splitlines()
            return [line for line in lines if line]
    return None


class _KerasClassifier:
    def __init__(self, path):
        self.path = path
        self.model = load_keras_model(path)
        self.labels = read_labels(path)
        self.preprocessor = getattr(self.model, "preprocessor", None)
        if self.preprocessor is None:
            raise ConfigError("MODEL_DIR", f"{path}: the saved model has no preprocessor")

    def probabilities(self, texts, batch_size=256):
        import numpy as np
        import tensorflow as tf

        outputs = []
        for start in range(0, len(texts), batch_size):
            ids = self.preprocessor(tf.constant(texts[start : start + batch_size]))
            logits = self.model(ids, training=False)
            outputs.append(tf.nn.softmax(tf.cast(logits, tf.float32)).numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, len(self.labels)))


class _SavedModelClassifier:
    def __init__(self, path):
        self.path = path
        self.loaded = load_saved_model(path)
        self.signature = self.loaded.signatures[constants.SERVING_SIGNATURE]
        self.labels = read_labels(path)

    def probabilities(self, texts, batch_size=256):
        import numpy as np
        import tensorflow as tf

        outputs = []
        for start in range(0, len(texts), batch_size):
            result = self.signature(
                **{constants.CLASSIFIER_INPUT: tf.constant(texts[start : start + batch_size])}
            )
            outputs.append(result[constants.PROBABILITIES].numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, len(self.labels)))


def load_classifier(path):
    """A classifier with `.labels` and `.probabilities(texts) -> [n, C]`, from either kind of folder."""
    kind, path = resolve_model_path(path)
    classifier = _KerasClassifier(path) if kind == "keras" else _SavedModelClassifier(path)
    if not classifier.labels:
        raise ConfigError("MODEL_DIR", f"{path}: no label vocabulary found; is it a classifier?")
    return classifier


def generate_text(path, prompt, length=200, temperature=1.0, top_k=0, seed=None):
    """`prompt` followed by `length` generated characters, from a language model folder."""
    kind, path = resolve_model_path(path)
    if kind == "keras":
        model = load_keras_model(path)
        if not hasattr(model, "generate"):
            raise ConfigError("MODEL_DIR", f"{path} is not a language model (no generate())")
        if length == 0:
            return prompt
        # As the exported signature does: the prompt followed by its continuation.
        continuation = model.generate(
            [prompt], length=length, temperature=temperature, top_k=top_k, seed=seed or 0
        )[0]
        return prompt + continuation
    import tensorflow as tf

    loaded = load_saved_model(path)
    signature = loaded.signatures[constants.SERVING_SIGNATURE]
    if constants.GENERATOR_PROMPT not in signature.structured_input_signature[1]:
        raise ConfigError("MODEL_DIR", f"{path} is not a generator SavedModel (no prompt input)")

    def control(value, dtype):
        # One value per prompt, as the signature declares them ([None], see GeneratorExporter).
        return tf.constant([value], dtype)

    result = signature(
        **{
            constants.GENERATOR_PROMPT: tf.constant([prompt]),
            constants.GENERATOR_LENGTH: control(length, tf.int32),
            constants.GENERATOR_TEMPERATURE: control(temperature, tf.float32),
            constants.GENERATOR_TOP_K: control(top_k, tf.int32),
            constants.GENERATOR_SEED: control(0 if seed is None else seed, tf.int64),
        }
    )
    return _as_text(result[constants.GENERATOR_OUTPUT].numpy())


def _as_text(value):
    import numpy as np

    if isinstance(value, str):
        return value
    if hasattr(value, "numpy"):
        value = value.numpy()
    value = np.asarray(value).reshape(-1)[0]
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
