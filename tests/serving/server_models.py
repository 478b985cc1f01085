"""Tiny SavedModels for the server tests, built here so the tests depend on no exporter.

- `build_text_model`: a TF2 `tf.Module` with our classifier contract
  (`serving_default`: `text` string [None] -> probabilities / class_ids /
  labels, computed from the string length), a `batch_info` signature whose
  output tells the size of the batch the model actually saw, and a `classify`
  signature with TensorFlow Serving's classify layout (serialized tf.Example
  `inputs` -> `classes`, `scores`) and a `regress` one (`inputs` -> `outputs`,
  the text length).
- `build_tf1_model`: a TF1 graph saved with the compat.v1 builder, with
  predict (`x` float -> `y`), classify and regress signatures on tf.Example.
"""

import os

import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from serving.server import single_model_config
from tests.serving.conftest import predict_request
from tfcharnlp import constants

LABELS = ("short", "long")
BATCH_INFO_SIGNATURE = "batch_info"
REGRESS_SIGNATURE = "regress"
TF1_CLASSIFY_SIGNATURE = "classify_x"
TF1_REGRESS_SIGNATURE = "regress_x"


class _TextModel(tf.Module):
    def __init__(self, offset):
        super().__init__()
        self.labels = tf.constant(LABELS)
        # A variable, so the SavedModel has a variables/ folder like real exports.
        self.offset = tf.Variable(float(offset))

    def _outputs(self, text):
        length = tf.cast(tf.strings.length(text), tf.float32) + self.offset
        probabilities = tf.nn.softmax(
            tf.stack([(10.0 - length) / 5.0, (length - 10.0) / 5.0], axis=1)
        )
        class_ids = tf.argmax(probabilities, axis=1)
        return probabilities, class_ids, tf.gather(self.labels, class_ids)

    @tf.function(
        input_signature=[tf.TensorSpec([None], tf.string, name=constants.CLASSIFIER_INPUT)]
    )
    def serve(self, text):
        probabilities, class_ids, labels = self._outputs(text)
        return {
            constants.PROBABILITIES: probabilities,
            constants.CLASS_IDS: class_ids,
            constants.LABELS: labels,
        }

    @tf.function(
        input_signature=[tf.TensorSpec([None], tf.string, name=constants.CLASSIFIER_INPUT)]
    )
    def batch_info(self, text):
        size = tf.shape(text, out_type=tf.int64)[0]
        return {"batch_size": tf.fill([size], size), "echo": text}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    def classify(self, inputs):
        spec = {
            constants.EXAMPLE_TEXT_FEATURE: tf.io.FixedLenFeature([], tf.string, default_value="")
        }
        text = tf.io.parse_example(inputs, spec)[constants.EXAMPLE_TEXT_FEATURE]
        probabilities, _, _ = self._outputs(text)
        classes = tf.broadcast_to(self.labels, tf.shape(probabilities))
        return {"scores": probabilities, "classes": classes}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    def regress(self, inputs):
        spec = {
            constants.EXAMPLE_TEXT_FEATURE: tf.io.FixedLenFeature([], tf.string, default_value="")
        }
        text = tf.io.parse_example(inputs, spec)[constants.EXAMPLE_TEXT_FEATURE]
        return {"outputs": tf.cast(tf.strings.length(text), tf.float32) + self.offset}


def expected_probabilities(texts, offset=0.0):
    """What `serving_default` returns, computed without TensorFlow's graph."""
    import numpy as np

    length = (
        np.array([len(t.encode("utf-8") if isinstance(t, str) else t) for t in texts], np.float32)
        + offset
    )
    logits = np.stack([(10.0 - length) / 5.0, (length - 10.0) / 5.0], axis=1)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def build_text_model(base_path, version, offset=0.0, warmup_texts=None):
    """Saves the TF2 text model as `<base_path>/<version>/`; returns the version folder."""
    module = _TextModel(offset)
    path = os.path.join(str(base_path), str(version))
    signatures = {
        constants.SERVING_SIGNATURE: module.serve,
        BATCH_INFO_SIGNATURE: module.batch_info,
        constants.CLASSIFY_SIGNATURE: module.classify,
        REGRESS_SIGNATURE: module.regress,
    }
    tf.saved_model.save(module, path, signatures=signatures)
    if warmup_texts:
        warmup = predict_request(
            "warmup", texts=list(warmup_texts), signature=constants.SERVING_SIGNATURE
        )
        write_warmup(path, [warmup])
    return path


def write_warmup(version_path, requests):
    """Writes assets.extra/tf_serving_warmup_requests with these PredictRequests."""
    folder = os.path.join(version_path, constants.ASSETS_EXTRA_DIR)
    os.makedirs(folder, exist_ok=True)
    with tf.io.TFRecordWriter(os.path.join(folder, constants.WARMUP_FILE)) as writer:
        for request in requests:
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())


def build_bad_warmup_model(base_path, version):
    """The text model with a warmup request it cannot answer (an unknown input): it must never serve."""
    path = build_text_model(base_path, version, offset=50.0)
    write_warmup(path, [predict_request("anything", {"not_an_input": [1.0]})])
    return path


def build_tf1_model(base_path, version):
    """Saves a TF1 graph SavedModel (compat.v1 builder) as `<base_path>/<version>/`."""
    path = os.path.join(str(base_path), str(version))
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        features = tf.io.parse_example(
            serialized, {"x": tf.io.FixedLenFeature([], tf.float32, default_value=0.0)}
        )
        x = features["x"]
        scores = tf.stack([tf.sigmoid(x), 1.0 - tf.sigmoid(x)], axis=1)
        classes = tf.tile(tf.constant([["pos", "neg"]]), tf.stack([tf.shape(x)[0], 1]))
        plain_x = v1.placeholder(tf.float32, [None], name="x")
        weight = v1.get_variable("weight", initializer=2.0)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(path)
            signatures = {
                constants.SERVING_SIGNATURE: v1.saved_model.predict_signature_def(
                    inputs={"x": plain_x}, outputs={"y": weight * plain_x + 1.0}
                ),
                TF1_CLASSIFY_SIGNATURE: v1.saved_model.classification_signature_def(
                    examples=serialized, classes=classes, scores=scores
                ),
                TF1_REGRESS_SIGNATURE: v1.saved_model.regression_signature_def(
                    examples=serialized, predictions=weight * x + 1.0
                ),
            }
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
            builder.save()
    return path


def build_three_model_repository(root, text_warmup_texts=None, version_labels=None):
    """`text` (TF2 classifier, version 1), `tf1` (version 7) and `labelled`
    (versions 1 and 2, all served) under `root`; returns their `ModelConfigList`.

    `version_labels` (default `stable` -> 1, `canary` -> 2) label `labelled`'s versions.
    """
    build_text_model(os.path.join(root, "text"), 1, warmup_texts=text_warmup_texts)
    build_tf1_model(os.path.join(root, "tf1"), 7)
    build_text_model(os.path.join(root, "labelled"), 1)
    build_text_model(os.path.join(root, "labelled"), 2, offset=100.0)
    config_list = single_model_config("text", os.path.join(root, "text"))
    config_list.config.add(name="tf1", base_path=os.path.join(root, "tf1"))
    labelled = config_list.config.add(name="labelled", base_path=os.path.join(root, "labelled"))
    labelled.model_version_policy.all.SetInParent()
    for label, version in (version_labels or {"stable": 1, "canary": 2}).items():
        labelled.version_labels[label] = version
    return config_list
