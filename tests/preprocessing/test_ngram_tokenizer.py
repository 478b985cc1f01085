import pytest
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.preprocessing import NGramTokenizer, TextNormalizer, TextPreprocessor

SMALL = {"num_buckets": 100, "ngrams": 2, "max_length": 4}


def hashed(strings, num_buckets):
    """The ids the tokenizer must give `strings` (bucket + the two reserved ids)."""
    return (tf.strings.to_hash_bucket_fast(strings, num_buckets) + 2).numpy().tolist()


class TestNGramTokenizer(TestCase):
    def test_exact_ids_every_runtime(self):
        # "the", "the cat", "cat", "cat sat" (cut at 4; "the" and "cat sat" share bucket 54).
        self.run_preprocessing_layer_test(
            NGramTokenizer,
            SMALL,
            ["The cat sat", "cat", ""],
            expected_output=[[56, 20, 98, 56], [98, 0, 0, 0], [0, 0, 0, 0]],
        )

    def test_scalar_and_matrix_input(self):
        tokenizer = NGramTokenizer(**SMALL)
        self.assertAllEqual(tokenizer("The cat"), [56, 20, 98, 0])
        ids = tokenizer([["cat"], ["the cat"]])
        assert ids.shape == (2, 1, 4)
        self.assertAllEqual(ids, [[[98, 0, 0, 0]], [[56, 20, 98, 0]]])

    def test_items_in_text_order(self):
        tokenizer = NGramTokenizer(num_buckets=10, ngrams=3, max_length=None)
        strings = tokenizer.ngram_strings(["a b c d", "x y"]).to_list()
        assert strings == [
            [b"a", b"a b", b"a b c", b"b", b"b c", b"b c d", b"c", b"c d", b"d"],
            [b"x", b"x y", b"y"],
        ]

    def test_ids_are_the_hashes_of_ngram_strings(self):
        tokenizer = NGramTokenizer(num_buckets=997, ngrams=3, char_ngrams=(2, 4), max_length=None)
        texts = ["Hello, wörld!", "a", "", "un deux trois quatre"]
        ids = tokenizer(texts).to_list()
        strings = tokenizer.ngram_strings(texts).to_list()
        assert [len(row) for row in ids] == [len(row) for row in strings]
        assert ids == [hashed(row, 997) if row else [] for row in strings]
        assert all(2 <= i < tokenizer.vocabulary_size for row in ids for i in row)

    def test_non_ascii_char_ngrams_every_runtime(self):
        # fastText's subwords of "<été>" for widths 2-3, then the punctuation token's.
        kwargs = {"num_buckets": 100, "ngrams": 1, "char_ngrams": (2, 3), "max_length": None}
        kwargs["split"] = "punctuation"
        tokenizer = NGramTokenizer(**kwargs)
        strings = tokenizer.ngram_strings(["Été!"]).to_list()[0]
        expected = ["été", " <é", " ét", " té", " é>", " <ét", " été", " té>", "!", " <!", " !>"]
        expected.append(" <!>")
        assert [s.decode("utf-8") for s in strings] == expected
        self.run_preprocessing_layer_test(
            NGramTokenizer,
            kwargs,
            ["Été!"],
            expected_output=[[36, 30, 75, 71, 4, 20, 33, 13, 88, 20, 88, 7]],
        )

    def test_char_ngrams_skip_the_lone_marks_and_keep_apart_from_words(self):
        tokenizer = NGramTokenizer(num_buckets=10, ngrams=1, char_ngrams=(1, 2), max_length=None)
        strings = tokenizer.ngram_strings(["ab"]).to_list()[0]
        # The word, then its 1-grams (no lone "<" or ">") and 2-grams, each with the prefix
        # that keeps the n-gram "ab" of "<ab>" from hashing as the word "ab".
        assert strings == [b"ab", b" a", b" b", b" <a", b" ab", b" b>"]

    def test_invalid_utf8_and_empty_text_never_fail(self):
        tokenizer = NGramTokenizer(
            num_buckets=50, char_ngrams=(3, 3), max_length=6, lowercase=False
        )
        ids = tokenizer(tf.constant([b"caf\xe9 ok", b"", b"\xff"])).numpy()
        assert ids.shape == (3, 6)
        assert (ids[0] >= 2).sum() == 6 and (ids[1] == 0).all() and (ids[2][:1] >= 2).all()
        lowered = NGramTokenizer(num_buckets=50, max_length=None)
        strings = lowered.ngram_strings(tf.constant([b"A\xffB"])).to_list()
        assert strings == [["a\ufffdb".encode("utf-8")]]

    def test_huge_text_is_cut_to_its_first_words(self):
        tokenizer = NGramTokenizer(num_buckets=1000, max_length=16)
        words = [f"w{index % 5000}" for index in range(500_000)]
        huge = tokenizer([" ".join(words)]).numpy()
        self.assertAllEqual(huge, tokenizer([" ".join(words[:20])]).numpy())

    def test_in_a_text_preprocessor(self):
        preprocessor = TextPreprocessor(
            tokenizer=NGramTokenizer(**SMALL), normalizer=TextNormalizer(steps=("strip_html",))
        )
        self.assertAllEqual(preprocessor(["The<br />cat sat"]), [[56, 20, 98, 56]])
        assert preprocessor.vocabulary_size == 102
        assert preprocessor.max_length == 4
        revived = TextPreprocessor.from_config(preprocessor.get_config())
        self.assertAllEqual(revived(["cat"]), [[98, 0, 0, 0]])

    def test_vocabulary_is_the_reserved_ids(self, tmp_path):
        tokenizer = NGramTokenizer(**SMALL)
        assert tokenizer.vocabulary == ["<pad>", "<unk>"]
        assert tokenizer.vocabulary_size == 102
        path = tokenizer.save_vocabulary(tmp_path / "vocabulary.txt")
        assert path.read_text(encoding="utf-8").splitlines() == ["<pad>", "<unk>"]

    def test_detokenize_is_an_error_that_says_why(self):
        with pytest.raises(ConfigError, match="hash buckets"):
            NGramTokenizer(**SMALL).detokenize([[56, 20]])

    def test_config_has_every_hyperparameter(self):
        config = NGramTokenizer(
            num_buckets=7, ngrams=3, char_ngrams=(2, 5), max_length=9, split="punctuation"
        ).get_config()
        expected = {"num_buckets": 7, "ngrams": 3, "char_ngrams": [2, 5], "max_length": 9}
        expected.update(split="punctuation", lowercase=True)
        assert {key: config[key] for key in expected} == expected

    @pytest.mark.parametrize(
        "kwargs, field",
        [
            ({"num_buckets": 0}, "num_buckets"),
            ({"num_buckets": 2**31}, "num_buckets"),
            ({"ngrams": 0}, "ngrams"),
            ({"char_ngrams": (3, 2)}, "char_ngrams"),
            ({"char_ngrams": (0, 2)}, "char_ngrams"),
            ({"char_ngrams": 3}, "char_ngrams"),
            ({"max_length": 0}, "max_length"),
            ({"split": "bpe"}, "split"),
        ],
    )
    def test_bad_config_names_the_field(self, kwargs, field):
        with pytest.raises(ConfigError) as error:
            NGramTokenizer(**kwargs)
        assert error.value.field == field
