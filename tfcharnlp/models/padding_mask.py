"""Zeroes what a convolution stack computes from padding alone, so a global maximum reads text only."""

import keras
import tensorflow as tf

from tfcharnlp.alphabets import PADDING_ID


@keras.saving.register_keras_serializable(package="tfcharnlp")
class TextLengths(keras.layers.Layer):
    """ids `[batch, length]` -> int32 `[batch]`: the ids before the padding (`PADDING_ID`s at the end)."""

    def call(self, token_ids):
        return keras.ops.sum(
            keras.ops.cast(keras.ops.not_equal(token_ids, PADDING_ID), "int32"), axis=1
        )

    def compute_output_shape(self, input_shape):
        return input_shape[:1]


@keras.saving.register_keras_serializable(package="tfcharnlp")
class MaskPadding(keras.layers.Layer):
    """`[features, text lengths]` -> the features with the positions that read only padding zeroed.

    Position `i` of a "valid" convolution reads inputs `i .. i + k - 1`, so it
    reads text when `i < length`; after poolings of total stride `stride` the
    text covers `ceil(length / stride)` positions. Zeroed there, the ReLU
    features' maximum sees only the text: the same text scores the same
    however much padding follows it, whether the model trains on short
    windows or predicts a long padded batch. The mask is built on the
    features' own length at run time, so it always matches them (even for
    the empty batch a replica of a `MirroredStrategy` can get).

    Args:
        stride: int. Product of the pooling strides before these features.
    """

    def __init__(self, stride=1, **kwargs):
        super().__init__(**kwargs)
        self.stride = int(stride)

    def call(self, inputs):
        features, lengths = inputs
        covered = (lengths + self.stride - 1) // self.stride
        # The length at run time (tf.shape, not the static one): on an empty
        # batch TensorFlow's CPU convolution keeps its input length.
        positions = tf.range(tf.shape(features)[1], dtype="int32")
        mask = keras.ops.less(positions[None, :], covered[:, None])
        return features * keras.ops.cast(mask, features.dtype)[:, :, None]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "stride": self.stride}
