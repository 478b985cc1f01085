"""The image installs the project with the README's step, from the project's own files.

One install recipe: the Makefile's `install` target (`pip install -e ".[dev,glove]"`,
requirements from setup.cfg), which the README's quick start and CI use; the
Dockerfile runs `make install` rather than a second, drifting pip line.
"""

import configparser
import re
import shlex

from tests.conftest import REPO_ROOT

README_INSTALL = 'pip install -e ".[dev,glove]"'


def _dockerfile_instructions():
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(rest.split())))
    return instructions


def _make_rules():
    """target -> (prerequisites, recipe lines) of the Makefile."""
    rules = {}
    current = None
    for line in (REPO_ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("\t") and current:
            rules[current][1].append(line.strip())
        elif ":" in line and not line.startswith(("#", ".PHONY")) and "=" not in line.split(":")[0]:
            target, _, prerequisites = line.partition(":")
            current = target.strip()
            rules[current] = (prerequisites.split(), [])
        else:
            current = None if not line.strip() else current
    return rules


def _install_recipe():
    rules = _make_rules()
    recipe = []
    for prerequisite in rules["install"][0]:
        recipe += rules.get(prerequisite, ((), []))[1]
    return recipe + rules["install"][1]


def _pip_install_arguments(line):
    """What a `pip install` line installs, without its output-only options."""
    words = shlex.split(line.split("pip install", 1)[1])
    return [word for word in words if word not in ("--quiet", "-q", "--no-cache-dir")]


def test_readme_states_the_makefile_install_command():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert README_INSTALL in readme
    stated = _pip_install_arguments(README_INSTALL)
    recipe = [_pip_install_arguments(line) for line in _install_recipe() if "pip install" in line]
    assert stated in recipe, recipe


def test_makefile_install_reads_requirements_from_setup_cfg():
    rules = _make_rules()
    stamp = rules["install"][0]
    assert stamp, "install has no prerequisite doing the install"
    assert "setup.cfg" in rules[stamp[0]][0], "re-install when setup.cfg changes"
    pip_lines = [line for line in _install_recipe() if "pip install" in line]
    project_installs = [line for line in pip_lines if '"."' in line or '".[' in line]
    assert project_installs, pip_lines
    for line in pip_lines:
        assert " -r " not in line, f"a second requirements source: {line}"


def test_dockerfile_installs_with_the_makefile_recipe():
    runs = [arguments for keyword, arguments in _dockerfile_instructions() if keyword == "RUN"]
    assert "make install" in runs, runs
    copies = [arguments for keyword, arguments in _dockerfile_instructions() if keyword == "COPY"]
    # The whole project goes in (.dockerignore keeps outputs out), so setup.cfg,
    # pyproject.toml and the Makefile are the ones the recipe reads.
    assert ". ." in copies
    # Nothing installs a named package beside the recipe, except the GPU wheels
    # pinned to the TensorFlow the recipe resolved (no literal version).
    for run in runs:
        if "pip install" in run:
            assert "tensorflow[and-cuda]==${TF_VERSION}" in run, run
            assert 'm.version("tensorflow")' in run, run


def test_dockerfile_base_python_satisfies_setup_cfg():
    instructions = _dockerfile_instructions()
    args = dict(
        arguments.split("=", 1)
        for keyword, arguments in instructions
        if keyword == "ARG" and "=" in arguments
    )
    base = args["BASE_IMAGE"]
    match = re.fullmatch(r"python:(\d+)\.(\d+)(-slim)?", base)
    assert match, base
    setup = configparser.ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg")
    required = re.search(r">=\s*(\d+)\.(\d+)", setup["options"]["python_requires"])
    assert (int(match.group(1)), int(match.group(2))) >= (
        int(required.group(1)),
        int(required.group(2)),
    )
    assert args["GPU"] == "false", "CPU is the default build"


def test_dockerignore_keeps_outputs_and_environments_out_but_not_packaging():
    ignored = {
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "models", "runs", "logs", "tuning_results", "data"} <= ignored
    for needed in ("setup.cfg", "pyproject.toml", "Makefile", "README.md", "tfcharnlp", "serving"):
        assert needed not in ignored, needed
