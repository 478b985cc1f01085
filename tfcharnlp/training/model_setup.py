"""Building and compiling a run's model: the one path `train()` and every tuning trial take.

`build_compiled_model(config, inputs)` sets the dtype policy, builds the
family's backbone and task from the registry's mapping of the config, and
compiles it with the config's optimizer, schedule and loss. A tuning trial
calls it with the trial's config, inside the tuner's strategy scope, so a
trial's model is the model `train()` would build with the same values.
"""

import dataclasses
from typing import Optional

from tfcharnlp.training import devices


@dataclasses.dataclass
class ModelInputs:
    """What building a model needs from the data.

    Args:
        vocabulary_size: token ids, padding and unknown included.
        num_classes: classes of a classifier; None for a language model.
        preprocessor: the raw-string layer the model carries (for export).
        steps_per_epoch: optimizer steps per epoch (schedules count steps).
        embedding_matrix: pre-trained word vectors `[vocabulary, width]`, or None.
    """

    vocabulary_size: int
    num_classes: Optional[int] = None
    preprocessor: object = None
    steps_per_epoch: int = 1
    embedding_matrix: object = None


def build_model(config, inputs):
    """The family's task model (`TextClassifier` or `CharGRUCausalLM`) for a resolved config."""
    family = config.family_spec
    backbone_arguments, task_arguments = family.arguments(config)
    backbone_arguments["vocabulary_size"] = inputs.vocabulary_size
    if inputs.embedding_matrix is not None:
        backbone_arguments.update(
            embedding_dim=int(inputs.embedding_matrix.shape[1]),
            embedding_matrix=inputs.embedding_matrix,
            trainable_embedding=not config.freeze_embedding,
        )
    backbone_arguments.update(config.model_options)
    backbone = family.backbone_class()(**backbone_arguments)
    if family.is_language_model:
        from tfcharnlp.models.char_gru_causal_lm import CharGRUCausalLM

        return CharGRUCausalLM(
            backbone=backbone, preprocessor=inputs.preprocessor, **task_arguments
        )
    from tfcharnlp.models.text_classifier import TextClassifier

    return TextClassifier(
        backbone=backbone,
        num_classes=inputs.num_classes,
        preprocessor=inputs.preprocessor,
        **task_arguments,
    )


def compile_model(model, config, inputs):
    """Compiles `model` with the config's optimizer (and schedule), loss, metrics and steps per call."""
    import keras

    from tfcharnlp.models.classifier_compile import compile_classifier
    from tfcharnlp.training.optimizers import make_optimizer

    optimizer = make_optimizer(config, inputs.steps_per_epoch)
    jit_compile = devices.jit_compile_option(config.jit_compile)
    if config.is_language_model:
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit_compile,
            steps_per_execution=config.steps_per_execution,
        )
        return model
    return compile_classifier(
        model,
        optimizer=optimizer,
        loss=config.loss,
        label_smoothing=config.label_smoothing,
        focal_gamma=config.focal_gamma,
        num_classes=inputs.num_classes,
        jit_compile=jit_compile,
        steps_per_execution=config.steps_per_execution,
    )


def build_compiled_model(config, inputs):
    """Sets the config's dtype policy, then builds and compiles the model.

    The policy is set here, right before the layers are made, because
    `keras.backend.clear_session()` (which KerasTuner runs before every
    trial) resets it: setting it once per process would leave every trial
    after the first in float32. Call it inside the strategy's scope.
    """
    devices.configure_precision(config.precision)
    return compile_model(build_model(config, inputs), config, inputs)


def _first_layer_row_width(model, vocabulary_size):
    """Floats per id of the model's largest weight with a row per id (embedding or one-hot conv).

    CharCNN's one-hot convolution has no row for the padding id, so a
    dimension of `vocabulary_size - 1` counts too. None when no weight has one.
    """
    import math

    widths = [
        math.prod(weight.shape) // dim
        for weight in model.backbone.weights
        for dim in dict.fromkeys(weight.shape)
        if dim in (vocabulary_size, vocabulary_size - 1)
    ]
    return max(widths, default=None)


def first_layer_warning(config, model, train_ids):
    """`char_modes.embedding_table_warning` for a character model's first layer, or None.

    The ids the training texts use are counted (one pass over `train_ids`,
    `(ids, label)` batches) only when the table is large enough to warn about.
    """
    import numpy as np

    from tfcharnlp.char_modes import embedding_table_warning

    if config.tokenizer != "char":
        return None
    vocabulary_size = model.preprocessor.tokenizer.vocabulary_size
    row_width = _first_layer_row_width(model, vocabulary_size)
    if (
        row_width is None
        or embedding_table_warning(config.char_mode, vocabulary_size, row_width) is None
    ):
        return None
    used = set()
    for ids, _ in train_ids.as_numpy_iterator():
        used.update(np.unique(ids).tolist())
    return embedding_table_warning(config.char_mode, vocabulary_size, row_width, used_ids=len(used))
