import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import CNNLSTMBackbone

TINY = {
    "vocabulary_size": 20,
    "embedding_dim": 6,
    "filters": 4,
    "kernel_size": 3,
    "hidden_units": 5,
    "projection_dim": 7,
    "attention_units": 3,
}
# Output size of each variant with TINY: LSTM, conv + LSTM, projection, conv + LSTM.
OUTPUT_DIMS = {"sequential": 5, "concatenated": 9, "parallel": 7, "attention": 9}


class TestCNNLSTMBackbone(TestCase):
    def setup_method(self):
        self.ids = np.random.randint(1, 20, size=(3, 12)).astype("int32")
        self.ids[0, 5:] = 0

    @pytest.mark.parametrize("variant", sorted(OUTPUT_DIMS))
    def test_variants(self, variant):
        self.run_layer_test(
            CNNLSTMBackbone,
            init_kwargs={**TINY, "variant": variant},
            input_data=self.ids,
            expected_output_shape=(3, OUTPUT_DIMS[variant]),
            run_mixed_precision_check=variant == "attention",
        )

    @pytest.mark.parametrize("variant", sorted(OUTPUT_DIMS))
    def test_padding_does_not_change_features(self, variant):
        backbone = CNNLSTMBackbone(**TINY, variant=variant)
        padded = np.concatenate([self.ids, np.zeros((3, 6), dtype="int32")], axis=1)
        self.assertAllClose(backbone(padded), backbone(self.ids), atol=1e-5)

    def test_saving(self):
        self.run_model_saving_test(
            CNNLSTMBackbone, {**TINY, "variant": "attention", "bidirectional": True}, self.ids
        )

    def test_bidirectional_doubles_the_lstm_part(self):
        backbone = CNNLSTMBackbone(**TINY, variant="concatenated", bidirectional=True)
        assert backbone(self.ids).shape == (3, 4 + 2 * 5)

    def test_pretrained_embedding_matrix(self):
        self.run_pretrained_embedding_test(
            CNNLSTMBackbone, {**TINY, "variant": "concatenated"}, self.ids
        )

    def test_unknown_variant_names_the_field(self):
        with pytest.raises(ConfigError, match="variant") as error:
            CNNLSTMBackbone(vocabulary_size=20, variant="stacked")
        assert error.value.field == "variant"
