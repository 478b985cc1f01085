"""`export_model`: picks the exporter from the model, and publishes through the repository."""

import logging

import pytest
import tensorflow as tf

from tests.export.tiny_models import tiny_char_lm, tiny_classifier
from tfcharnlp import constants
from tfcharnlp.errors import ExportError
from tfcharnlp.export import ModelRepository, export_model


def test_classifier_without_label_names_gets_class_ids_and_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        path = export_model(tiny_classifier(num_classes=3), tmp_path, "clf")
    assert path == tmp_path / "clf" / "1"
    labels = (path / constants.ASSETS_DIR / constants.LABEL_VOCABULARY_ASSET).read_text()
    assert labels.splitlines() == ["0", "1", "2"]
    assert "no label names given" in caplog.text


def test_language_model_goes_to_the_generator_exporter(tmp_path):
    path = export_model(tiny_char_lm(), tmp_path, "lm", version=7, max_generation_length=5)
    assert path == tmp_path / "lm" / "7"
    assert ModelRepository(tmp_path).latest_version("lm") == 7
    loaded = tf.saved_model.load(str(path))
    assert constants.NEXT_CHAR_SIGNATURE in loaded.signatures
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be <= 5"):
        loaded.signatures[constants.SERVING_SIGNATURE](
            prompt=tf.constant(["a"]),
            length=tf.constant([6]),
            temperature=tf.constant([1.0]),
            top_k=tf.constant([0]),
            seed=tf.constant([0], tf.int64),
        )


def test_a_failed_export_leaves_no_version(tmp_path):
    with pytest.raises(ExportError, match="3 classes but 2 labels"):
        export_model(tiny_classifier(num_classes=3), tmp_path, "clf", labels=["a", "b"])
    assert list((tmp_path / "clf").iterdir()) == []


def test_a_folder_without_a_trained_model(tmp_path):
    with pytest.raises(ExportError, match="no model.keras"):
        export_model(tmp_path, tmp_path / "models", "clf")
