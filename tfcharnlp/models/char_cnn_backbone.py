"""The character-level CNN of Zhang, Zhao & LeCun (2015)."""

import keras

from tfcharnlp.errors import ConfigError
from tfcharnlp.models.backbone import Backbone, ids_input
from tfcharnlp.models.character_dropout import CharacterDropout
from tfcharnlp.models.one_hot_conv1d import OneHotConv1D
from tfcharnlp.models.padding_mask import MaskPadding, TextLengths
from tfcharnlp.validation import check_choice, check_number, check_positive, check_rate

# The paper's two configurations: conv features, fully connected units and
# the standard deviation of the Gaussian initialisation.
CHAR_CNN_SIZES = {
    "small": {"filters": 256, "dense_units": 1024, "init_stddev": 0.05},
    "large": {"filters": 1024, "dense_units": 2048, "init_stddev": 0.02},
}
# Six convolutions; max-pooling of 3 after the first, second and sixth.
KERNEL_SIZES = (7, 7, 3, 3, 3, 3)
POOLED_LAYERS = (0, 1, 5)
POOL_SIZE = 3
NORMALIZATIONS = (None, "batch")
POOLINGS = ("flatten", "global_max")


def char_cnn_feature_length(max_length):
    """Length left after the six convolutions and three poolings (34 for 1014)."""
    length = max_length
    for index, kernel_size in enumerate(KERNEL_SIZES):
        length = length - kernel_size + 1
        if index in POOLED_LAYERS:
            length = length // POOL_SIZE
    return length


@keras.saving.register_keras_serializable(package="tfcharnlp")
class CharCNNBackbone(Backbone):
    """The character CNN of Zhang, Zhao & LeCun (2015), ids -> features.

    Six convolutions (kernels 7, 7, 3, 3, 3, 3, ReLU, max-pooling of 3 after
    the first, second and sixth), then two fully connected ReLU layers with
    dropout 0.5. "small" uses 256 conv features and 1024 units initialised
    from N(0, 0.05); "large" 1024 features, 2048 units and N(0, 0.02). With
    the paper's `max_length` 1014 the convolutions leave 34 positions,
    `(max_length - 96) / 27`.

    Two options depart from the paper, for data far smaller than its
    hundreds of thousands of texts (the family's default recipe uses both;
    the "paper" recipe neither):

    - `normalization="batch"` puts batch normalization after every
      convolution, before its ReLU, as VDCNN (Conneau et al. 2017) does; the
      convolutions then have no bias. It lets Adam train the six layers in a
      few epochs where the paper's network stays at chance for many.
    - `pooling="global_max"` takes each feature's maximum over the whole
      text instead of flattening the last positions (the sixth pooling is
      then subsumed): the first fully connected layer shrinks from
      `positions x filters` inputs to `filters`, and the features no longer
      depend on where in the text a pattern occurs.

    The paper feeds one-hot characters. With `input_encoding="one_hot"` (the
    default) the first convolution is an `OneHotConv1D`: the same function
    and parameters, computed by gathering kernel rows instead of multiplying
    a mostly-zero tensor. `"embedding"` instead learns an `embedding_dim`
    dense embedding feeding an ordinary first `Conv1D`.

    Args:
        vocabulary_size: int. Number of ids, padding (0) and unknown (1)
            included; the one-hot input has `vocabulary_size - 1` channels
            (padding is the zero vector).
        max_length: int. Length of the id sequences (1014 in the paper).
        size: "small" or "large", the paper's configuration.
        input_encoding: "one_hot" or "embedding".
        embedding_dim: int. Embedding size when `input_encoding="embedding"`.
        filters: int or None. Overrides the size's conv features.
        dense_units: int or None. Overrides the size's fully connected units.
        dropout: float. Dropout after each fully connected layer.
        normalization: None (the paper) or "batch": batch normalization
            after each convolution.
        pooling: "flatten" (the paper) or "global_max" over the positions
            left by the convolutions.
        batch_norm_momentum: float. Momentum of the moving statistics with
            `normalization="batch"`; lower than Keras' 0.99 so the statistics
            keep up with the weights in short runs (with 0.99 the validation
            predictions of a 5-epoch run collapsed to one class).
        kernel_initializer: None (the paper's N(0, 0.05), N(0, 0.02) for
            large) or a Keras initializer name for every convolution and
            fully connected layer.
        input_dropout: float. Share of the input characters replaced by
            padding in training (`CharacterDropout`), 0 in the paper.

    Call arguments:
        token_ids: int32 `[batch, max_length]`, 0 = padding (with
            `pooling="global_max"`, any length of at least 123).

    Returns:
        float features `[batch, dense_units]`.

    Example:
    ```python
    backbone = CharCNNBackbone(vocabulary_size=72, max_length=1014, size="small")
    features = backbone(np.random.randint(0, 72, size=(2, 1014)))  # [2, 1024]
    ```
    """

    def __init__(
        self,
        vocabulary_size,
        max_length=1014,
        size="small",
        input_encoding="one_hot",
        embedding_dim=None,
        filters=None,
        dense_units=None,
        dropout=0.5,
        normalization=None,
        pooling="flatten",
        batch_norm_momentum=0.9,
        kernel_initializer=None,
        input_dropout=0.0,
        **kwargs,
    ):
        check_positive("vocabulary_size", vocabulary_size)
        check_positive("max_length", max_length)
        check_choice("size", size, tuple(CHAR_CNN_SIZES))
        check_choice("input_encoding", input_encoding, ("one_hot", "embedding"))
        check_rate("dropout", dropout)
        check_rate("input_dropout", input_dropout)
        check_choice("normalization", normalization, NORMALIZATIONS)
        check_choice("pooling", pooling, POOLINGS)
        check_number("batch_norm_momentum", batch_norm_momentum, low=0.0, high=1.0)
        if input_encoding == "embedding":
            check_positive("embedding_dim", embedding_dim)
        if char_cnn_feature_length(max_length) < 1:
            raise ConfigError(
                "max_length",
                f"{max_length} is too short for six convolutions and three poolings; "
                "use at least 123",
            )
        preset = CHAR_CNN_SIZES[size]
        num_filters = check_positive("filters", filters or preset["filters"])
        num_units = check_positive("dense_units", dense_units or preset["dense_units"])

        # === Layers ===
        def initializer():
            if kernel_initializer is not None:
                return keras.initializers.get(kernel_initializer)
            return keras.initializers.RandomNormal(stddev=preset["init_stddev"])

        # Batch normalization supplies the shift (its beta) and the ReLU
        # follows it, so the convolutions then have neither bias nor activation.
        normalized = normalization == "batch"
        conv_options = {
            "activation": None if normalized else "relu",
            "use_bias": not normalized,
            "kernel_initializer": initializer(),
        }
        if input_encoding == "one_hot":
            self.token_embedding = None
            first_conv = OneHotConv1D(
                num_filters, KERNEL_SIZES[0], vocabulary_size, name="conv_1", **conv_options
            )
        else:
            self.token_embedding = keras.layers.Embedding(
                vocabulary_size,
                embedding_dim,
                embeddings_initializer=initializer(),
                name="token_embedding",
            )
            first_conv = keras.layers.Conv1D(
                num_filters, KERNEL_SIZES[0], name="conv_1", **conv_options
            )
        self.conv_layers = [first_conv] + [
            keras.layers.Conv1D(num_filters, kernel_size, name=f"conv_{index + 1}", **conv_options)
            for index, kernel_size in enumerate(KERNEL_SIZES)
            if index > 0
        ]
        self.normalization_layers = [
            keras.layers.BatchNormalization(
                momentum=batch_norm_momentum, name=f"conv_{index + 1}_norm"
            )
            for index in range(len(KERNEL_SIZES) if normalized else 0)
        ]
        self.dense_layers = [
            keras.layers.Dense(
                num_units,
                activation="relu",
                kernel_initializer=initializer(),
                name=f"dense_{index + 1}",
            )
            for index in range(2)
        ]

        # === Functional Model ===
        # A global maximum reads any length, so the model can train on
        # shorter windows of the texts than it predicts on (`crop_length`).
        token_ids = ids_input(None if pooling == "global_max" else max_length)
        x = token_ids
        # With the global maximum, features computed from padding alone are
        # zeroed (`MaskPadding`): the maximum of the ReLU features then reads
        # the text only, however much padding a batch adds.
        masked = pooling == "global_max"
        lengths = TextLengths(name="text_lengths")(token_ids) if masked else None
        if input_dropout:
            x = CharacterDropout(input_dropout, name="character_dropout")(x)
        if self.token_embedding is not None:
            x = self.token_embedding(x)
        last = len(self.conv_layers) - 1
        stride = 1
        for index, conv in enumerate(self.conv_layers):
            x = conv(x)
            if normalized:
                x = self.normalization_layers[index](x)
                x = keras.layers.ReLU(name=f"conv_{index + 1}_relu")(x)
            if masked:
                x = MaskPadding(stride, name=f"conv_{index + 1}_masked")([x, lengths])
            if index in POOLED_LAYERS and not (index == last and pooling == "global_max"):
                x = keras.layers.MaxPooling1D(POOL_SIZE, name=f"pool_{index + 1}")(x)
                stride *= POOL_SIZE
        if pooling == "global_max":
            x = keras.layers.GlobalMaxPooling1D(name="global_max_pool")(x)
        else:
            x = keras.layers.Flatten(name="flatten")(x)
        for index, dense in enumerate(self.dense_layers):
            x = dense(x)
            x = keras.layers.Dropout(dropout, name=f"dropout_{index + 1}")(x)
        super().__init__(inputs=token_ids, outputs=x, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.max_length = max_length
        self.size = size
        self.input_encoding = input_encoding
        self.embedding_dim = embedding_dim
        self.filters = filters
        self.dense_units = dense_units
        self.dropout = dropout
        self.normalization = normalization
        self.pooling = pooling
        self.batch_norm_momentum = batch_norm_momentum
        self.kernel_initializer = kernel_initializer
        self.input_dropout = input_dropout

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "max_length": self.max_length,
                "size": self.size,
                "input_encoding": self.input_encoding,
                "embedding_dim": self.embedding_dim,
                "filters": self.filters,
                "dense_units": self.dense_units,
                "dropout": self.dropout,
                "normalization": self.normalization,
                "pooling": self.pooling,
                "batch_norm_momentum": self.batch_norm_momentum,
                "kernel_initializer": self.kernel_initializer,
                "input_dropout": self.input_dropout,
            }
        )
        return config
