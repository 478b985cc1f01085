"""Which positions of a convolution stack read text, so padding adds nothing to a global maximum."""

import keras


@keras.saving.register_keras_serializable(package="tfcharnlp")
class PaddingMask(keras.layers.Layer):
    """ids `[batch, length]` -> float `[batch, length, 1]`: 1 at text, 0 at padding (id 0).

    Carried through the convolutions and poolings with `MaxPooling1D` of the
    same window (a position is text if its window reads any text), and
    multiplied into the features, it zeroes what the stack computes from
    padding alone. A maximum over ReLU features then sees only the text: the
    same text scores the same however much padding follows it, whether the
    model trains on short windows or predicts a long padded batch.
    """

    def call(self, token_ids):
        return keras.ops.expand_dims(
            keras.ops.cast(keras.ops.not_equal(token_ids, 0), "float32"), -1
        )

    def compute_output_shape(self, input_shape):
        return (*input_shape, 1)
