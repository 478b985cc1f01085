import numpy as np
import pytest
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.preprocessing import CharTokenizer, TextPreprocessor, make_pipeline

TEXTS = ["ab", "c", "abc", "", "ba"]


class TestMakePipeline(TestCase):
    def test_text_label_batches_match_eager_ids(self):
        tokenizer = CharTokenizer(max_length=3)
        dataset = tf.data.Dataset.from_tensor_slices((TEXTS, [0, 1, 0, 1, 0]))
        batches = list(make_pipeline(dataset, tokenizer, batch_size=2).as_numpy_iterator())
        assert [ids.shape for ids, _ in batches] == [(2, 3), (2, 3), (1, 3)]
        self.assertAllEqual(np.concatenate([ids for ids, _ in batches]), tokenizer(TEXTS))
        self.assertAllEqual(np.concatenate([labels for _, labels in batches]), [0, 1, 0, 1, 0])

    def test_text_only_dataset(self):
        preprocessor = TextPreprocessor(tokenizer=CharTokenizer(max_length=2))
        dataset = tf.data.Dataset.from_tensor_slices(TEXTS)
        pipeline = make_pipeline(dataset, preprocessor, batch_size=4, drop_remainder=True)
        batches = list(pipeline.as_numpy_iterator())
        assert len(batches) == 1
        self.assertAllEqual(batches[0], preprocessor(TEXTS[:4]))

    def test_shuffle_is_seeded_and_reshuffles_each_epoch(self):
        texts = [f"{i}" for i in range(10)]
        tokenizer = CharTokenizer(max_length=1)
        dataset = tf.data.Dataset.from_tensor_slices((texts, list(range(10))))

        def epochs(pipeline):
            return [np.concatenate([y for _, y in pipeline.as_numpy_iterator()]) for _ in range(2)]

        first = epochs(make_pipeline(dataset, tokenizer, 4, shuffle_buffer=10, cache=True, seed=7))
        second = epochs(make_pipeline(dataset, tokenizer, 4, shuffle_buffer=10, cache=True, seed=7))
        self.assertAllEqual(first, second)
        assert sorted(first[0]) == list(range(10))
        assert not np.array_equal(first[0], first[1])
        # Ids still belong to their labels after shuffling.
        for ids, labels in make_pipeline(dataset, tokenizer, 4, shuffle_buffer=10, seed=1):
            self.assertAllEqual(ids[:, 0], labels.numpy() + 28)  # "0" has id 28.

    def test_cache_without_shuffle_gives_the_same_batches(self):
        dataset = tf.data.Dataset.from_tensor_slices(TEXTS)
        pipeline = make_pipeline(dataset, CharTokenizer(max_length=3), batch_size=2, cache=True)
        first = list(pipeline.as_numpy_iterator())
        second = list(pipeline.as_numpy_iterator())
        for a, b in zip(first, second, strict=True):
            self.assertAllEqual(a, b)

    def test_cache_ids_tokenizes_once_and_reshuffles_the_ids(self):
        texts = [f"{i}" for i in range(10)]
        tokenizer = CharTokenizer(max_length=1)
        calls = []

        def counting(text):
            def count(batch):
                calls.append(len(batch))
                return tokenizer(batch)

            ids = tf.py_function(count, [text], tf.int32)
            ids.set_shape([None, 1])
            return ids

        dataset = tf.data.Dataset.from_tensor_slices((texts, list(range(10))))
        pipeline = make_pipeline(
            dataset, counting, 4, shuffle_buffer=10, cache=True, seed=7, cache_ids=True
        )
        orders = []
        for _ in range(3):
            labels = []
            for ids, batch_labels in pipeline.as_numpy_iterator():
                self.assertAllEqual(ids[:, 0], batch_labels + 28)  # ids stay with their labels
                labels.extend(batch_labels.tolist())
            orders.append(labels)
        assert sum(calls) == 10  # every text tokenized once, in the first epoch
        assert all(sorted(order) == list(range(10)) for order in orders)
        assert orders[0] != orders[1]

    def test_trim_padding_pads_each_batch_to_its_longest_text(self):
        texts = ["abcdef", "a", "ab", "", "abc", "b"]
        tokenizer = CharTokenizer(max_length=8)
        dataset = tf.data.Dataset.from_tensor_slices((texts, list(range(6))))
        trimmed = list(make_pipeline(dataset, tokenizer, 2, trim_padding=True).as_numpy_iterator())
        assert [ids.shape for ids, _ in trimmed] == [(2, 6), (2, 2), (2, 3)]
        full = tokenizer(texts).numpy()
        for ids, labels in trimmed:
            self.assertAllEqual(ids, full[labels][:, : ids.shape[1]])
        # A batch of empty texts keeps its rows, with no columns.
        empty = make_pipeline(
            tf.data.Dataset.from_tensor_slices(["", ""]), tokenizer, 2, trim_padding=True
        )
        assert next(iter(empty)).shape == (2, 0)

    def test_crop_length_takes_a_random_window_within_each_text(self):
        texts = ["".join(chr(97 + (i + j) % 26) for j in range(30)) for i in range(40)]
        texts[0] = "abc"  # shorter than the window: its start and its padding
        tokenizer = CharTokenizer(max_length=32)
        full = tokenizer(texts).numpy()
        dataset = tf.data.Dataset.from_tensor_slices((texts, list(range(40))))
        pipeline = make_pipeline(dataset, tokenizer, 8, shuffle_buffer=40, seed=1, crop_length=8)
        starts = {}
        for _ in range(2):  # two epochs
            for ids, rows in pipeline.as_numpy_iterator():
                assert ids.shape == (len(rows), 8)
                for window, row in zip(ids, rows, strict=True):
                    if row == 0:
                        self.assertAllEqual(window, full[0][:8])
                        continue
                    # A window of the text itself, never past its end.
                    matches = [
                        s for s in range(30 - 8 + 1) if (full[row][s : s + 8] == window).all()
                    ]
                    assert matches, (row, window)
                    starts.setdefault(row, set()).add(matches[0])
        assert len({start for seen in starts.values() for start in seen}) > 5
        assert any(len(seen) == 2 for seen in starts.values())  # new windows each epoch

    def test_crop_length_refuses_cached_ids(self):
        dataset = tf.data.Dataset.from_tensor_slices((TEXTS, [0] * 5))
        tokenizer = CharTokenizer(max_length=4)
        for kwargs in ({"shuffle_buffer": 5, "cache": True, "cache_ids": True}, {"cache": True}):
            with pytest.raises(ConfigError, match="crop_length"):
                make_pipeline(dataset, tokenizer, 2, crop_length=2, **kwargs)

    def test_cached_ids_without_padding_are_padded_per_batch(self):
        texts = [("a" * i) for i in range(1, 11)]
        tokenizer = CharTokenizer(max_length=16)
        dataset = tf.data.Dataset.from_tensor_slices((texts, list(range(1, 11))))
        pipeline = make_pipeline(
            dataset, tokenizer, 4, shuffle_buffer=10, cache=True, seed=3, cache_ids=True,
            trim_padding=True,
        )  # fmt: skip
        for _ in range(2):
            seen = []
            for ids, lengths in pipeline.as_numpy_iterator():
                assert ids.shape[1] == lengths.max()  # the batch's longest text
                self.assertAllEqual((ids != 0).sum(axis=1), lengths)  # each row its own ids
                seen.extend(lengths.tolist())
            assert sorted(seen) == list(range(1, 11))

    @pytest.mark.parametrize(
        "kwargs, field",
        [
            ({"batch_size": 0}, "batch_size"),
            ({"batch_size": 2, "cache_ids": True}, "cache_ids"),
            ({"batch_size": 2, "shuffle_buffer": 0}, "shuffle_buffer"),
            ({"batch_size": 2, "cache": 1}, "cache"),
        ],
    )
    def test_bad_arguments_name_the_field(self, kwargs, field):
        dataset = tf.data.Dataset.from_tensor_slices(TEXTS)
        with pytest.raises(ConfigError) as error:
            make_pipeline(dataset, CharTokenizer(), **kwargs)
        assert error.value.field == field

    def test_non_text_dataset_is_refused(self):
        with pytest.raises(ConfigError) as error:
            make_pipeline(tf.data.Dataset.range(3), CharTokenizer(), batch_size=2)
        assert error.value.field == "dataset"


def test_imdb_ids_match_the_python_reference_encoder(shared_data):
    """The popular trainers' `alphabet.index` quantization, as ids, on real reviews."""
    import csv

    with open(shared_data / "imdb" / "train.csv", newline="", encoding="utf-8") as handle:
        texts = [row["text"] for _, row in zip(range(300), csv.DictReader(handle), strict=False)]
    tokenizer = CharTokenizer(max_length=1014, lowercase=True)
    batches = make_pipeline(tf.data.Dataset.from_tensor_slices(texts), tokenizer, batch_size=128)
    ids = np.concatenate(list(batches.as_numpy_iterator()))
    alphabet = tokenizer.vocabulary
    for text, row in zip(texts, ids, strict=True):
        expected = [alphabet.index(c) if c in alphabet[2:] else 1 for c in text.lower()[:1014]]
        expected += [0] * (1014 - len(expected))
        np.testing.assert_array_equal(row, expected)
