"""Training: configs, schedules, callbacks, devices, evaluation reports and the train workflow.

The names below load on first use (PEP 562): `TrainConfig` and the train
flags are pure Python, and building the `tfcharnlp` parser must not import
TensorFlow just because `tfcharnlp.training` was touched.
"""

import importlib

_EXPORTS = {
    "CyclicLearningRate": "tfcharnlp.training.cyclic_learning_rate",
    "EvaluationReport": "tfcharnlp.training.evaluation_report",
    "StepDecay": "tfcharnlp.training.step_decay",
    "TrainConfig": "tfcharnlp.training.train_config",
    "TrainResult": "tfcharnlp.training.train_result",
    "train": "tfcharnlp.training.trainer",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tfcharnlp.training' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
