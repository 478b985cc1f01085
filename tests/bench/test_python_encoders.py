"""bench.python_encoders: the baselines give the same ids as the tokenizers they stand beside."""

import numpy as np

from bench import python_encoders
from tfcharnlp.preprocessing import CharTokenizer, WordTokenizer

TEXTS = [
    "Hello, World!",
    "",
    "ÀÉÎ accents ü and a tab\tand\nnew line",
    "x" * 40,
    "日本語 and emoji 🙂 ok",
]


def test_code_point_table_matches_char_tokenizer():
    tokenizer = CharTokenizer(
        alphabet="abcdefghijklmnopqrstuvwxyz ,!\n", max_length=24, lowercase=True
    )
    encoder = python_encoders.CodePointTableEncoder(tokenizer.vocabulary, 24, lowercase=True)
    np.testing.assert_array_equal(encoder.ids(TEXTS), tokenizer(TEXTS).numpy())


def test_code_point_table_one_hot_is_the_identity_row_of_each_id():
    tokenizer = CharTokenizer(alphabet="abc", max_length=5)
    encoder = python_encoders.CodePointTableEncoder(tokenizer.vocabulary, 5, lowercase=False)
    one_hot = encoder.one_hot(["ab", "cx"])
    assert one_hot.shape == (2, 5, tokenizer.vocabulary_size) and one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot.argmax(axis=-1), encoder.ids(["ab", "cx"]))
    assert (one_hot.sum(axis=-1) == 1).all()


def test_word_dict_encoder_matches_word_tokenizer():
    tokenizer = WordTokenizer(max_tokens=8, max_length=4)
    tokenizer.adapt(["the cat", "the dog", "a cat"])
    encoder = python_encoders.WordDictEncoder(tokenizer.vocabulary, 4, lowercase=True)
    texts = ["The cat sat", "", "a  dog the cat the", "Ünknown CAT"]
    np.testing.assert_array_equal(encoder.ids(texts), tokenizer(texts).numpy())


def test_rate_and_run_in_processes_count_every_text():
    encoder = python_encoders.WordDictEncoder(["<pad>", "<unk>", "a"], 3, lowercase=False)
    texts = ["a b"] * 50
    assert python_encoders.rate(encoder.ids, texts, 8) > 0
    assert python_encoders.run_in_processes(encoder, "ids", texts, 8, 2) > 0
