"""Builds KerasTuner tuners over the shared search space.

Every tuner here runs each trial in isolation (a fresh Keras session before
and after it, so memory does not grow from trial to trial), records the
trial's wall time and the process's resident memory as trial metrics (they
reach the chief's `trial.json` through gRPC too), keeps a backup of the
oracle state for resuming, and uses the search space defined once by the
hypermodel with `allow_new_entries=False` / `tune_new_entries=False`, as the
TFX Tuner component does. Its log is plain lines a file can hold: one when a
trial starts, one per epoch (`EpochLog`, off a terminal) and one when it
ends, numbered with the trial ids of `trials.csv` and the summary table;
KerasTuner's own display (numbered from 1, redrawn) is off.

Time limits (`build_tuner(max_time=..., max_trial_time=...)`): a trial's
fit gets a `TimeBudget` of its own limit with the search's end as its
deadline, so it stops after the batch that spends either and is scored on
its best epoch, as KerasTuner scores any trial; once the search's budget is
spent, no new trial starts (`search` returns, `tuner.stopped_by_time` set).
"""

import gc
import logging
import os
import shutil
import time

import keras_tuner
from keras_tuner.src.engine import tuner_utils

from tfcharnlp.validation import check_choice, check_int, check_number
from tuning import project_repair, trial_resources
from tuning import search_space as search_space_lib
from tuning.choices import DEFAULT_TUNER, OBJECTIVE_DIRECTIONS, TUNERS

logger = logging.getLogger(__name__)


class SearchTimeSpent(Exception):
    """The search's time budget is spent: no new trial is started (see `search`)."""


# Extra per-trial metrics written beside the objective.
TRIAL_SECONDS = "trial_seconds"
TRIAL_RSS_MB = "rss_mb"
TRIAL_PEAK_RSS_MB = "peak_rss_mb"
RESOURCE_METRICS = (TRIAL_SECONDS, TRIAL_RSS_MB, TRIAL_PEAK_RSS_MB)


def make_objective(name):
    """`keras_tuner.Objective` for `val_accuracy`, `val_macro_f1` or `val_loss`."""
    check_choice("objective", name, tuple(OBJECTIVE_DIRECTIONS))
    return keras_tuner.Objective(name, OBJECTIVE_DIRECTIONS[name])


def _format_values(values):
    shown = {k: v for k, v in values.items() if not k.startswith("tuner/")}
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items()
    )


def is_worker():
    """True in a distributed run on a worker (its oracle is a gRPC client)."""
    from keras_tuner.src.distribute import utils as dist_utils

    return dist_utils.has_chief_oracle() and not dist_utils.is_chief_oracle()


class _TrialIsolationMixin:
    """Clears the Keras session around each trial, logs it in plain lines, records its resources.

    Also holds the time limits: `max_time` (seconds of the whole search) and
    `max_trial_time` (seconds of one trial's fit), both None for none.
    """

    max_time = None
    max_trial_time = None
    stopped_by_time = False

    def on_search_begin(self):
        super().on_search_begin()
        self.search_started = time.monotonic()
        self.stopped_by_time = False

    def search_seconds(self):
        return time.monotonic() - getattr(self, "search_started", time.monotonic())

    def _search_deadline(self):
        """The `time.monotonic()` reading at which the search's budget is spent, or None."""
        return None if self.max_time is None else self.search_started + self.max_time

    def _search_spent(self):
        deadline = self._search_deadline()
        return deadline is not None and time.monotonic() >= deadline

    def pre_create_trial(self):
        super().pre_create_trial()
        if self._search_spent():
            raise SearchTimeSpent(f"max_time {self.max_time:g} s spent")

    def run_trial(self, trial, *args, **kwargs):
        import keras

        from tfcharnlp.training import callbacks as callbacks_lib
        from tfcharnlp.training.time_budget import TimeBudget

        prefix = f"trial {trial.trial_id}"
        print(f"{prefix}: {_format_values(trial.hyperparameters.values)}", flush=True)
        budgets, limited = [], self.max_trial_time is not None or self.max_time is not None
        budget = TimeBudget(
            self.max_trial_time, on_end=budgets.append, deadline=self._search_deadline()
        )
        kwargs["callbacks"] = [
            *kwargs.get("callbacks", []),
            *([budget] if limited else []),
            *callbacks_lib.progress_callbacks(prefix=f"{prefix} "),
        ]
        kwargs["verbose"] = callbacks_lib.progress_verbosity()
        start = time.monotonic()
        try:
            histories = super().run_trial(trial, *args, **kwargs)
            metrics = dict(tuner_utils.convert_to_metrics_dict(histories, self.oracle.objective))
        finally:
            # KerasTuner clears the session before building a model; clearing
            # after the trial too frees the last model (and its optimizer
            # slots) before the next one is built, not after.
            keras.backend.clear_session()
            gc.collect()
        metrics[TRIAL_SECONDS] = time.monotonic() - start
        metrics[TRIAL_RSS_MB] = trial_resources.current_rss_mb()
        metrics[TRIAL_PEAK_RSS_MB] = trial_resources.peak_rss_mb()
        self.trial_rss_mb.append(metrics[TRIAL_RSS_MB])
        objective = self.oracle.objective.name
        stopped = ""
        if budgets and budgets[-1].stopped:
            which = "search" if self._search_spent() else "trial"
            stopped = (
                f" (stopped by the {which} time limit in epoch {budgets[-1].epochs}; "
                "scored on its best epoch)"
            )
        print(
            f"{prefix}: {objective} {metrics.get(objective, float('nan')):.4f} "
            f"in {metrics[TRIAL_SECONDS]:.1f} s{stopped}",
            flush=True,
        )
        return {name: float(value) for name, value in metrics.items()}

    @property
    def trial_rss_mb(self):
        if not hasattr(self, "_trial_rss_mb"):
            self._trial_rss_mb = []
        return self._trial_rss_mb

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if not is_worker():
            project_repair.backup_oracle_state(self.project_dir)


class HyperbandTuner(_TrialIsolationMixin, keras_tuner.Hyperband):
    """Hyperband that trains from scratch when a promoted trial lost its checkpoint."""

    def _build_hypermodel(self, hp):
        trial_id = hp.values.get("tuner/trial_id")
        if trial_id is None or os.path.exists(self._get_checkpoint_fname(trial_id)):
            return super()._build_hypermodel(hp)
        # A run killed while saving leaves a trial without weights; training
        # the promoted configuration from scratch beats failing the trial.
        logger.warning("checkpoint of trial %s is missing; trial trains from scratch", trial_id)
        return keras_tuner.Tuner._build_hypermodel(self, hp)


class BayesianOptimizationTuner(_TrialIsolationMixin, keras_tuner.BayesianOptimization):
    """Bayesian optimization (Gaussian process) with isolated trials."""


class RandomSearchTuner(_TrialIsolationMixin, keras_tuner.RandomSearch):
    """Random search with isolated trials."""


class GridSearchTuner(_TrialIsolationMixin, keras_tuner.GridSearch):
    """Grid search with isolated trials."""


def trial_strategy():
    """The strategy trials run under: `train()`'s, or None when it has one replica.

    The dtype policy is not set here: `build_compiled_model` sets it inside
    every trial (KerasTuner's `clear_session()` resets it before each one).
    """
    from tfcharnlp.training import devices

    strategy = devices.distribution_strategy()
    return strategy if strategy.num_replicas_in_sync > 1 else None


def build_tuner(
    hypermodel,
    tuner=DEFAULT_TUNER,
    *,
    directory,
    project_name,
    max_trials=10,
    max_epochs=3,
    objective=None,
    overwrite=False,
    seed=1337,
    hyperparameters=None,
    distribution_strategy="auto",
    hyperband_factor=3,
    max_consecutive_failed_trials=3,
    max_time=None,
    max_trial_time=None,
):
    """Returns a tuner of kind `tuner` over `hypermodel`'s search space.

    Args:
        hypermodel: a `TextHyperModel` (or any HyperModel with `objective`).
        tuner: one of `TUNERS`; Hyperband by default.
        directory, project_name: where trials are kept; an existing project
            is resumed unless `overwrite`.
        max_trials: trials to run (Hyperband: a cap on its own schedule).
        max_epochs: epochs per trial (Hyperband: the largest budget).
        objective: name of the objective; defaults to the hypermodel's.
        hyperparameters: the search space; defaults to the one the
            hypermodel declares (`search_space.search_space_of`). New entries
            are rejected, as in TFX.
        distribution_strategy: `"auto"` (`trial_strategy()`: MirroredStrategy
            over several GPUs), `None`, or a `tf.distribute.Strategy`.
        max_time: seconds for the whole `search` (a worker: its own part), or None.
        max_trial_time: seconds for one trial's fit, or None.
    """
    check_choice("tuner", tuner, TUNERS)
    check_int("max_trials", max_trials, minimum=1)
    check_int("epochs", max_epochs, minimum=1)
    check_number("max_time", max_time, low=0.0, low_inclusive=False, optional=True)
    check_number("max_trial_time", max_trial_time, low=0.0, low_inclusive=False, optional=True)
    objective = make_objective(objective or hypermodel.objective)
    if hyperparameters is None:
        hyperparameters = search_space_lib.search_space_of(hypermodel)
    if distribution_strategy == "auto":
        distribution_strategy = trial_strategy()
    project_dir = os.path.join(str(directory), project_name)
    if overwrite and os.path.isdir(project_dir):
        shutil.rmtree(project_dir)
    elif not is_worker():
        repaired = project_repair.repair_project(project_dir)
        for message in repaired:
            logger.warning("resume: %s", message)
    common = dict(
        hypermodel=hypermodel,
        objective=objective,
        hyperparameters=hyperparameters,
        allow_new_entries=False,
        tune_new_entries=False,
        seed=seed,
        max_consecutive_failed_trials=max_consecutive_failed_trials,
        distribution_strategy=distribution_strategy,
        directory=str(directory),
        project_name=project_name,
        overwrite=False,
    )
    if tuner == "hyperband":
        result = HyperbandTuner(max_epochs=max_epochs, factor=hyperband_factor, **common)
        if not is_worker():
            # Hyperband sizes its own schedule from max_epochs; max_trials caps it.
            result.oracle.max_trials = max_trials
    elif tuner == "bayesian":
        result = BayesianOptimizationTuner(max_trials=max_trials, **common)
    elif tuner == "random":
        result = RandomSearchTuner(max_trials=max_trials, **common)
    else:
        result = GridSearchTuner(max_trials=max_trials, **common)
    result.max_epochs = max_epochs
    result.max_time, result.max_trial_time = max_time, max_trial_time
    if not is_worker():
        # Our per-trial lines replace KerasTuner's display (see the module doc).
        result.oracle.verbose = 0
    return result


def write_hparams_experiment(tuner, log_dir):
    """Declares the search space and the objective to TensorBoard's HParams dashboard.

    The per-trial sessions KerasTuner writes carry only the values; this
    experiment summary adds each hyperparameter's domain and makes the
    objective (and the loss) columns of the dashboard.
    """
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hparams_api

    space = tuner.oracle.get_space()
    hparams = list(tuner_utils.convert_hyperparams_to_hparams(space, hparams_api))
    objective = tuner.oracle.objective.name
    metrics = [
        hparams_api.Metric(
            "epoch_" + objective[len("val_") :], group="validation", display_name=objective
        ),
        hparams_api.Metric("epoch_loss", group="train", display_name="loss"),
    ]
    with tf.summary.create_file_writer(str(log_dir)).as_default():
        hparams_api.hparams_config(hparams=hparams, metrics=metrics)


def search(
    tuner,
    train_data,
    validation_data,
    *,
    epochs,
    patience=2,
    log_dir=None,
    class_weight=None,
    steps_per_epoch=None,
):
    """Runs `tuner.search` with early stopping and TensorBoard HParams logs.

    The datasets are built (and cached) once by the caller and reused by
    every trial; `class_weight` and `steps_per_epoch` are the run's, as
    `train()` fits with them. When the tuner's `max_time` is spent, the
    search ends before the next trial and `tuner.stopped_by_time` is True.
    """
    import keras

    objective = tuner.oracle.objective
    callbacks = []
    if patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=objective.name,
                mode=objective.direction,
                patience=patience,
                restore_best_weights=False,
            )
        )
    if log_dir is not None:
        # KerasTuner gives each trial its own subfolder and adds the HParams
        # callback when it sees a TensorBoard callback.
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False))
        if not is_worker():
            write_hparams_experiment(tuner, log_dir)
    fit_kwargs = {}
    if class_weight:
        fit_kwargs["class_weight"] = class_weight
    if steps_per_epoch:
        train_data = train_data.repeat()
        fit_kwargs["steps_per_epoch"] = steps_per_epoch
    try:
        tuner.search(
            train_data,
            validation_data=validation_data,
            epochs=epochs,
            callbacks=callbacks,
            # The datasets shuffle themselves; Keras cannot shuffle a tf.data.Dataset.
            shuffle=False,
            **fit_kwargs,
        )
    except SearchTimeSpent:
        tuner.stopped_by_time = True
    return tuner
