"""The typed results of the serving client: plain, immutable values, no protos.

They are small frozen dataclasses kept together in one module (rather than one
file each) because they are data only and read as one vocabulary.
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One text's classification.

    Args:
        label: the predicted label (the model's `labels` output).
        class_id: its index in the label vocabulary.
        probabilities: the probability of every class, in vocabulary order.

    Example:
    >>> p = Prediction("pos", 1, (0.2, 0.8))
    >>> p.probability
    0.8
    """

    label: str
    class_id: int
    probabilities: tuple

    @property
    def probability(self):
        """The probability of the predicted class."""
        if 0 <= self.class_id < len(self.probabilities):
            return self.probabilities[self.class_id]
        return float("nan")


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """An input or output of a signature: dtype name (`"string"`, `"float32"`) and shape.

    `shape` holds `None` for unknown dimensions, and is `None` for unknown rank.
    """

    dtype: str
    shape: Optional[tuple]


@dataclasses.dataclass(frozen=True)
class SignatureInfo:
    """One SignatureDef: its method name and its inputs and outputs by key."""

    method_name: str
    inputs: dict
    outputs: dict


@dataclasses.dataclass(frozen=True)
class ModelMetadata:
    """What GetModelMetadata tells: the version answering and its signatures."""

    name: str
    version: Optional[int]
    signatures: dict


@dataclasses.dataclass(frozen=True)
class ModelVersionStatus:
    """One version's state as GetModelStatus reports it.

    Args:
        version: the version number.
        state: `"START"`, `"LOADING"`, `"AVAILABLE"`, `"UNLOADING"` or `"END"`.
        error_code: the status code name of a failed load (`"OK"` otherwise).
        error_message: the load error's message, if any.
    """

    version: int
    state: str
    error_code: str = "OK"
    error_message: str = ""

    @property
    def available(self):
        return self.state == "AVAILABLE"
