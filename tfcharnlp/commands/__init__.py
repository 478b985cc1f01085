"""Subcommands owned by the `tfcharnlp` library package.

Each module here defines `register(subparsers)`; handlers import TensorFlow
lazily so that building the parser stays fast.
"""

import importlib

SUBCOMMAND_MODULES = (
    "tfcharnlp.commands.data_command",
    "tfcharnlp.commands.train_command",
    "tfcharnlp.commands.evaluate_command",
    "tfcharnlp.commands.predict_command",
    "tfcharnlp.commands.generate_command",
    "tfcharnlp.commands.export_command",
    "tfcharnlp.commands.inspect_command",
)


def register(subparsers):
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
