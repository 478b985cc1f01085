"""The `tfcharnlp` command: assembles the subcommands each package owns.

The library (`tfcharnlp`), `tuning` and `serving` each register their own
subcommands; this module only builds the parser and dispatches. Subcommand
modules import TensorFlow inside their handlers, so `--help` stays fast.
"""

import argparse
import logging
import sys

from tfcharnlp import __version__

# (module, description) pairs; each module defines `register(subparsers)`.
COMMAND_MODULES = (
    "tfcharnlp.commands",
    "tuning.commands",
    "serving.commands",
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tfcharnlp",
        description="Character- and word-level text models: data, train, tune, export, serve.",
    )
    parser.add_argument("--version", action="version", version=f"tfcharnlp {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging, TensorFlow's start-up lines"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    import importlib

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.verbose:
        from tfcharnlp.quiet_start import quiet_tensorflow_start_up

        quiet_tensorflow_start_up()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from tfcharnlp.errors import TfcharnlpError

    try:
        return args.func(args) or 0
    except TfcharnlpError as error:
        print(f"tfcharnlp {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
