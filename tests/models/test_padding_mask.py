import numpy as np

from tests.test_case import TestCase
from tfcharnlp.models.padding_mask import MaskPadding, TextLengths, TextPositions


class TestTextLengths(TestCase):
    def test_counts_the_ids_before_the_padding(self):
        ids = np.array([[5, 1, 3, 0, 0], [2, 0, 0, 0, 0], [0, 0, 0, 0, 0]], "int32")
        self.assertAllEqual(TextLengths()(ids), [3, 1, 0])


class TestTextPositions(TestCase):
    def setup_method(self):
        self.features = np.ones((2, 6, 3), "float32")
        self.lengths = np.array([4, 7], "int32")

    def test_the_positions_before_the_padding(self):
        text = np.asarray(TextPositions()([self.features, self.lengths]))
        self.assertAllEqual(text[0], [True, True, True, True, False, False])
        self.assertAllEqual(text[1], [True] * 6)  # longer than the features: all text

    def test_a_pooled_position_is_text_if_its_window_reads_any(self):
        # After a pooling of 3, positions 0 and 1 cover inputs 0-5: 4 characters reach both.
        text = np.asarray(TextPositions(stride=3)([self.features, self.lengths]))
        self.assertAllEqual(text[0], [True, True, False, False, False, False])

    def test_an_empty_batch(self):
        # A replica of a MirroredStrategy can get no examples of a partial batch.
        empty = TextPositions(stride=9)([np.ones((0, 40, 8), "float32"), np.zeros((0,), "int32")])
        assert empty.shape == (0, 40)

    def test_saving(self):
        restored = TextPositions.from_config(TextPositions(stride=9, name="text").get_config())
        assert (restored.stride, restored.name) == (9, "text")


class TestMaskPadding(TestCase):
    def test_zeroes_the_positions_that_are_not_text(self):
        features = np.ones((2, 4, 3), "float32")
        text = np.array([[True, True, False, False], [True] * 4])
        masked = np.asarray(MaskPadding()([features, text]))
        self.assertAllClose(masked[0, :, 0], [1, 1, 0, 0])
        self.assertAllClose(masked[1], features[1])
