"""`tfcharnlp train`: train a classifier or a character language model, then export it if asked."""


def register(subparsers):
    from tfcharnlp.training.train_flags import HelpFormatter, add_train_arguments, recipes_epilog

    parser = subparsers.add_parser(
        "train",
        help="train a text classifier (char_cnn, multi_width_cnn, lstm, cnn_lstm) or a char_gru generator",
        description=(
            "Trains a model from a JSON/YAML config (--config) and flags that override it, "
            "evaluates it on the held-out split and writes the model folder "
            "<output_dir>/<model_name>/ (model.keras, label_vocabulary.txt, train_config.json, "
            "history.csv, report.*, plots). Fields left unset take the family's recipe "
            "(--recipe). A killed run resumes where it stopped when rerun; a finished run's "
            "folder is kept unless --overwrite. With --export "
            "(or --export-base) the model is then exported as the next SavedModel version."
        ),
        epilog=recipes_epilog(),
        formatter_class=HelpFormatter,
    )
    add_train_arguments(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the model folder when it holds a finished run (or start an interrupted "
        "one over instead of resuming it)",
    )
    parser.set_defaults(func=run)


def run(args):
    from tfcharnlp.training.train_flags import config_from_args
    from tfcharnlp.training.trainer import train

    config = config_from_args(args)
    result = train(config, overwrite=args.overwrite)
    if result.report is not None:
        print(result.report.to_text(), end="")
    else:
        budget = result.time_budget
        print(
            f"validation loss {result.metrics['validation_loss_nats_per_char']:.4f} nats/char\n"
            + (f"{budget.describe()}\n" if budget is not None else "")
            + f"sample:\n{result.sample}"
        )
    print(f"model folder: {result.model_dir}")
    if config.export or config.export_base:
        from tfcharnlp.export.export_model import export_trained

        print(f"exported: {export_trained(result)}")
    return 0
