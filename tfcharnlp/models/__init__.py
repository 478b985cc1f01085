"""Keras models: backbones (ids -> features), tasks (heads, losses, generation), samplers.

The names below load on first use (PEP 562): the family registry
(`tfcharnlp.models.families`) is pure Python and the command line reads it
to build its flags, so touching this package must not import TensorFlow.
`register_all()` imports every model module, which registers the classes a
saved `.keras` file names. No module here is named like a name it exports
(`compile_classifier` lives in `classifier_compile.py`): importing a
submodule sets it as an attribute of this package, which would shadow the
lazily loaded function of the same name.
"""

from importlib import import_module

from tfcharnlp.lazy_exports import lazy_exports

_EXPORTS = {
    "AttentionPooling": "tfcharnlp.models.attention_pooling",
    "Backbone": "tfcharnlp.models.backbone",
    "CharCNNBackbone": "tfcharnlp.models.char_cnn_backbone",
    "char_cnn_feature_length": "tfcharnlp.models.char_cnn_backbone",
    "CharGRUBackbone": "tfcharnlp.models.char_gru_backbone",
    "CharGRUCausalLM": "tfcharnlp.models.char_gru_causal_lm",
    "CNNLSTMBackbone": "tfcharnlp.models.cnn_lstm_backbone",
    "EmbeddingBag": "tfcharnlp.models.embedding_bag",
    "compile_classifier": "tfcharnlp.models.classifier_compile",
    "SparseCategoricalFocalLoss": "tfcharnlp.models.losses",
    "balanced_class_weights": "tfcharnlp.models.losses",
    "cross_entropy": "tfcharnlp.models.losses",
    "LSTMBackbone": "tfcharnlp.models.lstm_backbone",
    "MacroF1": "tfcharnlp.models.metrics",
    "classification_report": "tfcharnlp.models.metrics",
    "format_classification_report": "tfcharnlp.models.metrics",
    "MultiWidthCNNBackbone": "tfcharnlp.models.multi_width_cnn_backbone",
    "NGramBagBackbone": "tfcharnlp.models.ngram_bag_backbone",
    "OneHotConv1D": "tfcharnlp.models.one_hot_conv1d",
    "GreedySampler": "tfcharnlp.models.samplers",
    "Sampler": "tfcharnlp.models.samplers",
    "TemperatureSampler": "tfcharnlp.models.samplers",
    "TopKSampler": "tfcharnlp.models.samplers",
    "sample_next": "tfcharnlp.models.samplers",
    "SparseAdam": "tfcharnlp.models.sparse_adam",
    "Task": "tfcharnlp.models.task",
    "TextClassifier": "tfcharnlp.models.text_classifier",
    "WordVectorCoverage": "tfcharnlp.models.word_vectors",
    "load_word_vectors": "tfcharnlp.models.word_vectors",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


def register_all():
    """Imports every model module, registering its Keras classes for deserialization.

    Every family's backbone too, so a family added to the registry loads
    from a saved `.keras` file without being listed here.
    """
    from tfcharnlp.models import families

    for module in sorted(set(_EXPORTS.values())):
        import_module(module)
    for family in families.FAMILIES.values():
        family.backbone_class()
