"""Names the `tune` command offers, importable without TensorFlow (for a fast `--help`).

The families are the registry's (`tfcharnlp.models.families`).
"""

TUNERS = ("hyperband", "bayesian", "random", "grid")
DEFAULT_TUNER = "hyperband"
OBJECTIVE_DIRECTIONS = {"val_accuracy": "max", "val_macro_f1": "max", "val_loss": "min"}
# The first of each is the default.
CLASSIFIER_OBJECTIVES = ("val_accuracy", "val_macro_f1", "val_loss")
LANGUAGE_MODEL_OBJECTIVES = ("val_loss",)
