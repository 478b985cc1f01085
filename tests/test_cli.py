"""The `tfcharnlp` command itself: flag order for every subcommand, and a closed pipe."""

import argparse
import subprocess
import sys

import pytest

from tfcharnlp.cli import CommandParser, build_parser


def subcommands():
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return parser, action.choices


def _value(action):
    """A value the action accepts: its first choice, a number for numeric types, else a word."""
    if action.choices:
        return str(list(action.choices)[0])
    return "1" if action.type in (int, float) else "word"


def _minimal_argv(subparser):
    """The positionals (two values for a `*` one) and the required flags of a subcommand."""
    positionals, required = [], []
    for action in subparser._actions:
        if not action.option_strings:
            count = 2 if action.nargs in ("*", "+") else 1
            positionals.append([f"{action.dest}{index}" for index in range(count)])
        elif action.required:
            required += [action.option_strings[0], _value(action)]
    return positionals, required


def _movable_flag(subparser):
    """An optional flag to put in different places: a switch if there is one, else a value flag."""
    optionals = [
        a
        for a in subparser._actions
        if a.option_strings and not a.required and a.dest != "help" and a.nargs in (0, None)
    ]
    switches = [a for a in optionals if a.nargs == 0]
    valued = [a for a in optionals if a.nargs is None and a.type in (None, int, float, str)]
    if switches:
        return [switches[0].option_strings[0]]
    if valued:
        return [valued[0].option_strings[0], _value(valued[0])]
    return None


NAMES = sorted(subcommands()[1])
WITH_FLAGS = [name for name in NAMES if _movable_flag(subcommands()[1][name])]


def test_every_subcommand_parses_flags_intermixed():
    _, choices = subcommands()
    assert all(isinstance(subparser, CommandParser) for subparser in choices.values())


@pytest.mark.parametrize("name", NAMES)
def test_help_of_every_subcommand(name, capsys):
    parser, _ = subcommands()
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args([name, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: tfcharnlp {name}" in capsys.readouterr().out


def test_subcommands_without_a_movable_flag_have_no_flags_at_all():
    # Flag order cannot matter for these; any other subcommand is in WITH_FLAGS.
    _, choices = subcommands()
    for name in set(NAMES) - set(WITH_FLAGS):
        options = [a.dest for a in choices[name]._actions if a.option_strings]
        assert options == ["help"], (name, options)


@pytest.mark.parametrize("name", WITH_FLAGS)
def test_flags_before_between_or_after_positionals_parse_the_same(name):
    parser, choices = subcommands()
    positionals, required = _minimal_argv(choices[name])
    flag = _movable_flag(choices[name])
    words = [word for group in positionals for word in group]
    placements = [flag + words, words + flag]
    if words:
        # Right after the first positional: `predict MODEL --json TEXT...`.
        placements.append(words[:1] + flag + words[1:])
    parsed = [vars(parser.parse_args([name, *required, *argv])) for argv in placements]
    assert all(namespace == parsed[0] for namespace in parsed[1:]), parsed
    for action in choices[name]._actions:
        if not action.option_strings:
            expected = [f"{action.dest}{i}" for i in range(2 if action.nargs == "*" else 1)]
            got = parsed[0][action.dest]
            assert (got if isinstance(got, list) else [got]) == expected


def test_predict_model_then_flags_then_texts():
    parser, _ = subcommands()
    args = parser.parse_args(["predict", "MODEL", "--json", "one text", "--top", "2", "two"])
    assert (args.model_dir, args.texts, args.json, args.top) == (
        "MODEL",
        ["one text", "two"],
        True,
        2,
    )


def test_unknown_flag_is_still_an_error(capsys):
    parser, _ = subcommands()
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["predict", "MODEL", "--no-such-flag", "text"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err


def test_closed_pipe_ends_quietly(tmp_path):
    # More output than a pipe buffer holds (64 KiB), so writing fails once the reader leaves.
    path = tmp_path / "many.csv"
    rows = "".join(f"row number {i} of a long enough sample text,{i % 2}\n" for i in range(4000))
    path.write_text("text,label\n" + rows, encoding="utf-8")
    argv = [sys.executable, "-m", "tfcharnlp.cli", "data", "--path", str(path), "--samples", "4000"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first_line = process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    stderr = process.communicate(timeout=60)[1].decode()
    assert first_line.startswith(b"source: ")
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert process.returncode == 1
