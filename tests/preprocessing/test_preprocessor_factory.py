"""`build_preprocessor`: the preprocessor a run's config describes."""

import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.preprocessing import NGramTokenizer, TextPreprocessor
from tfcharnlp.preprocessing.preprocessor_factory import build_preprocessor
from tfcharnlp.training.train_config import TrainConfig

DATA = {"path": "train.csv"}


def resolved(**fields):
    return TrainConfig.from_dict({"data": DATA, **fields}).resolve()


class TestNGramPreprocessor(TestCase):
    def test_ngram_bag_builds_a_hashing_preprocessor_from_its_recipe(self):
        config = resolved(family="ngram_bag", normalize=["strip_html", "lower"])
        preprocessor = build_preprocessor(config)  # no texts: hashing needs no vocabulary
        assert isinstance(preprocessor, TextPreprocessor)
        tokenizer = preprocessor.tokenizer
        assert isinstance(tokenizer, NGramTokenizer)
        assert (tokenizer.num_buckets, tokenizer.ngrams, tokenizer.char_ngrams) == (
            2_000_000,
            2,
            None,
        )
        assert tokenizer.max_length == config.max_length == 2048
        # The normalizer lower-cases, so the tokenizer does not do it again.
        assert tokenizer.lowercase is False
        assert preprocessor.vocabulary_size == 2_000_002
        expected = NGramTokenizer(num_buckets=2_000_000, max_length=2048)(["the cat sat"])
        self.assertAllEqual(preprocessor(["The <br />cat SAT"]), expected)

    def test_the_ngram_fields_reach_the_tokenizer(self):
        config = resolved(
            family="ngram_bag",
            normalize=[],
            buckets=1000,
            word_ngrams=3,
            char_ngram_min=2,
            char_ngram_max=4,
            max_length=64,
            word_split="punctuation",
        )
        tokenizer = build_preprocessor(config).tokenizer
        assert (tokenizer.num_buckets, tokenizer.ngrams, tokenizer.char_ngrams) == (1000, 3, (2, 4))
        assert (tokenizer.max_length, tokenizer.split) == (64, "punctuation")
        # Without a lower-casing normalizer the tokenizer lower-cases, as the word tokenizer does.
        assert tokenizer.lowercase is True
        strings = tokenizer.ngram_strings(tf.constant(["Hi!"])).to_list()[0]
        assert strings[:2] == [b"hi", b"hi !"]
        assert b" <h" in strings and b" hi>" in strings
