"""Training: configs, schedules, callbacks, devices, evaluation reports and the train workflow.

The names below load on first use (PEP 562): `TrainConfig` and the train
flags are pure Python, and building the `tfcharnlp` parser must not import
TensorFlow just because `tfcharnlp.training` was touched.
"""

from tfcharnlp.lazy_exports import lazy_exports

_EXPORTS = {
    "BudgetFittedSchedule": "tfcharnlp.training.budget_schedule",
    "CyclicLearningRate": "tfcharnlp.training.cyclic_learning_rate",
    "EvaluationReport": "tfcharnlp.training.evaluation_report",
    "StepDecay": "tfcharnlp.training.step_decay",
    "TrainConfig": "tfcharnlp.training.train_config",
    "TrainResult": "tfcharnlp.training.train_result",
    "train": "tfcharnlp.training.trainer",
}
__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
