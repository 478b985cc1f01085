"""Command-line flags of `tfcharnlp train`, generated from the `TrainConfig` fields.

Every field gets a flag in both spellings (`--batch-size` and `--batch_size`,
the latter as the popular char-CNN trainer writes them); flags default to
"not given", so that only the flags a user types override the config file.
The data flags are `tfcharnlp.data`'s shared ones (`--preset`, `--path`, ...).
"""

import argparse
import dataclasses
import json
import typing

from tfcharnlp.data import arguments as data_arguments
from tfcharnlp.data.text_statistics import parse_max_length
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import families
from tfcharnlp.training.train_config import TrainConfig

# Fields set through other flags (the data flags) or only from a config file.
# The data sources: set by the data, --test-* and --dev-* flag groups.
_DATA_FIELDS = {"data", "test_data", "dev_data"}
_NOT_FLAGS = _DATA_FIELDS | {"model_options", "class_weights", "normalize"}
# Names users of the char-CNN trainer type, mapped to our fields.
ALIASES = {
    "log_dir": ("--log_path", "--log-path"),
    "output_dir": ("--output",),
    "schedule": ("--scheduler",),
    "focal_gamma": ("--gamma",),
    "num_classes": ("--number_of_classes",),
}


def _base_type(annotation):
    if typing.get_origin(annotation) is typing.Union:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return args[0]
    return annotation


def _number(value):
    return float(value)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps one-paragraph texts as argparse does; keeps texts with line breaks (the recipes)."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def recipes_epilog():
    """The `--help` epilog listing every family's recipes (the defaults of unset fields)."""
    return (
        'family recipes (the defaults of the fields marked "the family recipe\'s"; flags and\n'
        "--config override them, and train_config.json records the values a run used):\n"
        + families.describe_recipes()
    )


def _help(field):
    help_text = field.metadata["help"]
    if field.name in families.RECIPE_FIELDS:
        return f"{help_text} (default: the family recipe's, {families.recipe_defaults(field.name)})"
    if "default" in help_text:
        return help_text
    return f"{help_text} (default: {field.default!r})"


def add_train_arguments(parser):
    """Adds `--config FILE`, the data flags and one flag per `TrainConfig` field."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="JSON or YAML file of TrainConfig fields; flags override it",
    )
    data_arguments.add_data_arguments(parser)
    test = parser.add_argument_group("held-out test data (default: the validation split)")
    test.add_argument("--test-preset", help="a shared data set to evaluate on")
    test.add_argument("--test-split", help="the test preset's split")
    test.add_argument("--test-path", help="a test data file (read like the training data)")
    dev = parser.add_argument_group(
        "development data for early stopping and checkpoints (default: the validation split)"
    )
    dev.add_argument("--dev-preset", help="a shared data set to validate on")
    dev.add_argument("--dev-split", help="the dev preset's split (e.g. dev)")
    dev.add_argument("--dev-path", help="a dev data file (read like the training data)")

    group = parser.add_argument_group("training (TrainConfig fields)")
    group.add_argument(
        "--normalize",
        type=lambda value: [step for step in value.split(",") if step],
        help="comma-separated normalization steps, e.g. lower,remove_urls ('' for none)",
    )
    group.add_argument(
        "--class-weights",
        "--class_weights",
        dest="class_weights",
        type=_class_weights,
        help="none, balanced, comma-separated weights by class id, or a JSON {label: weight}",
    )
    group.add_argument(
        "--focal_loss",
        "--focal-loss",
        dest="loss",
        action="store_const",
        const="focal",
        help="use the focal loss (same as --loss focal)",
    )
    for field in dataclasses.fields(TrainConfig):
        if field.name in _NOT_FLAGS:
            continue
        choices = field.metadata.get("choices")
        names = [f"--{field.name.replace('_', '-')}"]
        if "_" in field.name:
            names.append(f"--{field.name}")
        names.extend(ALIASES.get(field.name, ()))
        kind = _base_type(field.type)
        kwargs = {"dest": field.name, "help": _help(field)}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = {int: int, float: _number}.get(kind, str)
            if field.name == "max_length":
                kwargs["type"] = parse_max_length
            if choices:
                kwargs["choices"] = choices
            elif field.name == "recipe":
                kwargs["choices"] = sorted(
                    {r for f in families.FAMILIES.values() for r in f.recipes}
                )
        group.add_argument(*names, **kwargs)
    # Only flags the user typed appear in the namespace.
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - _DATA_FIELDS
    for action in parser._actions:
        if action.dest in fields:
            action.default = argparse.SUPPRESS
    return parser


def _class_weights(value):
    if value in ("none", "balanced"):
        return value
    if value.lstrip().startswith("{"):
        try:
            return {str(k): float(v) for k, v in json.loads(value).items()}
        except (ValueError, AttributeError) as error:
            raise argparse.ArgumentTypeError(f"bad class weight mapping {value!r}") from error
    try:
        return [float(weight) for weight in value.split(",")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"bad class weights {value!r}") from error


def _data_overrides(args):
    """The data flags the user gave, as `TrainConfig.data` keys."""
    overrides = {
        field: getattr(args, dest)
        for dest, field in data_arguments._OVERRIDES.items()
        if getattr(args, dest, None) is not None
    }
    if getattr(args, "no_labels", None):
        overrides["label_column"] = None
    for key in ("preset", "split", "path"):
        if getattr(args, key, None) is not None:
            overrides[key] = getattr(args, key)
    if getattr(args, "data", None):
        overrides["data_dir"] = args.data
    if overrides.get("path"):
        overrides["path"] = data_arguments._resolve_path(overrides["path"], args.data)
    return overrides


def _merge_source(base, overrides):
    """Source flags replace the file's source: --path drops a file's preset and vice versa."""
    merged = dict(base or {})
    if "path" in overrides:
        merged.pop("preset", None)
        merged.pop("split", None)
    if "preset" in overrides:
        merged.pop("path", None)
    merged.update(overrides)
    return merged


def _held_out_source(args, data, kind):
    """The `--{kind}-preset/-split/-path` flags as a data mapping ({} when none is given)."""
    preset, split, path = (getattr(args, f"{kind}_{name}") for name in ("preset", "split", "path"))
    source = {}
    if preset:
        source = {"preset": preset, "split": split}
    elif path:
        # Read with the same columns and encoding as the training data.
        source = {k: v for k, v in data.items() if k not in ("preset", "split", "max_rows")}
        source["path"] = data_arguments._resolve_path(path, args.data)
    elif split:
        if not data.get("preset"):
            raise ConfigError(
                f"{kind}_split", f"--{kind}-split needs a preset (--preset or --{kind}-preset)"
            )
        source = {"preset": data["preset"], "split": split}
    if source and getattr(args, "data", None) and "data_dir" not in source:
        source["data_dir"] = args.data
    return source


def config_from_args(args):
    """The `TrainConfig` of `--config FILE` (if any) with the given flags applied on top."""
    if getattr(args, "config", None):
        base = TrainConfig.from_file(args.config, validate=False).to_dict()
    else:
        base = {}
    for field in dataclasses.fields(TrainConfig):
        if field.name in vars(args) and field.name not in _DATA_FIELDS:
            base[field.name] = getattr(args, field.name)
    base["data"] = _merge_source(base.get("data"), _data_overrides(args))
    for kind, field in (("test", "test_data"), ("dev", "dev_data")):
        held_out = _held_out_source(args, base["data"], kind)
        if held_out:
            base[field] = held_out
    return TrainConfig.from_dict(base)
