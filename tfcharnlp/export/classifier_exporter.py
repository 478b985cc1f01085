"""`ClassifierExporter`: a text classifier as a self-contained SavedModel."""

import tempfile

from tfcharnlp.constants import (
    CLASS_IDS,
    CLASSIFIER_INPUT,
    CLASSIFY_INPUTS,
    CLASSIFY_METHOD_NAME,
    CLASSIFY_OUTPUT_CLASSES,
    CLASSIFY_OUTPUT_SCORES,
    CLASSIFY_SIGNATURE,
    EXAMPLE_TEXT_FEATURE,
    LABELS,
    PROBABILITIES,
    SERVING_SIGNATURE,
)
from tfcharnlp.errors import ExportError
from tfcharnlp.export.export_assets import attach_assets, find_vocabulary, write_asset_files
from tfcharnlp.export.signature_inputs import checked_vector
from tfcharnlp.export.signature_methods import set_signature_method_names
from tfcharnlp.export.warmup_requests import (
    DEFAULT_WARMUP_TEXTS,
    classify_log,
    predict_log,
    write_warmup_requests,
)


class ClassifierExporter:
    """Writes a classifier, its preprocessor inside the graph, as a SavedModel.

    Signatures (names from `tfcharnlp.constants`):

    - `serving_default` (Predict): input `text` string `[None]` -> outputs
      `probabilities` float32 `[None, C]`, `class_ids` int64 `[None]`,
      `labels` string `[None]`.
    - `classify` (method `tensorflow/serving/classify`): input `inputs`,
      serialized `tf.Example`s `[None]` with a bytes feature `text` ->
      `classes` string `[None, C]` (every label, in class-id order) and
      `scores` float32 `[None, C]` (the probabilities).

    Both signatures check in-graph that their input is a vector (see
    `signature_inputs`): a scalar or a matrix answers INVALID_ARGUMENT on any
    server, TensorFlow Serving included.

    Assets: `labels.txt`, `vocabulary.txt`, `training_config.json`; warmup:
    `assets.extra/tf_serving_warmup_requests` (one Predict and one Classify
    request). The graph needs only TensorFlow (and tensorflow-text when the
    preprocessor uses its ops) to load: no tfcharnlp code.

    Args:
        model: a Keras model mapping ids `[batch, length]` to logits
            `[batch, C]` (a `TextClassifier`).
        labels: list of C class names, index = class id.
        preprocessor: the layer mapping strings `[batch]` to ids; defaults to
            `model.preprocessor`.
        training_config: JSON-serializable dict stored as an asset.
        warmup_texts: texts of the warmup requests.
        model_name: the servable name written into the warmup requests.

    Example:

    ```python
    exporter = ClassifierExporter(classifier, labels=["neg", "pos"])
    exporter.write("/tmp/sentiment/1")
    ```
    """

    def __init__(
        self,
        model,
        labels,
        preprocessor=None,
        training_config=None,
        warmup_texts=DEFAULT_WARMUP_TEXTS,
        model_name="model",
    ):
        self.model = model
        self.preprocessor = (
            preprocessor if preprocessor is not None else getattr(model, "preprocessor", None)
        )
        if self.preprocessor is None:
            raise ExportError(
                "the classifier has no preprocessor: an exported model must take raw strings; "
                "build the TextClassifier with preprocessor=... or pass preprocessor="
            )
        self.labels = [str(label) for label in labels]
        self.training_config = training_config
        self.warmup_texts = list(warmup_texts)
        self.model_name = model_name

    def _model_probabilities(self, text):
        import tensorflow as tf

        ids = self.preprocessor(text)
        logits = self.model(ids, training=False)
        # Mixed-precision models return float16 logits; the contract is float32.
        return tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)

    def _probabilities(self, text):
        """Probabilities [batch, C]; an empty batch answers without running the model.

        TensorFlow's CPU convolutions mis-shape an empty batch (a conv feature
        map of batch 0 reaches the dense layer with the wrong width and fails),
        so a batch of 0 texts returns a [0, C] tensor directly.
        """
        import tensorflow as tf

        return tf.cond(
            tf.size(text) > 0,
            lambda: self._model_probabilities(text),
            lambda: tf.zeros([0, self.num_classes], tf.float32),
        )

    def _count_classes(self):
        import tensorflow as tf

        probabilities = self._model_probabilities(tf.constant(self.warmup_texts[:1] or ["a"]))
        if probabilities.shape.rank != 2:
            raise ExportError(
                f"the model must return logits [batch, classes], got shape {probabilities.shape}"
            )
        num_classes = probabilities.shape[-1]
        if num_classes != len(self.labels):
            raise ExportError(
                f"the model has {num_classes} classes but {len(self.labels)} labels were given"
            )
        return num_classes

    def build_archive(self, asset_paths):
        """The `keras.export.ExportArchive` with both signatures and the assets."""
        import keras
        import tensorflow as tf

        self.num_classes = self._count_classes()
        label_names = tf.constant(self.labels)

        def predict(text):
            probabilities = self._probabilities(checked_vector(text, CLASSIFIER_INPUT))
            class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int64)
            return {
                PROBABILITIES: probabilities,
                CLASS_IDS: class_ids,
                LABELS: tf.gather(label_names, class_ids),
            }

        def classify(serialized_examples):
            features = tf.io.parse_example(
                checked_vector(serialized_examples, CLASSIFY_INPUTS),
                {EXAMPLE_TEXT_FEATURE: tf.io.FixedLenFeature([], tf.string)},
            )
            probabilities = self._probabilities(features[EXAMPLE_TEXT_FEATURE])
            batch = tf.shape(probabilities)[0]
            return {
                CLASSIFY_OUTPUT_CLASSES: tf.tile(label_names[tf.newaxis, :], [batch, 1]),
                CLASSIFY_OUTPUT_SCORES: probabilities,
            }

        archive = keras.export.ExportArchive()
        archive.track(self.model)
        archive.track(self.preprocessor)
        # The TensorSpec names, not the Python argument names, become the
        # signature's input keys.
        archive.add_endpoint(
            SERVING_SIGNATURE,
            predict,
            input_signature=[tf.TensorSpec([None], tf.string, name=CLASSIFIER_INPUT)],
        )
        archive.add_endpoint(
            CLASSIFY_SIGNATURE,
            classify,
            input_signature=[tf.TensorSpec([None], tf.string, name=CLASSIFY_INPUTS)],
        )
        attach_assets(archive, asset_paths)
        return archive

    def warmup_logs(self):
        import numpy as np

        texts = np.array([text.encode("utf-8") for text in self.warmup_texts], dtype=object)
        return [
            predict_log(self.model_name, SERVING_SIGNATURE, {CLASSIFIER_INPUT: texts}),
            predict_log(self.model_name, SERVING_SIGNATURE, {CLASSIFIER_INPUT: texts[:1]}),
            classify_log(self.model_name, self.warmup_texts),
        ]

    def write(self, export_dir):
        """Writes the complete SavedModel (assets, warmup, method names) into `export_dir`."""
        with tempfile.TemporaryDirectory(prefix="tfcharnlp-assets-") as scratch:
            asset_paths = write_asset_files(
                scratch,
                labels=self.labels,
                vocabulary=find_vocabulary(self.preprocessor),
                training_config=self.training_config,
            )
            archive = self.build_archive(asset_paths)
            archive.write_out(str(export_dir), verbose=False)
        set_signature_method_names(export_dir, {CLASSIFY_SIGNATURE: CLASSIFY_METHOD_NAME})
        write_warmup_requests(export_dir, self.warmup_logs())
        return export_dir
