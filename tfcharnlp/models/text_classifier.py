"""A text classifier over any backbone: ids -> logits."""

import keras

from tfcharnlp.models.task import Task
from tfcharnlp.validation import check_positive, check_rate


@keras.saving.register_keras_serializable(package="tfcharnlp")
class TextClassifier(Task):
    """Backbone features -> dropout -> `Dense(num_classes)` logits.

    The logits are float32 even under a mixed-precision policy, so the loss
    and the softmax stay exact. Train with a from-logits loss
    (`compile_classifier` sets one up).

    Args:
        backbone: a `Backbone` mapping ids `[batch, sequence]` to features
            `[batch, d]`.
        num_classes: int. Number of classes.
        preprocessor: optional Keras layer mapping raw strings `[batch]` to
            the backbone's ids; used by `predict_texts` and the exporter.
        dropout: float. Dropout on the backbone features.
        kernel_initializer: initializer of the output layer.

    Call arguments:
        token_ids: int32 `[batch, sequence]`, 0 = padding.

    Returns:
        float32 logits `[batch, num_classes]`.

    Example:
    ```python
    backbone = CharCNNBackbone(vocabulary_size=72, max_length=1014)
    classifier = TextClassifier(backbone, num_classes=4)
    compile_classifier(classifier, num_classes=4)
    classifier.fit(ids, labels, epochs=1)
    ```
    """

    def __init__(
        self,
        backbone,
        num_classes,
        preprocessor=None,
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        check_positive("num_classes", num_classes)
        check_rate("dropout", dropout)

        # === Layers ===
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.output_dense = keras.layers.Dense(
            num_classes,
            kernel_initializer=kernel_initializer,
            dtype="float32",
            name="logits",
        )

        # === Functional Model ===
        token_ids = backbone.input
        features = backbone(token_ids)
        logits = self.output_dense(self.output_dropout(features))
        super().__init__(inputs=token_ids, outputs=logits, **kwargs)
        self.attach(backbone, preprocessor)

        # === Config ===
        self.num_classes = num_classes
        self.dropout = dropout
        self.kernel_initializer = keras.initializers.serialize(
            keras.initializers.get(kernel_initializer)
        )

    def predict_texts(self, texts, batch_size=256):
        """Logits `[n, num_classes]` (numpy) for raw strings, via the preprocessor."""
        return self.predict(self.preprocess(texts), batch_size=batch_size, verbose=0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "dropout": self.dropout,
                "kernel_initializer": self.kernel_initializer,
            }
        )
        return config
