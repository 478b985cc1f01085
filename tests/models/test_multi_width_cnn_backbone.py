import keras
import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import MultiWidthCNNBackbone

TINY = {"vocabulary_size": 20, "embedding_dim": 4, "kernel_sizes": (2, 3), "filters": (3, 5)}


class TestMultiWidthCNNBackbone(TestCase):
    def setup_method(self):
        self.ids = np.random.randint(0, 20, size=(2, 12)).astype("int32")

    def test_backbone_basics(self):
        self.run_layer_test(
            MultiWidthCNNBackbone,
            init_kwargs=TINY,
            input_data=self.ids,
            expected_output_shape=(2, 8),  # sum(filters)
        )

    def test_saving(self):
        self.run_model_saving_test(MultiWidthCNNBackbone, TINY, self.ids)

    def test_one_filter_count_for_all_widths(self):
        backbone = MultiWidthCNNBackbone(20, kernel_sizes=(3, 4, 5), filters=7)
        assert backbone(self.ids).shape == (2, 21)
        assert [conv.kernel_size[0] for conv in backbone.conv_layers] == [3, 4, 5]

    def test_as_a_word_embedding_model(self):
        # Texts as [batch, words, characters]: each word gets one vector.
        backbone = MultiWidthCNNBackbone(**TINY, max_length=8)
        words = np.random.randint(1, 20, size=(2, 6, 8)).astype("int32")
        embedded = keras.layers.TimeDistributed(backbone)(words)
        assert embedded.shape == (2, 6, 8)
        self.assertAllClose(embedded[1, 2], backbone(words[1, 2:3])[0], atol=1e-6)

    def test_pretrained_embedding_matrix(self):
        # Kim's CNN-static: the word vectors start the embedding and stay fixed.
        self.run_pretrained_embedding_test(MultiWidthCNNBackbone, TINY, self.ids)

    def test_bad_configs(self):
        with pytest.raises(ConfigError, match="filters"):
            MultiWidthCNNBackbone(20, kernel_sizes=(3, 4), filters=(2, 3, 4))
        with pytest.raises(ConfigError, match="max_length"):
            MultiWidthCNNBackbone(20, max_length=3, kernel_sizes=(3, 5))
        with pytest.raises(ConfigError, match="embedding_matrix"):
            MultiWidthCNNBackbone(**TINY, embedding_matrix=np.zeros((20, 5)))
