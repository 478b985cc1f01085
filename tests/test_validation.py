"""`tfcharnlp.validation`: one message style, `field: expected ..., got ...`."""

import numpy as np
import pytest

from tfcharnlp.errors import ConfigError
from tfcharnlp.validation import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_optional_positive,
    check_positive,
    check_rate,
)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: check_positive("batch_size", 0), "batch_size: expected an integer >= 1, got 0"),
        (lambda: check_positive("batch_size", True), "batch_size: expected an integer >= 1, got True"),
        (lambda: check_positive("epochs", 2.0), "epochs: expected an integer >= 1, got 2.0"),
        (lambda: check_int("patience", -1, minimum=0), "patience: expected an integer >= 0, got -1"),
        (
            lambda: check_optional_positive("max_length", "long"),
            "max_length: expected an integer >= 1 or None, got 'long'",
        ),
        (lambda: check_rate("dropout", 1.0), "dropout: expected a number in [0, 1), got 1.0"),
        (
            lambda: check_number("learning_rate", 0.0, low=0.0, low_inclusive=False),
            "learning_rate: expected a number > 0, got 0.0",
        ),
        (lambda: check_number("x", float("nan")), "x: expected a number, got nan"),
        (lambda: check_choice("cell", "rnn", ("gru", "lstm")), "cell: expected one of 'gru', 'lstm', got 'rnn'"),
        (lambda: check_bool("reverse", 1), "reverse: expected True or False, got 1"),
    ],
)  # fmt: skip
def test_bad_values_name_the_field_in_one_style(call, message):
    with pytest.raises(ConfigError) as raised:
        call()
    assert str(raised.value) == message
    assert raised.value.field == message.split(":")[0]


def test_good_values_come_back_as_python_values():
    assert check_positive("n", np.int64(3)) == 3 and type(check_positive("n", np.int64(3))) is int
    assert check_optional_positive("n", None) is None
    assert check_rate("dropout", np.float32(0.5)) == 0.5
    assert check_number("t", 2, low=0.0, high=2.0) == 2.0
    assert check_bool("b", np.bool_(True)) is True
    assert check_choice("c", "a", ["a", "b"]) == "a"
