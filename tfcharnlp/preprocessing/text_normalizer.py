"""In-graph text normalization: each step a string-to-string TensorFlow op."""

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from tfcharnlp.errors import ConfigError
from tfcharnlp.preprocessing.preprocessing_layer import PreprocessingLayer
from tfcharnlp.preprocessing.string_ops import unicode_lower

# RE2 patterns (tf.strings.regex_replace). The char-CNN trainer these steps
# come from uses `#[A-Za-z0-9_]+` and `@[A-Za-z0-9_]+`; we accept any letter,
# digit or mark so that `#café` goes whole, and require a non-word character
# (or the start) before `@`/`#` so that e-mail addresses and `C#` survive.
# RE2 has no look-behind, so the preceding character is captured and kept.
_WORD = r"[\p{L}\p{N}\p{M}_]"
URL_PATTERN = r"(?i)\b(?:https?://|www\.)\S+"
HASHTAG_PATTERN = r"(^|[^\p{L}\p{N}\p{M}_])#" + _WORD + "+"
MENTION_PATTERN = r"(^|[^\p{L}\p{N}\p{M}_])@" + _WORD + "+"
# An HTML/XML tag such as IMDB's `<br />`: `<`, a letter or `/`, no `<>` inside.
HTML_TAG_PATTERN = r"</?[A-Za-z][^<>]*>"


def _lower(text):
    # Unicode-aware: "É" -> "é". Invalid UTF-8 bytes come out as U+FFFD.
    return unicode_lower(text)


def _nfkc(text):
    return tf_text.normalize_utf8(text, "NFKC")


def _remove_urls(text):
    return tf.strings.regex_replace(text, URL_PATTERN, "")


def _remove_hashtags(text):
    return tf.strings.regex_replace(text, HASHTAG_PATTERN, r"\1")


def _remove_mentions(text):
    return tf.strings.regex_replace(text, MENTION_PATTERN, r"\1")


def _strip_html(text):
    return tf.strings.regex_replace(text, HTML_TAG_PATTERN, " ")


STEPS = {
    "lower": _lower,
    "nfkc": _nfkc,
    "remove_urls": _remove_urls,
    "remove_hashtags": _remove_hashtags,
    "remove_mentions": _remove_mentions,
    "strip_html": _strip_html,
}


@keras.saving.register_keras_serializable(package="tfcharnlp")
class TextNormalizer(PreprocessingLayer):
    """Normalizes strings inside the graph, one step after another.

    The steps are those of the popular PyTorch char-CNN trainer
    (ahmedbesbes/character-based-cnn), written as TensorFlow ops so the same
    normalization runs in `tf.data` and inside an exported SavedModel:

    - `"lower"`: Unicode lower case (`tf.strings.lower(encoding="utf-8")`,
      made safe for NUL characters); invalid UTF-8 bytes become U+FFFD.
    - `"nfkc"`: Unicode NFKC (`tensorflow_text.normalize_utf8`), e.g. the
      ligature "ﬁ" -> "fi", full-width "Ａ" -> "A".
    - `"remove_urls"`: deletes `http://...`, `https://...` and `www....` up to
      the next whitespace.
    - `"remove_hashtags"`, `"remove_mentions"`: delete `#tag` and `@user`
      (letters, digits, marks and `_`), but not the `@` inside an e-mail address.
    - `"strip_html"`: replaces HTML tags such as IMDB's `<br />` with a space,
      so they neither glue words together nor become tokens (`a < b` stays).

    Removal leaves the surrounding whitespace as it was.

    Args:
        steps: sequence of step names, applied in order.

    Call arguments:
        inputs: `tf.string` tensor of any shape (or a Python string or list).
            Returns a `tf.string` tensor of the same shape.

    Example:
    >>> normalizer = TextNormalizer(steps=("remove_mentions", "lower"))
    >>> normalizer(["Hi @bob, SEE ÉTÉ"]).numpy()[0].decode()
    'hi , see été'
    """

    def __init__(self, steps=("lower",), **kwargs):
        super().__init__(**kwargs)
        if isinstance(steps, str):
            steps = (steps,)
        try:
            steps = tuple(steps)
        except TypeError:
            raise ConfigError(
                "steps", f"expected a sequence of step names, got {steps!r}"
            ) from None
        unknown = [step for step in steps if step not in STEPS]
        if unknown:
            raise ConfigError("steps", f"unknown step(s) {unknown}; choose from {sorted(STEPS)}")
        self.steps = steps

    def call(self, inputs):
        text = self._to_string_tensor(inputs)
        for step in self.steps:
            text = STEPS[step](text)
        return text

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"steps": list(self.steps)})
        return config
