"""Tiny classifier SavedModels with our serving contract, for the blessing and push tests.

A text is "long" when it has more than `threshold` characters: a threshold
that matches how a data file was labelled scores 1.0 on it, another one less,
so which candidate is better is known in advance.
"""

import json
import os

import tensorflow as tf

from tfcharnlp import constants

LABELS = ("short", "long")


class _LengthClassifier(tf.Module):
    def __init__(self, threshold, labels, extra_output):
        super().__init__()
        self.threshold = tf.Variable(float(threshold))
        self.labels = tf.constant(list(labels))
        self.extra_output = extra_output

    @tf.function(
        input_signature=[tf.TensorSpec([None], tf.string, name=constants.CLASSIFIER_INPUT)]
    )
    def serve(self, text):
        logit = tf.cast(tf.strings.length(text), tf.float32) - self.threshold - 0.5
        probabilities = tf.stack([tf.sigmoid(-logit), tf.sigmoid(logit)], axis=1)
        class_ids = tf.argmax(probabilities, axis=1)
        outputs = {
            constants.PROBABILITIES: probabilities,
            constants.CLASS_IDS: class_ids,
            constants.LABELS: tf.gather(self.labels, class_ids),
        }
        if self.extra_output:
            outputs["logits"] = logit
        return outputs


def save_length_classifier(path, threshold, labels=LABELS, family="char_cnn", extra_output=False):
    """Saves a classifier of `threshold` at `path` with its labels and training config assets."""
    path = str(path)
    module = _LengthClassifier(threshold, labels, extra_output)
    tf.saved_model.save(module, path, signatures={constants.SERVING_SIGNATURE: module.serve})
    assets = os.path.join(path, constants.ASSETS_DIR)
    os.makedirs(assets, exist_ok=True)
    with open(os.path.join(assets, constants.LABEL_VOCABULARY_ASSET), "w") as stream:
        stream.write("".join(f"{label}\n" for label in labels))
    with open(os.path.join(assets, constants.TRAINING_CONFIG_ASSET), "w") as stream:
        json.dump({"family": family}, stream)
    return path


def save_candidates(root):
    """{name: SavedModel path} of the candidates the tests compare, under `root`.

    `exact` scores 1.0 on `write_length_data`'s rows and `rough` 0.75; `lstm`
    is `exact` under another family, `logits` with one more output, and
    `relabelled` with a third label.
    """
    return {
        "exact": save_length_classifier(root / "exact", threshold=5),
        "rough": save_length_classifier(root / "rough", threshold=2),
        "lstm": save_length_classifier(root / "lstm", threshold=5, family="lstm"),
        "logits": save_length_classifier(root / "logits", threshold=5, extra_output=True),
        "relabelled": save_length_classifier(
            root / "relabelled", threshold=5, labels=("short", "long", "huge")
        ),
    }


def write_length_data(path, threshold=5, extra_rows=()):
    """A CSV labelling each text by whether it is longer than `threshold` characters."""
    texts = ["a", "ab", "abcd", "abcde", "abcdef", "abcdefgh", "a longer text", "x" * 30]
    rows = [f"{text},{'long' if len(text) > threshold else 'short'}" for text in texts]
    rows.extend(extra_rows)
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    return path
