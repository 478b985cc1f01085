"""One language-model training run: text -> windows -> model -> fit -> loss, sample -> folder."""

from tfcharnlp.training import model_folder
from tfcharnlp.training.evaluate import language_model_metrics, write_language_model_report
from tfcharnlp.training.fitting import fit_model
from tfcharnlp.training.model_setup import build_compiled_model
from tfcharnlp.training.run_data import read_language_model_data
from tfcharnlp.training.train_result import TrainResult


def train_language_model(config, run_dir, strategy, extra_callbacks=()):
    """Trains the character language model a resolved `config` describes; a `TrainResult`."""
    data = read_language_model_data(config, strategy)
    with strategy.scope():
        model = build_compiled_model(config, data.inputs)
    fit = fit_model(config, run_dir, model, data.train, data.validation, extra_callbacks)
    history, initial_epoch = fit.history, fit.initial_epoch
    metrics = language_model_metrics(
        model, data.validation, data.train_characters, data.validation_characters
    )
    sample = config.sample_prompt
    if config.sample_length:
        sample += model.generate(
            [config.sample_prompt],
            length=config.sample_length,
            temperature=config.temperature,
            seed=config.seed,
        )[0]
    write_language_model_report(run_dir, metrics, sample, history, fit.time_budget)
    recorded = model_folder.write_model_folder(
        run_dir, model, config, data.data_configs, time_budget=fit.time_budget
    )
    return TrainResult(
        model_dir=run_dir,
        model=model,
        history=history,
        metrics=metrics,
        config=config,
        recorded_config=recorded,
        sample=sample,
        initial_epoch=initial_epoch,
        time_budget=fit.time_budget,
    )
