"""Value checks with one message style: `ConfigError(field, "expected ..., got ...")`.

Every layer that takes a user-facing value (configs, layers, backbones,
hypermodels, commands) checks it with these, so a bad value reads the same
wherever it is caught: `batch_size: expected an integer >= 1, got 0`.
A value is checked where it enters (the config edge) and where it is
consumed, not in every layer in between.
"""

import math
import numbers

from tfcharnlp.errors import ConfigError


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value):
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )


def check_int(field, value, minimum=None, optional=False):
    """`value` as an int, or a `ConfigError` unless it is an integer >= `minimum`.

    With `optional`, None is accepted and returned.
    """
    if optional and value is None:
        return None
    if not _is_int(value) or (minimum is not None and value < minimum):
        wanted = "an integer" if minimum is None else f"an integer >= {minimum}"
        raise ConfigError(
            field, f"expected {wanted}{' or None' if optional else ''}, got {value!r}"
        )
    return int(value)


def check_positive(field, value):
    """`check_int(field, value, minimum=1)`."""
    return check_int(field, value, minimum=1)


def check_optional_positive(field, value):
    """None, or a positive int (for optional sizes such as `max_length`)."""
    return check_int(field, value, minimum=1, optional=True)


def _interval(low, high, low_inclusive, high_inclusive):
    if low is not None and high is not None:
        return (
            f"in {'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
        )
    if low is not None:
        return f"{'>=' if low_inclusive else '>'} {low:g}"
    if high is not None:
        return f"{'<=' if high_inclusive else '<'} {high:g}"
    return ""


def check_number(
    field, value, low=None, high=None, low_inclusive=True, high_inclusive=True, optional=False
):
    """`value` as a float, or a `ConfigError` unless it is a number in the given interval."""
    if optional and value is None:
        return None
    inside = _is_number(value)
    if inside and low is not None:
        inside = value > low or (low_inclusive and value == low)
    if inside and high is not None:
        inside = value < high or (high_inclusive and value == high)
    if not inside:
        interval = _interval(low, high, low_inclusive, high_inclusive)
        wanted = f"a number {interval}".rstrip()
        raise ConfigError(
            field, f"expected {wanted}{' or None' if optional else ''}, got {value!r}"
        )
    return float(value)


def check_rate(field, value):
    """A dropout-style rate: a number in [0, 1)."""
    return check_number(field, value, low=0.0, high=1.0, high_inclusive=False)


def check_choice(field, value, choices):
    """`value`, or a `ConfigError` unless it is one of `choices`."""
    if value not in tuple(choices):
        raise ConfigError(
            field, f"expected one of {', '.join(repr(c) for c in choices)}, got {value!r}"
        )
    return value


def check_bool(field, value):
    """`value` as a bool, or a `ConfigError` unless it is True or False (numpy's too)."""
    if type(value).__name__ not in ("bool", "bool_"):
        raise ConfigError(field, f"expected True or False, got {value!r}")
    return bool(value)
