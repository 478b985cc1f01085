import pytest
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.preprocessing import WordTokenizer

VOCABULARY = ["<pad>", "<unk>", "the", "cat", "sat"]


class TestWordTokenizer(TestCase):
    def test_adapt_ranks_by_frequency_then_bytes(self):
        tokenizer = WordTokenizer(max_tokens=6, max_length=4)
        tokenizer.adapt(["b a c", "a b", "a d", "c"])
        # a:3, then b:2 and c:2 tied (b < c), then d:1 cut by max_tokens.
        assert tokenizer.vocabulary == ["<pad>", "<unk>", "a", "b", "c", "d"]
        tokenizer = WordTokenizer(max_tokens=5, max_length=4)
        tokenizer.adapt(["b a c", "a b", "a d", "c"])
        assert tokenizer.vocabulary == ["<pad>", "<unk>", "a", "b", "c"]
        self.assertAllEqual(tokenizer(["a d b"]), [[2, 1, 3, 0]])

    def test_adapt_is_deterministic_across_inputs(self):
        texts = ["x y z", "z y", "q", "Y"]
        from_list = WordTokenizer(max_tokens=None)
        from_list.adapt(texts)
        from_dataset = WordTokenizer(max_tokens=None)
        labels = tf.data.Dataset.from_tensor_slices((list(reversed(texts)), [0, 1, 2, 3]))
        from_dataset.adapt(labels.batch(3))
        assert from_list.vocabulary == from_dataset.vocabulary
        assert from_list.vocabulary == ["<pad>", "<unk>", "y", "z", "q", "x"]

    def test_adapt_skips_reserved_tokens(self):
        tokenizer = WordTokenizer()
        tokenizer.adapt(["<unk> <pad> a"])
        assert tokenizer.vocabulary == ["<pad>", "<unk>", "a"]
        self.assertAllEqual(tokenizer(["<pad> a"])[0, :2], [1, 2])

    def test_exact_ids_every_runtime(self):
        self.run_preprocessing_layer_test(
            WordTokenizer,
            {"max_length": 3, "vocabulary": VOCABULARY},
            ["The cat sat down", "cat", ""],
            expected_output=[[2, 3, 4], [3, 0, 0], [0, 0, 0]],
        )

    def test_scalar_and_matrix_input(self):
        tokenizer = WordTokenizer(max_length=2, vocabulary=VOCABULARY)
        self.assertAllEqual(tokenizer("the dog"), [2, 1])
        self.assertAllEqual(tokenizer([["cat"], ["sat the"]]), [[[3, 0]], [[4, 2]]])

    def test_unicode_script_split(self):
        tokenizer = WordTokenizer(max_length=None, split="unicode_script")
        tokenizer.adapt(["Hello, 世界!", "hello"])
        assert tokenizer.vocabulary == ["<pad>", "<unk>", "hello", "!", ",", "世界"]
        assert tokenizer(["hello,世界 zz"]).to_list() == [[2, 4, 5, 1]]

    def test_split_words_matches_the_ids(self):
        tokenizer = WordTokenizer(split="unicode_script", max_length=None)
        texts = ["It's GREAT!", "bad , worse"]
        tokenizer.adapt(texts)
        words = tokenizer.split_words(texts).to_list()
        assert words == [[b"it", b"'", b"s", b"great", b"!"], [b"bad", b",", b"worse"]]
        ids = tokenizer(texts).to_list()
        expected = [[tokenizer.vocabulary.index(w.decode()) for w in row] for row in words]
        assert ids == expected

    def test_invalid_utf8_is_oov_not_a_crash(self):
        tokenizer = WordTokenizer(max_length=3, vocabulary=VOCABULARY, lowercase=False)
        self.assertAllEqual(tokenizer(tf.constant([b"the \xff cat"])), [[2, 1, 3]])

    def test_detokenize(self):
        tokenizer = WordTokenizer(max_length=5, vocabulary=VOCABULARY)
        out = tokenizer.detokenize(tokenizer(["The cat SAT", "dog cat"]))
        assert out.numpy().tolist() == [b"the cat sat", b"<unk> cat"]

    def test_vocabulary_file_round_trip(self, tmp_path):
        tokenizer = WordTokenizer(vocabulary=VOCABULARY[2:])
        assert tokenizer.vocabulary == VOCABULARY
        path = tokenizer.save_vocabulary(tmp_path / "vocabulary.txt")
        assert path.read_text(encoding="utf-8").splitlines() == VOCABULARY
        assert WordTokenizer(vocabulary=str(path)).vocabulary == VOCABULARY

    def test_calling_before_adapt_is_an_error(self):
        with pytest.raises(ConfigError) as error:
            WordTokenizer()(["a"])
        assert error.value.field == "vocabulary"

    @pytest.mark.parametrize(
        "kwargs, field",
        [
            ({"split": "bpe"}, "split"),
            ({"max_tokens": 2}, "max_tokens"),
            ({"vocabulary": ["a", "a"]}, "vocabulary"),
            ({"vocabulary": ["a", "<unk>"]}, "vocabulary"),
            ({"vocabulary": ["a", "b", "c"], "max_tokens": 4}, "vocabulary"),
        ],
    )
    def test_bad_config_names_the_field(self, kwargs, field):
        with pytest.raises(ConfigError) as error:
            WordTokenizer(**kwargs)
        assert error.value.field == field

    def test_adapt_rejects_a_single_string(self):
        with pytest.raises(DataError):
            WordTokenizer().adapt("just one text")
