"""String ops shared by the preprocessing layers."""

import tensorflow as tf
import tensorflow_text as tf_text


def unicode_lower(text):
    """Unicode lower case of a `tf.string` tensor, keeping NUL characters.

    `tf.strings.lower(encoding="utf-8")` stops at the first NUL byte
    (TensorFlow 2.21: `lower(b"A\\x00B")` gives `b"a"`), which would silently
    drop the rest of the text. So NUL is escaped around the lowering: "%"
    becomes "%p" and NUL "%n" (lower case leaves both alone), and the escapes
    are undone in the opposite order, which is unambiguous because after
    escaping every "%" starts an escape. Invalid UTF-8 bytes become U+FFFD.
    """
    escaped = tf.strings.regex_replace(text, "%", "%p")
    escaped = tf.strings.regex_replace(escaped, r"\x00", "%n")
    lowered = tf.strings.lower(escaped, encoding="utf-8")
    lowered = tf.strings.regex_replace(lowered, "%n", b"\x00")
    return tf.strings.regex_replace(lowered, "%p", "%")


# How text is split into words, by name (the `split` argument of the word-level tokenizers).
WORD_SPLITS = ("whitespace", "unicode_script", "punctuation")
# A run of characters that are neither letters, marks, digits nor spaces:
# punctuation and symbols ("...", "!?", ":)", "$").
PUNCTUATION_PATTERN = r"([^\p{L}\p{M}\p{N}\p{Z}\s]+)"


def split_words(flat_text, split):
    """`[n]` strings -> ragged `[n, None]` words, split the named way.

    - "whitespace": at Unicode whitespace (tensorflow-text's `WhitespaceTokenizer`).
    - "unicode_script": also where the Unicode script changes
      (`UnicodeScriptTokenizer`), so punctuation runs, digits and CJK runs
      become tokens ("1990s" -> "1990", "s").
    - "punctuation": at whitespace and around each run of punctuation or
      symbols, which become tokens ("don't!" -> "don", "'", "t", "!"), as
      fastText's and most word pipelines' preparation does; letters and
      digits stay together ("1990s"). One RE2 pass and a whitespace split,
      several times faster than "unicode_script" (IMDB's 25,000 reviews:
      about 1.5-3 s against 10-12 s on this project's 2-core machine).
    """
    if split == "whitespace":
        return tf_text.WhitespaceTokenizer().tokenize(flat_text)
    if split == "unicode_script":
        return tf_text.UnicodeScriptTokenizer().tokenize(flat_text)
    if split == "punctuation":
        spaced = tf.strings.regex_replace(flat_text, PUNCTUATION_PATTERN, r" \1 ")
        return tf_text.WhitespaceTokenizer().tokenize(spaced)
    raise ValueError(f"unknown split {split!r}; expected one of {WORD_SPLITS}")
