"""`tfcharnlp export`: a trained model folder -> a new version in a model repository."""

from tfcharnlp.constants import DEFAULT_MODEL_BASE


def register(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="export a trained model folder as a SavedModel version for TF Serving",
        description=(
            "Writes <base>/<model-name>/<version>/ (SavedModel with serving signatures, the "
            "preprocessor inside the graph, assets and warmup requests) from the folder "
            "`tfcharnlp train` wrote. The write is atomic; existing versions are never "
            "overwritten."
        ),
    )
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="trained model folder (model.keras)")
    parser.add_argument(
        "--base",
        default=DEFAULT_MODEL_BASE,
        help=f"model repository root (default: {DEFAULT_MODEL_BASE})",
    )
    parser.add_argument(
        "--model-name", help="model (servable) name; default: the MODEL_DIR folder name"
    )
    parser.add_argument("--version", type=int, help="version number; default: the next integer")
    parser.add_argument(
        "--max-generation-length",
        type=int,
        default=10000,
        help="language models: the largest `length` a request may ask for (default: 10000)",
    )
    parser.set_defaults(func=run)


def run(args):
    import pathlib

    from tfcharnlp.errors import ConfigError
    from tfcharnlp.export import export_model
    from tfcharnlp.export.export_model import is_language_model, load_trained_model
    from tfcharnlp.validation import check_int

    model_dir = pathlib.Path(args.model_dir)
    if not model_dir.is_dir():
        raise ConfigError("MODEL_DIR", f"{model_dir} is not a folder")
    check_int("--version", args.version, minimum=0, optional=True)
    model, labels, training_config = load_trained_model(model_dir)
    kwargs = {}
    if is_language_model(model):
        kwargs["max_generation_length"] = args.max_generation_length
    path = export_model(
        model,
        base=args.base,
        model_name=args.model_name or model_dir.resolve().name,
        version=args.version,
        labels=labels,
        training_config=training_config,
        **kwargs,
    )
    print(path)
    return 0
