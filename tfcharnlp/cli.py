"""The `tfcharnlp` command: assembles the subcommands each package owns.

The library (`tfcharnlp.commands`), `tuning` and `serving` each register
their own subcommands; this module builds the parser, wires the one step
that crosses packages (a tuned model's push through `serving`'s validation,
handed to `tune` as a function so `tuning` never imports `serving`), and
dispatches. `demo`, the end-to-end tour, is the one command that uses all
three packages and lives next to this file. Subcommand modules import
TensorFlow inside their handlers, so `--help` stays fast.
"""

import argparse
import logging
import os
import sys

from tfcharnlp import __version__


def push_validated(staged_version, target_model_dir):
    """Publishes a staged export through `serving`'s push validation; the published path.

    A sandboxed server must load the candidate and answer its warmup
    requests and sample texts (see `serving.push.push_model`).
    """
    from serving.push import push_model
    from tfcharnlp.errors import ExportError

    result = push_model(staged_version, target_model_dir)
    for check in result.checks:
        logging.getLogger(__name__).info("push: %s", check)
    if not result.pushed:
        raise ExportError(f"push rejected the model ({staged_version}): {result.reason}")
    return result.path


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: flags may come before, between or after its positionals.

    Plain argparse matches positionals greedily in one go, so in
    `predict MODEL --json TEXT` the texts after `--json` are left over
    ("unrecognized arguments"). `parse_known_intermixed_args` first takes the
    flags out, then matches all positionals together, as users of `git` or
    `docker` expect. It calls `parse_known_args` itself (Python 3.11), hence
    the guard that sends those inner calls to argparse's own parsing.
    """

    _intermixing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser():
    from serving import commands as serving_commands
    from tfcharnlp import commands, demo_command
    from tuning import commands as tuning_commands

    parser = argparse.ArgumentParser(
        prog="tfcharnlp",
        description="Character- and word-level text models: data, train, tune, export, serve.",
    )
    parser.add_argument("--version", action="version", version=f"tfcharnlp {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging, TensorFlow's start-up lines"
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=CommandParser
    )
    subparsers.required = True
    commands.register(subparsers)
    tuning_commands.register(subparsers, push=push_validated)
    serving_commands.register(subparsers)
    demo_command.register(subparsers)
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
        code = args.func(args) or 0
        # Flushed here, not at exit, so that a closed pipe is caught below.
        sys.stdout.flush()
        return code
    except TfcharnlpError as error:
        print(f"tfcharnlp {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tfcharnlp data ... | head`: the reader left; end quietly. Python's own
        # recipe: point stdout at devnull so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
