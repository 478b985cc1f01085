"""Subcommands owned by `tuning` (`tune`).

`tune` reads the same `TrainConfig` as `train` (every data, preprocessing,
tokenizer, model and optimizer flag, and `--config FILE`), so a flag means
the same in both: `--epochs` is the epochs of a trial (Hyperband: the
largest budget), `--max-length` the padded length of a text (of a prompt for
the generator), `--seq-length` the generator's window and `--max-time` the
wall-clock budget, here of the whole search (`--max-trial-time` limits one
trial's, and the winner's retrain). The search flags are its own. A trial builds its data, preprocessor and model with `train()`'s
functions; with `--export` the best configuration is retrained by `train()`
and exported.
"""

import functools
import logging

logger = logging.getLogger(__name__)

DEFAULT_DIRECTORY = "tuning_runs"
STAGING_DIR = "export_staging"


def register(subparsers, push=None):
    """Adds `tune` to the `tfcharnlp` command.

    Args:
        subparsers: the `tfcharnlp` parser's subparsers.
        push: `(staged_version, target_model_dir) -> published path`, the
            validated publishing step `--push` runs; the command line that
            assembles the packages passes `serving`'s. Without it there is no
            `--push` flag.
    """
    from tfcharnlp.training.train_flags import HelpFormatter, add_train_arguments, recipes_epilog
    from tuning.choices import DEFAULT_TUNER, OBJECTIVE_DIRECTIONS, TUNERS

    parser = subparsers.add_parser(
        "tune",
        help="search hyperparameters with KerasTuner",
        description=(
            "Search a model family's hyperparameters with KerasTuner. Results "
            "(best_hyperparameters.json, trials.csv, trials.png, TensorBoard HParams logs) go to "
            "DIRECTORY/PROJECT_NAME; rerunning the same command resumes the search. Every "
            "training flag of `tfcharnlp train` applies, with the same meaning; --epochs is the "
            "budget of one trial (Hyperband: the largest one) and --max-time SECONDS the "
            "wall-clock budget of the whole search: the running trial stops after its current "
            "batch and is scored on its best epoch, and no trial starts after it."
        ),
        epilog=recipes_epilog(),
        formatter_class=HelpFormatter,
    )
    search = parser.add_argument_group("search")
    search.add_argument(
        "--tuner", choices=TUNERS, default=DEFAULT_TUNER, help="(default: %(default)s)"
    )
    search.add_argument("--max-trials", type=int, default=10, help="(default: %(default)s)")
    search.add_argument(
        "--objective",
        choices=tuple(OBJECTIVE_DIRECTIONS),
        help="default: val_accuracy (classifiers), val_loss (generator)",
    )
    search.add_argument("--directory", default=DEFAULT_DIRECTORY, help="(default: %(default)s)")
    search.add_argument("--project-name", help="default: FAMILY_TUNER")
    search.add_argument(
        "--overwrite",
        action="store_true",
        help="start over instead of resuming the project (and replace the model folder the "
        "winner's retrain writes)",
    )
    search.add_argument(
        "--max-trial-time",
        type=float,
        metavar="SECONDS",
        help="wall-clock limit of one trial's training (and of the winner's retrain): it stops "
        "after the current batch and is scored on its best epoch (default: none)",
    )
    handoff = parser.add_argument_group(
        "hand-off (with --export or --export-base: retrain the best configuration with "
        "`train`, into --output-dir/--model-name, then export it)"
    )
    handoff.add_argument("--retrain-epochs", type=int, help="default: --epochs")
    if push is not None:
        handoff.add_argument(
            "--push",
            action="store_true",
            help="stage the export in the project folder and publish it only after serving's "
            "push validation (sandboxed server, warmup and sample requests) passes",
        )
    dist = parser.add_argument_group("distributed (KerasTuner chief/worker over gRPC)")
    role = dist.add_mutually_exclusive_group()
    role.add_argument("--chief", action="store_true", help="run the oracle at --oracle")
    role.add_argument("--worker", metavar="ID", help="run trials for the chief at --oracle")
    dist.add_argument("--oracle", metavar="HOST:PORT", help="the chief's address")
    add_train_arguments(parser)
    parser.set_defaults(func=functools.partial(run_tune, push=push))


def run_tune(args, push=None):
    from tfcharnlp.errors import ConfigError
    from tfcharnlp.training.train_flags import config_from_args
    from tfcharnlp.training.trainer import check_run_folder
    from tfcharnlp.validation import check_int, check_number
    from tuning import distributed

    check_int("max_trials", args.max_trials, minimum=1)
    check_int("retrain_epochs", args.retrain_epochs, minimum=1, optional=True)
    check_number("max_trial_time", args.max_trial_time, low=0.0, low_inclusive=False, optional=True)
    config = config_from_args(args).resolve()
    if config.is_language_model and args.objective not in (None, "val_loss"):
        raise ConfigError("objective", f"the generator is tuned on val_loss, not {args.objective}")
    exporting = config.export or config.export_base is not None
    pushing = getattr(args, "push", False)
    if pushing and not exporting:
        raise ConfigError("push", "--push needs --export")
    if exporting and (args.chief or args.worker is not None):
        raise ConfigError("export", "export from a standalone run (or rerun on the chief's folder)")
    if exporting:
        # Checked before the search, not after hours of it.
        try:
            check_run_folder(config.model_dir, overwrite=args.overwrite)
        except ConfigError as error:
            raise ConfigError(
                "overwrite",
                f"{config.model_dir}, where the winner would be retrained, holds a finished "
                "run; give --model-name (or --output-dir) for a new folder, or --overwrite to "
                "start the search and that folder over",
            ) from error
    role = distributed.configure(chief=args.chief, worker=args.worker, oracle=args.oracle)
    return tune(args, config, role, push=push if pushing else None)


def _read_data(config, strategy):
    from tfcharnlp.errors import ConfigError
    from tfcharnlp.training.run_data import read_classifier_data, read_language_model_data

    if config.is_language_model:
        data = read_language_model_data(config, strategy)
        print(
            f"text: {data.train_characters} training and {data.validation_characters} "
            f"held-out characters, {data.inputs.vocabulary_size} ids",
            flush=True,
        )
        return data, None
    data = read_classifier_data(config, strategy)
    print(
        f"data: {data.train_size} training and {data.validation_size} validation examples, "
        f"{len(data.label_vocabulary)} classes",
        flush=True,
    )
    if data.validation is None:
        raise ConfigError("data.validation_split", "tuning needs validation data to score trials")
    return data, data.class_weight


def tune(args, config, role, push=None):
    from tfcharnlp.training import devices
    from tuning import distributed, results, search_space, tuner_factory

    # The strategy train() would use: the data is batched for its replicas.
    strategy = devices.distribution_strategy()
    data, class_weight = _read_data(config, strategy)
    # The data resolves what depends on it (`max_length="auto"`).
    config = data.config
    hypermodel = search_space.get_hypermodel(config, data.inputs, objective=args.objective)
    project_name = args.project_name or f"{config.family}_{args.tuner}"
    tuner = tuner_factory.build_tuner(
        hypermodel,
        args.tuner,
        directory=args.directory,
        project_name=project_name,
        max_trials=args.max_trials,
        max_epochs=config.epochs,
        overwrite=args.overwrite,
        seed=config.seed,
        distribution_strategy=strategy if strategy.num_replicas_in_sync > 1 else None,
        max_time=config.max_time,
        max_trial_time=args.max_trial_time,
    )
    print(f"tune: role {role}; project {tuner.project_dir}", flush=True)
    tuner_factory.search(
        tuner,
        data.train,
        data.validation,
        epochs=config.epochs,
        patience=config.patience,
        log_dir=f"{tuner.project_dir}/tensorboard",
        class_weight=class_weight,
        steps_per_epoch=config.steps_per_epoch,
    )
    if tuner.stopped_by_time:
        print(
            f"tune: search stopped by its time budget (max_time {config.max_time:g} s) after "
            f"{tuner.search_seconds():.1f} s; rerun the command to resume it",
            flush=True,
        )
    if tuner_factory.is_worker():
        best = distributed.worker_best_hyperparameters(tuner)
        print(f"tune: worker {role} done; best so far: {best.values if best else 'see chief'}")
        return 0
    written = results.write_results(tuner)
    space_names = [hp.name for hp in tuner.oracle.get_space().space]
    print(f"\nSearch summary ({written.objective}, {written.direction}):")
    print(results.summary_table(written.records, written.objective, written.direction, space_names))
    print(f"\nbest hyperparameters: {written.best_hyperparameters}")
    print(f"trials: {written.trials_csv}\nplot: {written.plot}")
    print(f"TensorBoard HParams: tensorboard --logdir {tuner.project_dir}/tensorboard")
    if config.export or config.export_base is not None:
        print(f"exported: {_retrain_and_export(args, hypermodel, written, tuner, push)}")
    return 0


def _retrain_and_export(args, hypermodel, written, tuner, push):
    """Retrains the best configuration with `train()` and exports it (through `push` if given)."""
    import os

    from tfcharnlp.constants import DEFAULT_MODEL_BASE
    from tfcharnlp.export.export_model import export_trained
    from tuning import handoff, search_space

    result = handoff.retrain_best(
        hypermodel,
        written.best_hyperparameters,
        args.retrain_epochs,
        max_time=args.max_trial_time,
        overwrite=args.overwrite,
    )
    if result.report is not None:
        print(f"\nretrained best configuration:\n{result.report.to_text()}", end="")
    print(f"retrained model folder: {result.model_dir}", flush=True)
    config = result.config
    base = config.export_base or DEFAULT_MODEL_BASE
    name = config.model_name or config.family
    provenance = {
        "tuned_by": "tfcharnlp tune",
        "tuning_project": str(tuner.project_dir),
        "hyperparameters": dict(
            search_space.load_hyperparameters(written.best_hyperparameters).values
        ),
    }
    staging = os.path.join(str(tuner.project_dir), STAGING_DIR)
    path = export_trained(
        result, base=staging if push else base, model_name=name, extra_config=provenance
    )
    if push:
        path = push(path, os.path.join(str(base), name))
    return path
