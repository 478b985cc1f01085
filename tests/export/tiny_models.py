"""Tiny models for the export tests: fast, with a hand-made preprocessor.

`TinyCharPreprocessor` maps strings to ids with plain `tf.strings` ops, with
the id convention of `CharTokenizer` (0 padding, 1 unknown, 2.. alphabet), so
the exporters are tested apart from tfcharnlp.preprocessing. The classifier
is a small hand-made Keras model; the language model is a real one-layer
`CharGRUCausalLM` (the generator exporter runs the model's own
`generate_ids`).
"""

import keras
import tensorflow as tf

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 .,;:!?'-\n"


class TinyCharPreprocessor(keras.layers.Layer):
    """Lower-cases, splits into characters and looks them up; dense output of `max_length`."""

    def __init__(self, alphabet=ALPHABET, max_length=32, **kwargs):
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.alphabet = alphabet
        self.max_length = max_length
        self.vocabulary = ["<pad>", "<unk>"] + list(alphabet)
        self.vocabulary_size = len(self.vocabulary)
        self.built = True

    def call(self, text):
        text = tf.convert_to_tensor(text, tf.string)
        characters = tf.strings.unicode_split(tf.strings.lower(text), "UTF-8")
        keys = tf.constant(list(self.alphabet))
        # A brute-force comparison against ~50 characters: no lookup table to track.
        matches = tf.equal(characters.flat_values[:, None], keys[None, :])
        found = tf.reduce_any(matches, axis=1)
        ids = tf.where(
            found, tf.cast(tf.argmax(tf.cast(matches, tf.int32), axis=1), tf.int32) + 2, 1
        )
        ragged = characters.with_flat_values(ids)
        if self.max_length is None:
            return ragged
        return ragged.to_tensor(default_value=0, shape=[None, self.max_length])

    def detokenize(self, ids):
        table = tf.constant(["", "\ufffd"] + list(self.alphabet))
        return tf.strings.reduce_join(tf.gather(table, ids), axis=-1)


def tiny_classifier(num_classes=3, max_length=32, seed=0):
    """A small embedding + conv + pooling classifier and its preprocessor; random weights."""
    keras.utils.set_random_seed(seed)
    preprocessor = TinyCharPreprocessor(max_length=max_length)
    ids = keras.Input((max_length,), dtype="int32")
    features = keras.layers.Embedding(preprocessor.vocabulary_size, 8)(ids)
    features = keras.layers.Conv1D(16, 3, activation="relu")(features)
    features = keras.layers.GlobalMaxPooling1D()(features)
    logits = keras.layers.Dense(num_classes)(features)
    model = keras.Model(ids, logits)
    model.preprocessor = preprocessor
    return model


def tiny_char_lm(hidden_units=16, seed=0, logit_scale=300.0, max_length=None):
    """A one-layer `CharGRUCausalLM` over `TinyCharPreprocessor`, with random weights.

    The output layer's kernel is multiplied by `logit_scale`, so that the
    next-character distribution is far from uniform (as a trained model's is)
    and temperature and top-k have visible effects, without training.
    """
    from tfcharnlp.models import CharGRUBackbone, CharGRUCausalLM

    keras.utils.set_random_seed(seed)
    preprocessor = TinyCharPreprocessor(max_length=max_length)
    backbone = CharGRUBackbone(
        vocabulary_size=preprocessor.vocabulary_size,
        embedding_dim=8,
        hidden_units=hidden_units,
        num_layers=1,
    )
    model = CharGRUCausalLM(backbone, preprocessor=preprocessor)
    kernel, bias = model.lm_head.get_weights()
    model.lm_head.set_weights([kernel * logit_scale, bias])
    return model
