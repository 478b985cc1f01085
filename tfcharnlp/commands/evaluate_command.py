"""`tfcharnlp evaluate MODEL_DIR`: accuracy, macro F1 and per-class table of a trained classifier."""

import pathlib


def register(subparsers):
    from tfcharnlp.data.arguments import add_data_arguments

    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate a trained model folder or exported SavedModel on labeled data",
        description=(
            "Evaluates a classifier (a model folder written by `train`, or an exported "
            "SavedModel version) on the data the flags describe (--preset/--path ...). "
            "Without data flags, a trained folder is evaluated on its held-out data (its test, "
            "dev or validation split, as train_config.json records). Prints what was read "
            "(rows read, kept, skipped and why, as `train` logs it) and the rows whose label "
            "the model does not know; rows left out are a warning in the report, every one of "
            "them listed with -v. Exits with 2 when fewer than half of the rows read can be "
            "scored (--strict: at the first such row). "
            "Writes report.txt/.json/.md and confusion_matrix.png into --output."
        ),
    )
    parser.add_argument("model_dir", metavar="MODEL_DIR")
    add_data_arguments(parser)
    parser.add_argument(
        "--output", help="folder for the report files (default: MODEL_DIR/evaluation)"
    )
    parser.add_argument("--batch-size", type=int, default=256, help="texts per batch")
    parser.set_defaults(func=run)


# Options that describe a source; without --preset/--path they would be silently ignored.
_DATA_OPTIONS = ("split", "data_format", "text_columns", "label_column", "max_rows", "separator")


def run(args):
    from tfcharnlp.data.arguments import data_config_from_args
    from tfcharnlp.errors import ConfigError
    from tfcharnlp.training.evaluate import evaluate_rows, held_out_rows
    from tfcharnlp.training.model_folder import (
        EVALUATION_DIR,
        load_classifier,
        resolve_model_path,
    )

    _, path = resolve_model_path(args.model_dir)
    classifier = load_classifier(path)
    data = None
    if args.preset or args.path:
        # Every row is evaluated; the model's label vocabulary fixes the class ids, and rows
        # with labels it does not know are counted and listed, not scored.
        data = data_config_from_args(args)
    else:
        given = [flag for flag in _DATA_OPTIONS if getattr(args, flag, None) is not None]
        if given:
            raise ConfigError(
                "path", f"data options {given} need a source: give --preset or --path"
            )
    output = pathlib.Path(args.output) if args.output else pathlib.Path(path) / EVALUATION_DIR
    split = f"{data.path}" if data is not None else None
    rows, split = held_out_rows(classifier, path, data, split)
    print(rows.summary(verbose=getattr(args, "verbose", False)), flush=True)
    report = evaluate_rows(classifier, rows, split, output, batch_size=args.batch_size)
    print(report.to_text(), end="")
    print(f"report: {output}")
    return 0
