"""The base of every preprocessing layer: string tensors in, TF ops only."""

import keras
import tensorflow as tf

from tfcharnlp.alphabets import PADDING_ID


class PreprocessingLayer(keras.layers.Layer):
    """A Keras layer that runs TensorFlow string ops and owns no weights.

    Keras would try to convert string inputs to its float compute dtype, and
    refuses Python strings as positional arguments; preprocessing layers take
    `tf.string` tensors, Python strings and lists as they come, so both checks
    are off (as in keras-hub's `PreprocessingLayer`). The layer is built at
    construction because it has no weights to create.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True

    @staticmethod
    def _to_string_tensor(inputs, field="inputs"):
        from tfcharnlp.errors import DataError

        if isinstance(inputs, tf.RaggedTensor):
            raise DataError(
                f"{field}: ragged string tensors are not supported; pass a dense tensor"
            )
        inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != tf.string:
            raise DataError(f"{field}: expected a tf.string tensor, got {inputs.dtype.name}")
        return inputs

    @staticmethod
    def _restore_shape(dense, text, max_length):
        """[n, max_length] ids of the flattened text -> text.shape + [max_length]."""
        outputs = tf.reshape(dense, tf.concat([tf.shape(text), [max_length]], axis=0))
        outputs.set_shape(text.shape.concatenate([max_length]))
        return outputs

    @staticmethod
    def _restore_ragged_shape(ids, text):
        """Ragged [n, None] ids of the flattened text -> text.shape + [None]."""
        from tfcharnlp.errors import DataError

        if text.shape.rank == 0:
            return ids[0]
        if text.shape.rank == 1:
            return ids
        if text.shape.rank == 2:
            return tf.RaggedTensor.from_uniform_row_length(
                ids, tf.shape(text, out_type=ids.row_splits.dtype)[1]
            )
        raise DataError("inputs: max_length=None supports inputs of rank 0, 1 or 2")

    @staticmethod
    def _unpadded_rows(ids):
        """Integer ids `[..., length]` (rank >= 1) -> (ragged int32 `[n, None]`
        rows without their padding, the outer shape `[...]` to restore)."""
        ids = tf.cast(ids, tf.int32)
        outer_shape = tf.shape(ids)[:-1]
        # An explicit row count: [-1, 0] has no answer when the length is 0.
        flat = tf.reshape(ids, [tf.reduce_prod(outer_shape), tf.shape(ids)[-1]])
        return tf.ragged.boolean_mask(flat, flat != PADDING_ID), outer_shape
