import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import CharCNNBackbone, char_cnn_feature_length

TINY = {"vocabulary_size": 20, "max_length": 128, "filters": 8, "dense_units": 16}


def paper_parameter_count(vocabulary_size, max_length, filters, dense_units):
    """The parameters of Zhang et al.'s network, by formula (one-hot of vocabulary - 1)."""
    channels = vocabulary_size - 1
    count = 7 * channels * filters + filters  # conv 1
    count += 7 * filters * filters + filters  # conv 2
    count += 4 * (3 * filters * filters + filters)  # conv 3-6
    features = char_cnn_feature_length(max_length) * filters
    count += features * dense_units + dense_units  # fully connected 7
    count += dense_units * dense_units + dense_units  # fully connected 8
    return count


class TestCharCNNBackbone(TestCase):
    def setup_method(self):
        self.ids = np.random.randint(0, 20, size=(2, 128)).astype("int32")

    def test_backbone_basics(self):
        self.run_layer_test(
            CharCNNBackbone,
            init_kwargs=TINY,
            input_data=self.ids,
            expected_output_shape=(2, 16),
        )

    def test_embedding_input(self):
        self.run_layer_test(
            CharCNNBackbone,
            init_kwargs={**TINY, "input_encoding": "embedding", "embedding_dim": 4},
            input_data=self.ids,
            expected_output_shape=(2, 16),
            run_mixed_precision_check=False,
        )

    def test_saving(self):
        self.run_model_saving_test(CharCNNBackbone, TINY, self.ids)

    def test_feature_length_follows_the_paper(self):
        assert char_cnn_feature_length(1014) == 34 == (1014 - 96) // 27
        assert char_cnn_feature_length(123) == 1
        assert char_cnn_feature_length(122) == 0

    @pytest.mark.parametrize(
        "size, filters, dense_units, stddev",
        [("small", 256, 1024, 0.05), ("large", 1024, 2048, 0.02)],
    )
    def test_paper_configurations(self, size, filters, dense_units, stddev):
        # 70 characters plus padding and unknown, as CharTokenizer numbers them.
        backbone = CharCNNBackbone(vocabulary_size=72, max_length=1014, size=size)
        assert backbone.count_params() == paper_parameter_count(72, 1014, filters, dense_units)
        assert backbone.output_shape == (None, dense_units)
        conv_2 = backbone.get_layer("conv_2")
        assert conv_2.kernel_size == (7,)
        assert backbone.get_layer("conv_3").kernel_size == (3,)
        pools = [layer.name for layer in backbone.layers if layer.name.startswith("pool")]
        assert pools == ["pool_1", "pool_2", "pool_6"]
        assert conv_2.kernel_initializer.stddev == stddev
        dropouts = [layer for layer in backbone.layers if layer.name.startswith("dropout")]
        assert [layer.rate for layer in dropouts] == [0.5, 0.5]
        # Sample the small model's initial weights: Gaussian with the paper's spread.
        if size == "small":
            kernel = np.asarray(conv_2.kernel)
            assert abs(kernel.std() - stddev) < 0.002

    def test_batch_normalization_and_global_max_pooling(self):
        kwargs = {**TINY, "normalization": "batch", "pooling": "global_max"}
        self.run_layer_test(
            CharCNNBackbone, init_kwargs=kwargs, input_data=self.ids, expected_output_shape=(2, 16)
        )
        backbone = CharCNNBackbone(**kwargs)
        norms = [layer for layer in backbone.layers if layer.name.endswith("_norm")]
        assert [layer.momentum for layer in norms] == [0.9] * 6
        # Each convolution hands a pre-activation to its normalization: no bias, no ReLU.
        for index in range(1, 7):
            conv = backbone.get_layer(f"conv_{index}")
            assert not conv.use_bias and conv.activation.__name__ == "linear"
        pools = [layer.name for layer in backbone.layers if layer.name.startswith("pool")]
        assert pools == ["pool_1", "pool_2"]
        # Global max pooling: the first dense layer sees one value per filter.
        assert backbone.get_layer("dense_1").kernel.shape == (8, 16)

    def test_global_max_parameters_do_not_grow_with_max_length(self):
        # Flattening feeds every remaining position to the first dense layer; the
        # global maximum feeds one value per filter, whatever the text's length.
        def count(max_length, pooling):
            return CharCNNBackbone(**{**TINY, "max_length": max_length, "pooling": pooling})

        assert count(128, "global_max").count_params() == count(1014, "global_max").count_params()
        assert count(128, "flatten").count_params() < count(1014, "flatten").count_params()

    def test_global_max_reads_any_length(self):
        # Trained on short windows (`crop_length`), it predicts on whole texts.
        backbone = CharCNNBackbone(**{**TINY, "normalization": "batch", "pooling": "global_max"})
        assert backbone.input_shape == (None, None)
        for length in (123, 128, 400):
            ids = np.random.randint(0, 20, size=(2, length)).astype("int32")
            assert backbone(ids).shape == (2, 16)
        assert CharCNNBackbone(**TINY).input_shape == (None, 128)  # flattening fixes the length

    def test_global_max_ignores_padding(self):
        # A text scores the same whatever padding its batch adds: windows at
        # training, whole padded texts at prediction. Without the mask the
        # padding's own features entered the maximum.
        backbone = CharCNNBackbone(**{**TINY, "normalization": "batch", "pooling": "global_max"})
        text = np.random.randint(2, 20, size=(2, 150)).astype("int32")

        def padded(length):
            return np.pad(text, [(0, 0), (0, length - 150)])

        short, long = backbone(padded(200)), backbone(padded(600))
        self.assertAllClose(short, long, atol=1e-5)
        # The paper's flattening reads fixed positions, padding included.
        assert "text_lengths" not in [layer.name for layer in CharCNNBackbone(**TINY).layers]

    def test_input_dropout(self):
        backbone = CharCNNBackbone(**{**TINY, "input_dropout": 0.1})
        assert backbone.get_layer("character_dropout").rate == 0.1
        assert CharCNNBackbone.from_config(backbone.get_config()).input_dropout == 0.1
        # Off by default, as in the paper.
        assert "character_dropout" not in [layer.name for layer in CharCNNBackbone(**TINY).layers]

    def test_kernel_initializer_replaces_the_papers_gaussian(self):
        backbone = CharCNNBackbone(**{**TINY, "kernel_initializer": "glorot_uniform"})
        for name in ("conv_1", "conv_2", "dense_1"):
            assert type(backbone.get_layer(name).kernel_initializer).__name__ == "GlorotUniform"
        restored = CharCNNBackbone.from_config(backbone.get_config())
        assert restored.kernel_initializer == "glorot_uniform"
        assert type(CharCNNBackbone(**TINY).get_layer("conv_2").kernel_initializer).__name__ == (
            "RandomNormal"
        )

    def test_batch_normalization_saving(self):
        kwargs = {**TINY, "normalization": "batch", "pooling": "global_max"}
        self.run_model_saving_test(CharCNNBackbone, kwargs, self.ids)

    @pytest.mark.parametrize(
        "field, value",
        [
            ("normalization", "layer"),
            ("pooling", "average"),
            ("batch_norm_momentum", 1.5),
            ("input_dropout", 1.0),
        ],
    )
    def test_bad_options(self, field, value):
        with pytest.raises(ConfigError, match=field):
            CharCNNBackbone(**{**TINY, field: value})

    def test_too_short_max_length(self):
        with pytest.raises(ConfigError, match="max_length"):
            CharCNNBackbone(vocabulary_size=20, max_length=100)

    def test_unknown_size(self):
        with pytest.raises(ConfigError, match="size"):
            CharCNNBackbone(vocabulary_size=20, size="medium")

    def test_embedding_needs_dim(self):
        with pytest.raises(ConfigError, match="embedding_dim"):
            CharCNNBackbone(vocabulary_size=20, input_encoding="embedding")
