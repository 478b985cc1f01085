"""Exports from a GPU run are CPU-portable: no cuDNN-only ops, no float16 compute.

A GPU is simulated the way Keras 3.15 detects one while tracing: its
TensorFlow backend (`keras/src/backend/tensorflow/rnn.py`) routes LSTM/GRU
through `CudnnRNNV3` when `_is_gpu_available()` (logical GPU devices) is
true. Patching that one function makes this CPU trace what a GPU machine
traces; the model is built under the `mixed_float16` policy a GPU run uses.
"""

import importlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfcharnlp import constants
from tfcharnlp.errors import ExportError
from tfcharnlp.export import ClassifierExporter, GeneratorExporter, ModelRepository, export_model
from tfcharnlp.export.cpu_portable import non_portable_ops
from tfcharnlp.models import CharGRUBackbone, CharGRUCausalLM, LSTMBackbone, TextClassifier
from tfcharnlp.preprocessing import CharTokenizer, TextPreprocessor

KERAS_TF_RNN = importlib.import_module("keras.src.backend.tensorflow.rnn")
EXPORT_MODEL = importlib.import_module("tfcharnlp.export.export_model")
TEXTS = ["the cat sat on the mat", "", "a", "Zürich café"]


@pytest.fixture
def gpu_run(monkeypatch):
    """Traces as on a GPU machine, under the mixed precision a GPU run trains in."""
    monkeypatch.setattr(KERAS_TF_RNN, "_is_gpu_available", lambda: True)
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def lstm_classifier():
    preprocessor = TextPreprocessor(tokenizer=CharTokenizer(max_length=24))
    backbone = LSTMBackbone(
        vocabulary_size=preprocessor.vocabulary_size,
        embedding_dim=8,
        hidden_units=8,
        num_layers=2,
        bidirectional=True,
        max_length=24,
    )
    return TextClassifier(backbone, num_classes=3, preprocessor=preprocessor)


def gru_language_model():
    preprocessor = TextPreprocessor(
        tokenizer=CharTokenizer.from_text("to be or not", max_length=16)
    )
    backbone = CharGRUBackbone(
        vocabulary_size=preprocessor.vocabulary_size, embedding_dim=8, hidden_units=8, num_layers=1
    )
    return CharGRUCausalLM(backbone, preprocessor=preprocessor)


def recurrent_layers(model):
    return [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU))
    ]


def test_the_simulated_gpu_trace_holds_cudnn_and_half_ops_that_fail_on_cpu(gpu_run, tmp_path):
    # The control: the exporter alone, as before, writes a graph a CPU server cannot run.
    model = lstm_classifier()
    ClassifierExporter(model, ["a", "b", "c"]).write(str(tmp_path / "1"))
    found = non_portable_ops(tmp_path / "1")
    assert any(op.startswith("CudnnRNNV3") for op in found)
    assert any("half precision" in op for op in found)
    loaded = tf.saved_model.load(str(tmp_path / "1"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="CudnnRNNV3"):
        loaded.signatures[constants.SERVING_SIGNATURE](text=tf.constant(TEXTS))


def test_classifier_export_is_cpu_portable(gpu_run, tmp_path):
    model = lstm_classifier()
    path = export_model(model, tmp_path, "lstm", labels=["a", "b", "c"])
    assert non_portable_ops(path) == []
    # The trained object is left as it was: mixed precision, cuDNN allowed.
    assert model.backbone.dtype_policy.name == "mixed_float16"
    assert all(layer.use_cudnn == "auto" for layer in recurrent_layers(model))
    loaded = tf.saved_model.load(str(path))
    served = loaded.signatures[constants.SERVING_SIGNATURE](text=tf.constant(TEXTS))
    probabilities = served[constants.PROBABILITIES].numpy()
    # An empty text (an all-padding row) is answered in the same batch as the others.
    assert probabilities.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    # The float32 graph computes what the float16 model computes, to float16's precision.
    logits = model(model.preprocessor(tf.constant(TEXTS)), training=False)
    expected = tf.nn.softmax(tf.cast(logits, tf.float32)).numpy()
    np.testing.assert_allclose(probabilities, expected, atol=1e-2)


def test_generator_export_is_cpu_portable(gpu_run, tmp_path):
    model = gru_language_model()
    path = export_model(model, tmp_path, "bard", max_generation_length=8)
    assert non_portable_ops(path) == []
    loaded = tf.saved_model.load(str(path))
    text = loaded.signatures[constants.SERVING_SIGNATURE](
        prompt=tf.constant(["to be", ""]),
        length=tf.constant([5, 3]),
        temperature=tf.constant([0.0, 1.0]),
        top_k=tf.constant([0, 0]),
        seed=tf.constant([1, 2], tf.int64),
    )[constants.GENERATOR_OUTPUT].numpy()
    assert [len(t.decode()) for t in text] == [len("to be") + 5, 3]
    # The control: without the portable trace the generator computes in float16. (Its
    # loop steps the GRU cells directly, which have no cuDNN kernel.)
    GeneratorExporter(model, max_generation_length=8).write(str(tmp_path / "control"))
    assert any("half precision" in op for op in non_portable_ops(tmp_path / "control"))


def test_a_graph_left_non_portable_is_refused_and_not_published(gpu_run, tmp_path, monkeypatch):
    import contextlib

    monkeypatch.setattr(EXPORT_MODEL, "cpu_portable", lambda *m: contextlib.nullcontext())
    with pytest.raises(ExportError, match="cuDNN-only ops CudnnRNNV3; .* half-precision"):
        export_model(lstm_classifier(), tmp_path, "lstm", labels=["a", "b", "c"])
    assert ModelRepository(tmp_path).latest_version("lstm") is None
