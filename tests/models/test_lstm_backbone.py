import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import LSTMBackbone

TINY = {"vocabulary_size": 20, "embedding_dim": 6, "hidden_units": 5, "num_layers": 2}


class TestLSTMBackbone(TestCase):
    def setup_method(self):
        self.ids = np.random.randint(1, 20, size=(3, 10)).astype("int32")
        self.ids[0, 6:] = 0

    def test_backbone_basics(self):
        self.run_layer_test(
            LSTMBackbone,
            init_kwargs=TINY,
            input_data=self.ids,
            expected_output_shape=(3, 5),
        )

    def test_bidirectional(self):
        backbone = LSTMBackbone(**TINY, bidirectional=True)
        assert backbone(self.ids).shape == (3, 10)
        self.run_serialization_test(backbone)

    def test_saving(self):
        self.run_model_saving_test(LSTMBackbone, {**TINY, "bidirectional": True}, self.ids)

    def test_padding_does_not_change_features(self):
        backbone = LSTMBackbone(**TINY)
        padded = np.concatenate([self.ids, np.zeros((3, 7), dtype="int32")], axis=1)
        self.assertAllClose(backbone(padded), backbone(self.ids), atol=1e-6)

    def test_pretrained_embedding_matrix(self):
        self.run_pretrained_embedding_test(LSTMBackbone, TINY, self.ids)

    def test_embedding_matrix_of_the_wrong_shape(self):
        with pytest.raises(ConfigError, match="embedding_matrix"):
            LSTMBackbone(**TINY, embedding_matrix=np.zeros((20, 7)))
