"""Dropout on the input characters: the regularizer of small character-level data sets."""

import keras

from tfcharnlp.alphabets import PADDING_ID
from tfcharnlp.validation import check_rate


@keras.saving.register_keras_serializable(package="tfcharnlp")
class CharacterDropout(keras.layers.Layer):
    """ids -> ids with each one replaced by padding (`PADDING_ID`) with probability `rate`, in training only.

    A dropped character reaches the first convolution as the zero vector, as
    the input dropout of one-hot character models does (`dropout_input` of
    ahmedbesbes/character-based-cnn): each epoch the network reads a
    different misspelling of every text, so it cannot memorize exact strings.

    Args:
        rate: float in [0, 1). Share of the characters dropped.
        seed: int or None. Seed of the drops.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("rate", rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, token_ids, training=False):
        if not training or self.rate == 0:
            return token_ids
        keep = keras.random.uniform(keras.ops.shape(token_ids), seed=self.seed_generator)
        return keras.ops.where(
            keep >= self.rate, token_ids, keras.ops.full_like(token_ids, PADDING_ID)
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
