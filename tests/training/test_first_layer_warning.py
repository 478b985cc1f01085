"""`train` warns when a character model's first layer is large and mostly never trained."""

import logging

import pytest
import tensorflow as tf

from tfcharnlp.preprocessing.preprocessor_factory import build_preprocessor
from tfcharnlp.training import model_setup
from tfcharnlp.training.model_setup import ModelInputs, build_model, first_layer_warning
from tfcharnlp.training.train_config import TrainConfig

TEXTS = ["Un film très réussi !", "Ennuyeux, trop long.", "ok"]


def model_and_ids(**fields):
    config = TrainConfig.from_dict(
        {
            "data": {"path": "unused.csv"},
            "family": "multi_width_cnn",
            "max_length": 32,
            "model_options": {"filters": 4, "kernel_sizes": [2]},
            **fields,
        }
    ).resolve()
    texts = tf.data.Dataset.from_tensor_slices(TEXTS)
    preprocessor = build_preprocessor(config, texts)
    inputs = ModelInputs(
        vocabulary_size=preprocessor.tokenizer.vocabulary_size,
        num_classes=2,
        preprocessor=preprocessor,
    )
    ids = tf.data.Dataset.from_tensor_slices((preprocessor(TEXTS), [0, 1, 0])).batch(2)
    return config, build_model(config, inputs), ids


def test_unicode_mode_warns_with_the_ids_the_texts_use():
    config, model, ids = model_and_ids(char_mode="unicode", embedding_dim=16)
    warning = first_layer_warning(config, model, ids)
    # Lowercased: the distinct characters of TEXTS, plus the padding id of the short text.
    used = len(set("".join(TEXTS).lower())) + 1
    assert warning.startswith(
        "char_mode 'unicode': the first layer's table is 1,114,114 ids x 16 floats = 68 MiB; "
        f"the training texts use {used} of those ids"
    )
    assert "--char-mode bytes" in warning


@pytest.mark.parametrize(
    "fields",
    [
        {"char_mode": "unicode", "embedding_dim": 8},  # 34 MiB: under the threshold
        {"char_mode": "alphabet", "embedding_dim": 16},
        {"char_mode": "bytes", "embedding_dim": 16},
        {"tokenizer": "word", "embedding_dim": 16},
    ],
)
def test_small_tables_and_word_models_do_not_warn(fields):
    config, model, ids = model_and_ids(**fields)
    assert first_layer_warning(config, model, ids) is None


def test_the_one_hot_convolution_row_is_kernel_width_by_filters():
    from tfcharnlp.models.char_cnn_backbone import CharCNNBackbone

    class Model:
        backbone = CharCNNBackbone(vocabulary_size=12, max_length=1014, size="small")

    assert model_setup._first_layer_row_width(Model(), 12) == 7 * 256


def test_train_logs_the_warning(tmp_path, caplog):
    from tfcharnlp.training.trainer import train

    path = tmp_path / "avis.csv"
    rows = [f'"{TEXTS[i % 2]} {i}",{"pos" if i % 2 else "neg"}' for i in range(24)]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    config = {
        "data": {"path": str(path), "validation_split": 0.25},
        "family": "multi_width_cnn",
        "char_mode": "unicode",
        "embedding_dim": 16,
        "max_length": 32,
        "model_options": {"filters": 4, "kernel_sizes": [2]},
        "epochs": 1,
        "batch_size": 8,
        "steps_per_epoch": 1,
        "checkpoint": False,
        "backup": False,
        "output_dir": str(tmp_path),
        "model_name": "unicode",
    }
    with caplog.at_level(logging.WARNING, logger="tfcharnlp.training.classifier_run"):
        train(config)
    (record,) = [r for r in caplog.records if r.name == "tfcharnlp.training.classifier_run"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("char_mode 'unicode': the first layer's table is")
