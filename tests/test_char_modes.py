"""Character modes: ids per mode, table sizes, the large-table warning, and the help."""

import pytest

from tfcharnlp.alphabets import ALPHABETS, describe_alphabets
from tfcharnlp.char_modes import (
    CHAR_CNN_ROW,
    CHAR_MODE_HELP,
    EMBEDDING_ROW,
    char_vocabulary_size,
    embedding_table_warning,
    format_bytes,
    table_bytes,
)
from tfcharnlp.errors import ConfigError


def test_vocabulary_size_of_each_mode():
    assert char_vocabulary_size("alphabet") == 2 + 69
    assert char_vocabulary_size("alphabet", "zhang70", extra_characters="éè") == 2 + 72
    assert char_vocabulary_size("alphabet", "abc", extra_characters="a") == 2 + 3
    assert char_vocabulary_size("bytes") == 258
    assert char_vocabulary_size("unicode") == 1_114_114
    assert char_vocabulary_size("unicode", code_point_limit=0x3000) == 0x3000 + 2
    with pytest.raises(ConfigError, match="char_mode"):
        char_vocabulary_size("runes")


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "alphabet"},
        {"mode": "alphabet", "alphabet": "crepe", "extra_characters": "é"},
        {"mode": "bytes"},
        {"mode": "unicode"},
        {"mode": "unicode", "code_point_limit": 300},
    ],
)
def test_the_tokenizer_has_the_same_vocabulary_size(options):
    from tfcharnlp.preprocessing import CharTokenizer

    tokenizer = CharTokenizer(max_length=4, **options)
    mode = options.pop("mode")
    assert tokenizer.vocabulary_size == char_vocabulary_size(mode, **options)


def test_reference_row_widths_are_the_models_defaults():
    # The widths `tfcharnlp data` and the help size tables with, checked against the models.
    import keras

    from tfcharnlp.models.char_cnn_backbone import CharCNNBackbone
    from tfcharnlp.models.lstm_backbone import LSTMBackbone

    vocabulary_size = 10
    char_cnn = CharCNNBackbone(vocabulary_size=vocabulary_size, max_length=1014, size="small")
    first = char_cnn.get_layer(index=1)
    assert first.kernel.shape[1] == vocabulary_size - 1  # one-hot: padding has no row
    assert first.kernel.shape[0] * first.kernel.shape[2] == CHAR_CNN_ROW
    lstm = LSTMBackbone(vocabulary_size=vocabulary_size)
    (embedding,) = [layer for layer in lstm.layers if isinstance(layer, keras.layers.Embedding)]
    assert embedding.embeddings.shape == (vocabulary_size, EMBEDDING_ROW)


def test_table_bytes_and_format():
    assert table_bytes(1_114_114, 48) == 213_909_888
    assert format_bytes(table_bytes(1_114_114, 48)) == "204 MiB"
    assert format_bytes(table_bytes(71, 128)) == "36 KiB"
    assert format_bytes(table_bytes(258, CHAR_CNN_ROW)) == "1.8 MiB"
    assert format_bytes(3 * 2**30) == "3.0 GiB"
    assert format_bytes(100) == "100 B"


def test_unicode_table_warning_names_size_unused_rows_and_remedies():
    warning = embedding_table_warning("unicode", 1_114_114, 48, used_ids=99)
    assert warning == (
        "char_mode 'unicode': the first layer's table is 1,114,114 ids x 48 floats = 204 MiB; "
        "the training texts use 99 of those ids, the other rows are never trained, and the "
        "model file carries all of it; consider --char-mode alphabet with --extra-characters "
        "for the characters it lacks (`tfcharnlp data` lists them), or --char-mode bytes "
        "(258 ids)"
    )


def test_no_warning_for_small_tables_or_well_used_ones():
    assert embedding_table_warning("alphabet", 71, CHAR_CNN_ROW, used_ids=60) is None
    assert embedding_table_warning("bytes", 258, CHAR_CNN_ROW, used_ids=None) is None
    # A big table whose rows the data mostly uses is what the data needs.
    assert embedding_table_warning("unicode", 200_000, 128, used_ids=150_000) is None
    assert embedding_table_warning("unicode", 200_000, 128, used_ids=90_000) is not None


def test_warning_without_usage_counts_and_with_a_custom_threshold():
    warning = embedding_table_warning("bytes", 258, 1792, threshold_bytes=2**20)
    assert warning.startswith("char_mode 'bytes': the first layer's table is 258 ids x 1,792")
    assert "never trained" not in warning


def test_help_states_the_cost_of_unicode_and_bytes():
    assert "1,114,114 ids" in CHAR_MODE_HELP and "258 ids" in CHAR_MODE_HELP
    assert "544 MiB as a 128-wide embedding" in CHAR_MODE_HELP
    assert "7.4 GiB as char_cnn's one-hot convolution" in CHAR_MODE_HELP


def test_alphabet_listing_names_every_alphabet():
    listing = describe_alphabets()
    assert (
        listing
        == "zhang69 (default, 69 characters), zhang70 (70 characters), crepe (68 characters)"
    )
    assert all(name in listing for name in ALPHABETS)


def test_train_help_lists_alphabets_and_char_mode_cost(capsys):
    from tfcharnlp.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "zhang69 (default, 69 characters), zhang70 (70 characters), crepe" in help_text
    assert "'unicode' (every code point, 1,114,114 ids" in help_text
