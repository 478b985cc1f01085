"""The README's stack section and user guide against the stack: commands, services, flags, paths, ports.

What is checked is what a reader runs or opens (make targets, `tfcharnlp`
command lines, compose services, repository paths, ports), not the wording.
"""

import argparse
import contextlib
import io
import re
import shlex

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.stack.conftest import COMPOSE_FILE
from tests.stack.test_install_step import _make_rules
from tfcharnlp import cli, constants

README = REPO_ROOT / "README.md"
HEADING = "## The docker-compose stack"
GUIDE_HEADING = "## User guide"
# Top-level folders the section may name: in the repository, or run outputs git ignores.
TRACKED_FOLDERS = ("serving", "bench", "tfcharnlp", "tuning", "tests")
RUN_OUTPUT_FOLDERS = ("models", "runs", "logs", "tuning_results")


def _section(heading=HEADING):
    text = README.read_text(encoding="utf-8")
    assert heading in text, f"README has no {heading!r} section"
    section = text.split(heading, 1)[1]
    following = re.search(r"^## ", section, flags=re.MULTILINE)
    return section[: following.start()] if following else section


def _commands(section):
    """Every command line of the section: code-block lines and inline code spans."""
    commands = []
    in_block = False
    continued = ""
    for line in section.splitlines():
        if line.strip().startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            line = continued + line.split("  #", 1)[0].strip()
            # A shell line continuation joins the next line to this command.
            continued = line[:-1] + " " if line.endswith("\\") else ""
            if not continued:
                commands.append(line)
    # Inline spans (outside code blocks) may wrap across lines; join them first.
    prose = re.sub(r"```.*?```", "", section, flags=re.S)
    commands += [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)]
    return [command for command in commands if command]


def _tfcharnlp_argvs(heading=HEADING):
    argvs = []
    for command in _commands(_section(heading)):
        # Pipes and `...` placeholders are prose, not runnable commands.
        if "tfcharnlp " not in command or "|" in command or "..." in command:
            continue
        words = shlex.split(command)
        if "tfcharnlp" not in words:
            continue
        argv = words[words.index("tfcharnlp") + 1 :]
        if argv and not argv[0].startswith("-"):
            argvs.append(pytest.param(argv, id=" ".join(argv[:2])))
    return argvs


def test_quick_start_commands_are_make_targets_that_exist():
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].split() for line in first_block.splitlines() if line.strip()]
    assert [command[:1] for command in commands] == [["make"]] * len(commands) and commands
    targets = _make_rules()
    assert {"demo", "test"} <= {command[1] for command in commands}
    for command in commands:
        assert command[1] in targets, f"the Makefile has no target {command[1]!r}"
    assert text.index(first_block) < text.index(HEADING)


def _inline_paths(section):
    prose = re.sub(r"```.*?```", "", section, flags=re.S)
    spans = (" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose))
    return [span for span in spans if re.fullmatch(r"[\w-]+/[\w./-]*", span)]


def test_paths_the_section_names_exist_or_are_ignored_run_outputs():
    ignored = (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    checked = []
    for path in _inline_paths(_section()):
        top = path.split("/", 1)[0]
        if top in RUN_OUTPUT_FOLDERS:
            assert f"/{top}/" in ignored, f"{path}: a run output git does not ignore"
        elif top in TRACKED_FOLDERS:
            assert (REPO_ROOT / path).exists(), f"{path} does not exist"
        else:
            continue
        checked.append(path)
    assert "serving/models.config" in checked


def test_ports_the_section_names_are_published_by_the_stack():
    with open(COMPOSE_FILE, encoding="utf-8") as stream:
        services = yaml.safe_load(stream)["services"]
    published = {
        str(port).split(":")[0]
        for service in services.values()
        for port in service.get("ports", [])
    }
    named = set(re.findall(r"localhost:(\d+)", _section()))
    assert {str(constants.GRPC_PORT), str(constants.REST_PORT)} <= named
    assert named <= published, named - published


def test_docker_compose_commands_name_existing_services():
    with open(COMPOSE_FILE, encoding="utf-8") as stream:
        services = set(yaml.safe_load(stream)["services"])
    named = []
    for command in _commands(_section()):
        match = re.search(r"docker compose (?:--profile \S+ )?(?:run --rm|up -d|up) (.*)", command)
        if not match:
            continue
        for word in match.group(1).split():
            if word.startswith(("-", "#")) or word == "tfcharnlp":
                break
            named.append(word)
    assert named, "the section runs no service"
    assert set(named) <= services, set(named) - services


@pytest.mark.parametrize("argv", _tfcharnlp_argvs() + _tfcharnlp_argvs(GUIDE_HEADING))
def test_readme_tfcharnlp_command_parses(argv):
    parser = cli.build_parser()
    subcommands = next(
        action.choices
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert argv[0] in subcommands, f"`tfcharnlp {argv[0]}` does not exist"
    if "--help" in argv or len(argv) == 1:
        # `tfcharnlp push --help`, or prose naming a subcommand: it exists, enough.
        return
    known = {option for action in subcommands[argv[0]]._actions for option in action.option_strings}
    for word in argv[1:]:
        if word.startswith("--"):
            assert word.split("=", 1)[0] in known, f"`tfcharnlp {argv[0]}` has no {word}"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"`tfcharnlp {' '.join(argv)}` is refused: {stderr.getvalue()}")
