"""KerasTuner search for tfcharnlp models: hypermodels, tuners, distributed runs, hand-off.

The public names are imported on first use (PEP 562): `tfcharnlp --help`
imports `tuning.commands`, which must not pull in TensorFlow.
"""

from tfcharnlp.lazy_exports import lazy_exports

_EXPORTS = {
    "BayesianOptimizationTuner": "tuning.tuner_factory",
    "CharCNNHyperModel": "tuning.char_cnn_hypermodel",
    "CharGRUHyperModel": "tuning.char_gru_hypermodel",
    "CNNLSTMHyperModel": "tuning.cnn_lstm_hypermodel",
    "GridSearchTuner": "tuning.tuner_factory",
    "HyperbandTuner": "tuning.tuner_factory",
    "LSTMHyperModel": "tuning.lstm_hypermodel",
    "MultiWidthCNNHyperModel": "tuning.multi_width_cnn_hypermodel",
    "NGramBagHyperModel": "tuning.ngram_bag_hypermodel",
    "RandomSearchTuner": "tuning.tuner_factory",
    "SearchResults": "tuning.results",
    "TextHyperModel": "tuning.text_hypermodel",
    "build_tuner": "tuning.tuner_factory",
    "configure_distributed": ("tuning.distributed", "configure"),
    "get_hypermodel": "tuning.search_space",
    "load_hyperparameters": "tuning.search_space",
    "repair_project": "tuning.project_repair",
    "best_config": "tuning.handoff",
    "retrain_best": "tuning.handoff",
    "save_hyperparameters": "tuning.search_space",
    "search": "tuning.tuner_factory",
    "write_results": "tuning.results",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
