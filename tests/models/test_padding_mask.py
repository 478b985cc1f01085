import numpy as np

from tests.test_case import TestCase
from tfcharnlp.models.padding_mask import MaskPadding, TextLengths


class TestTextLengths(TestCase):
    def test_counts_the_ids_before_the_padding(self):
        ids = np.array([[5, 1, 3, 0, 0], [2, 0, 0, 0, 0], [0, 0, 0, 0, 0]], "int32")
        self.assertAllEqual(TextLengths()(ids), [3, 1, 0])


class TestMaskPadding(TestCase):
    def setup_method(self):
        self.features = np.ones((2, 6, 3), "float32")
        self.lengths = np.array([4, 7], "int32")

    def test_zeroes_the_positions_after_the_text(self):
        masked = np.asarray(MaskPadding()([self.features, self.lengths]))
        self.assertAllClose(masked[0, :, 0], [1, 1, 1, 1, 0, 0])
        self.assertAllClose(masked[1], self.features[1])  # longer than the features: all text

    def test_a_pooled_position_is_text_if_its_window_reads_any(self):
        # After a pooling of 3, positions 0 and 1 cover inputs 0-5: 4 characters reach both.
        masked = np.asarray(MaskPadding(stride=3)([self.features, self.lengths]))
        self.assertAllClose(masked[0, :, 0], [1, 1, 0, 0, 0, 0])

    def test_an_empty_batch(self):
        # A replica of a MirroredStrategy can get no examples of a partial batch.
        empty = MaskPadding(stride=9)([np.ones((0, 40, 8), "float32"), np.zeros((0,), "int32")])
        assert empty.shape == (0, 40, 8)

    def test_saving(self):
        restored = MaskPadding.from_config(MaskPadding(stride=9, name="mask").get_config())
        assert (restored.stride, restored.name) == (9, "mask")
