import numpy as np

from tests.test_case import TestCase
from tfcharnlp.models.padding_mask import PaddingMask


class PaddingMaskTest(TestCase):
    def test_ones_at_text_zeros_at_padding(self):
        ids = np.array([[5, 1, 3, 0, 0], [2, 0, 0, 0, 0]], "int32")
        mask = PaddingMask()(ids)
        assert mask.shape == (2, 5, 1)
        self.assertAllClose(mask[..., 0], [[1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])

    def test_saving(self):
        restored = PaddingMask.from_config(PaddingMask(name="mask").get_config())
        assert restored.name == "mask"
