"""Every command line in docker-compose.yml against the parser that will read it.

`tfcharnlp ...` commands are parsed by the real `tfcharnlp.cli.build_parser()`;
the tensorflow/serving command by `tfcharnlp serve`'s parser, which accepts
tensorflow_model_server's flags (so the embedded server runs the same command
line). A subcommand the compose file runs must exist.
"""

import argparse
import contextlib
import io

import pytest
import yaml

from tests.stack.conftest import COMPOSE_FILE, tfcharnlp_invocations
from tfcharnlp import cli

# tensorflow_model_server flags (tensorflow_serving/model_servers/main.cc) that
# issue 5 lists; the compose file may only use real ones.
TF_MODEL_SERVER_FLAGS = {
    "--port",
    "--rest_api_port",
    "--model_name",
    "--model_base_path",
    "--model_config_file",
    "--model_config_file_poll_wait_seconds",
    "--file_system_poll_wait_seconds",
    "--grpc_socket_path",
    "--grpc_channel_arguments",
    "--enable_batching",
    "--batching_parameters_file",
    "--monitoring_config_file",
    "--ssl_config_file",
    "--rest_api_timeout_in_ms",
}


def _invocations():
    """(id, service, argv) for every `tfcharnlp` run in the compose file."""
    with open(COMPOSE_FILE, encoding="utf-8") as stream:
        services = yaml.safe_load(stream)["services"]
    cases = []
    for name, service in services.items():
        if name == "serving":
            cases.append(pytest.param(name, ["serve", *service["command"]], id=f"{name}-serve"))
            continue
        for index, argv in enumerate(tfcharnlp_invocations(service.get("command", []))):
            cases.append(pytest.param(name, argv, id=f"{name}-{argv[0]}-{index}"))
    return cases


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    raise AssertionError("tfcharnlp has no subcommands")


def _option_strings(parser):
    return {option for action in parser._actions for option in action.option_strings}


def test_every_service_but_serving_and_tensorboard_runs_tfcharnlp():
    ids = {case.values[0] for case in _invocations()}
    assert {"trainer", "trainer-gpu", "exporter", "pusher", "tuner-chief", "tuner-worker"} <= ids


@pytest.mark.parametrize("service,argv", _invocations())
def test_compose_command_parses_with_the_real_cli(service, argv):
    parser = cli.build_parser()
    subcommands = _subparsers(parser)
    subcommand = argv[0]
    assert subcommand in subcommands, f"{service}: `tfcharnlp {subcommand}` does not exist"
    known = _option_strings(subcommands[subcommand])
    for word in argv[1:]:
        if word.startswith("--"):
            flag = word.split("=", 1)[0]
            # Exact names only: argparse would also accept an abbreviation.
            assert flag in known, f"{service}: `tfcharnlp {subcommand}` has no flag {flag}"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            parser.parse_args(argv)
        except SystemExit as error:
            pytest.fail(f"{service}: `tfcharnlp {' '.join(argv)}` is refused: {stderr.getvalue()}")
            raise AssertionError from error


def test_serving_uses_only_tensorflow_model_server_flags():
    with open(COMPOSE_FILE, encoding="utf-8") as stream:
        command = yaml.safe_load(stream)["services"]["serving"]["command"]
    flags = {word.split("=", 1)[0] for word in command}
    assert flags <= TF_MODEL_SERVER_FLAGS, flags - TF_MODEL_SERVER_FLAGS


def test_invocation_parsing_reads_shell_scripts():
    # The helper the checks above rely on: `$$` and `${VAR:-default}` as compose
    # interpolates them, `exec`, and several commands in one script.
    script = 'exec tfcharnlp tune --worker "w-$${HOSTNAME}" && tfcharnlp export ${X:-/runs}'
    assert tfcharnlp_invocations(["sh", "-c", script]) == [
        ["tune", "--worker", "w-${HOSTNAME}"],
        ["export", "/runs"],
    ]
    assert tfcharnlp_invocations(["tensorboard", "--logdir", "/logs"]) == []
