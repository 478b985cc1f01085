"""`TrainResult`: what `train()` returns."""

import dataclasses
import pathlib
from typing import Optional


@dataclasses.dataclass
class TrainResult:
    """What `train` returns.

    Args:
        model_dir: the model folder.
        model: the trained Keras model.
        history: {metric: [value per epoch]} over the whole run (resumed runs included).
        metrics: the headline numbers: accuracy and macro_f1 (classifier) or
            validation loss in nats/char, bits/char and perplexity (language model).
        config: the resolved `TrainConfig` the run used.
        recorded_config: the dict written as `train_config.json` (the config
            and the resolved data sources), exported with the model.
        report: the `EvaluationReport` (classifier), else None.
        label_vocabulary: the `LabelVocabulary` (classifier), else None.
        sample: generated text (language model), else None.
        initial_epoch: the epoch the run started at (> 0 when resumed from a backup).
        time_budget: the `TimeBudgetOutcome` when `max_time` was set, else None.
    """

    model_dir: pathlib.Path
    model: object
    history: dict
    metrics: dict
    config: object
    recorded_config: dict
    report: Optional[object] = None
    label_vocabulary: object = None
    sample: Optional[str] = None
    initial_epoch: int = 0
    time_budget: Optional[object] = None

    @property
    def labels(self):
        """The class names (classifier), or None."""
        return None if self.label_vocabulary is None else list(self.label_vocabulary.labels)
