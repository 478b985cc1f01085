"""The sampling controls' rule: one value for every prompt, or one value per prompt.

Numpy only, so the serving client (which must not import TensorFlow) and
`CharGRUCausalLM.generate` read `length`, `temperature`, `top_k` and `seed`
the same way. Inside an exported graph the rule is applied to tensors by
`tfcharnlp.models.samplers.per_row`.
"""

import numpy as np

from tfcharnlp.errors import ConfigError


def per_prompt(name, value, count, dtype=None):
    """`value` as a numpy vector of `count` values.

    Args:
        name: the control's name, for the error.
        value: a scalar (used for every prompt) or a sequence of `count` values.
        count: the number of prompts.
        dtype: the numpy dtype to cast to (None: numpy's choice).

    Raises:
        ConfigError: a sequence of another length, or of another rank.

    Example:
    >>> per_prompt("length", 5, 3).tolist()
    [5, 5, 5]
    """
    values = np.asarray(value, dtype=dtype)
    if values.ndim == 0:
        return np.full([count], values, dtype=values.dtype)
    if values.shape != (count,):
        raise ConfigError(
            name, f"expected one value or {count} (one per prompt), received {value!r}"
        )
    return values
