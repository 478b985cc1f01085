"""One call to compile a classifier with our losses and metrics."""

import keras

from tfcharnlp.errors import ConfigError
from tfcharnlp.models.losses import SparseCategoricalFocalLoss, cross_entropy
from tfcharnlp.models.metrics import MacroF1

LOSSES = ("cross_entropy", "focal")


def compile_classifier(
    model,
    optimizer="adam",
    learning_rate=1e-3,
    loss="cross_entropy",
    label_smoothing=0.0,
    focal_gamma=2.0,
    focal_alpha=None,
    num_classes=None,
    jit_compile=False,
    **compile_kwargs,
):
    """Compile a logits classifier with a from-logits loss, accuracy and macro F1.

    Args:
        model: a model producing logits `[batch, num_classes]`.
        optimizer: a `keras.optimizers.Optimizer`, or a name ("adam",
            "sgd", ...) built with `learning_rate`.
        learning_rate: float or schedule, when `optimizer` is a name.
        loss: "cross_entropy" or "focal", or a Keras loss.
        label_smoothing: float in [0, 1).
        focal_gamma: float. Focusing strength of the focal loss.
        focal_alpha: optional per-class weights of the focal loss.
        num_classes: int; default: the model's `num_classes` or output size.
        jit_compile: bool. XLA (an option for GPUs; off on CPU).
        **compile_kwargs: passed to `model.compile`.

    Returns:
        the model.
    """
    if num_classes is None:
        num_classes = getattr(model, "num_classes", None) or model.output_shape[-1]
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": learning_rate}}
        )
    if isinstance(loss, str):
        if loss == "cross_entropy":
            loss = cross_entropy(label_smoothing)
        elif loss == "focal":
            loss = SparseCategoricalFocalLoss(
                gamma=focal_gamma, alpha=focal_alpha, label_smoothing=label_smoothing
            )
        else:
            raise ConfigError("loss", f"expected one of {list(LOSSES)}, received {loss!r}")
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            MacroF1(num_classes, name="macro_f1"),
        ],
        jit_compile=jit_compile,
        **compile_kwargs,
    )
    return model
