"""One classifier training run: data -> model -> fit -> held-out report -> model folder."""

import logging

from tfcharnlp.training import model_folder
from tfcharnlp.training.evaluate import evaluate_classifier
from tfcharnlp.training.fitting import fit_model
from tfcharnlp.training.model_setup import build_compiled_model, first_layer_warning
from tfcharnlp.training.run_data import read_classifier_data
from tfcharnlp.training.train_result import TrainResult

logger = logging.getLogger(__name__)


def train_classifier(config, run_dir, strategy, extra_callbacks=()):
    """Trains the classifier a resolved `config` describes under `strategy`; a `TrainResult`."""
    data = read_classifier_data(config, strategy)
    config = data.config
    with strategy.scope():
        model = build_compiled_model(config, data.inputs)
    warning = first_layer_warning(config, model, data.train)
    if warning:
        logger.warning("%s", warning)
    fit = fit_model(
        config,
        run_dir,
        model,
        data.train,
        data.validation,
        extra_callbacks,
        class_weight=data.class_weight,
    )
    history, initial_epoch = fit.history, fit.initial_epoch
    vocabulary = data.label_vocabulary
    report = evaluate_classifier(model, data.evaluation, vocabulary.labels, data.split)
    if fit.time_budget is not None:
        report.add_note(fit.time_budget.describe(), time_budget=fit.time_budget.to_dict())
    # Saved, not logged: the command that asked for the run prints it (once).
    report.save(run_dir, history=history)
    recorded = model_folder.write_model_folder(
        run_dir,
        model,
        config,
        data.data_configs,
        label_vocabulary=vocabulary,
        word_vectors_coverage=data.word_vectors_coverage,
        time_budget=fit.time_budget,
    )
    return TrainResult(
        model_dir=run_dir,
        model=model,
        history=history,
        metrics={"accuracy": report.accuracy, "macro_f1": report.macro_f1, "split": data.split},
        config=config,
        recorded_config=recorded,
        report=report,
        label_vocabulary=vocabulary,
        initial_epoch=initial_epoch,
        time_budget=fit.time_budget,
    )
