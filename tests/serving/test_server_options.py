"""`ServerOptions`: the models resolved once, from the flags or from Python, errors naming the flag."""

import argparse

import pytest

from serving.server import BatchingOptions, ServerOptions, flags
from serving.server.request_limits import RequestLimits
from tfcharnlp import constants
from tfcharnlp.errors import ConfigError


def parse(*argv):
    return flags.add_flags(argparse.ArgumentParser()).parse_args(list(argv))


def test_the_models_come_from_exactly_one_source(tmp_path):
    options = ServerOptions(model_name="m", model_base_path=str(tmp_path))
    (config,) = options.config_list.config
    assert (config.name, config.base_path) == ("m", str(tmp_path))
    assert config.model_version_policy.latest.num_versions == 1
    file = tmp_path / "models.config"
    file.write_text(f'model_config_list {{ config {{ name: "a" base_path: "{tmp_path}" }} }}')
    from_file = ServerOptions(model_config_file=str(file))
    assert [c.name for c in from_file.config_list.config] == ["a"]
    assert ServerOptions(config_list=from_file.config_list).config_list is from_file.config_list
    for fields in ({}, {"model_base_path": str(tmp_path), "model_config_file": str(file)}):
        with pytest.raises(ConfigError, match="exactly one"):
            ServerOptions(**fields)


def test_a_model_config_file_that_does_not_parse_names_its_flag(tmp_path):
    file = tmp_path / "models.config"
    file.write_text('model_config_list { config { nme: "a" } }')
    with pytest.raises(ConfigError) as caught:
        ServerOptions(model_config_file=str(file))
    assert caught.value.field == "--model_config_file"
    assert f"Invalid protobuf file: '{file}'" in caught.value.message


def test_from_flags_reads_the_files_the_flags_name(tmp_path, repo_root):
    batching_file = tmp_path / "batching.config"
    batching_file.write_text("max_batch_size { value: 16 }\nnum_batch_threads { value: 2 }")
    options = ServerOptions.from_flags(
        parse(
            "--port=0",
            "--model_name=m",
            f"--model_base_path={tmp_path}",
            "--enable_batching",
            f"--batching_parameters_file={batching_file}",
            "--rest_api_port=9001",
            f"--monitoring_config_file={repo_root / constants.MONITORING_CONFIG_FILE}",
            "--grpc_channel_arguments=grpc.max_connection_age_ms=2000",
            "--max_rows_per_model_call=8",
        )
    )
    assert options.batching == BatchingOptions(16, 0, 10, 2)
    assert options.prometheus_path == constants.PROMETHEUS_PATH
    assert options.channel_arguments == (("grpc.max_connection_age_ms", 2000),)
    assert options.limits == RequestLimits(max_rows_per_call=8)
    assert (options.rest_api_port, options.rest_api_timeout_in_ms) == (9001, None)
    # Defaults as tensorflow_model_server's: no batching, no REST, warmup on.
    plain = ServerOptions.from_flags(parse(f"--model_base_path={tmp_path}"))
    assert (plain.batching, plain.rest_api_port, plain.enable_warmup) == (None, None, True)
    assert plain.port == constants.GRPC_PORT and plain.prometheus_path is None
    assert (
        ServerOptions.from_flags(
            parse(f"--model_base_path={tmp_path}", "--enable_batching")
        ).batching
        == BatchingOptions()
    )


def test_a_batching_file_it_cannot_honour_names_its_flag(tmp_path):
    batching_file = tmp_path / "batching.config"
    batching_file.write_text("max_batch_size { value: 8 }\npad_variable_length_inputs: true")
    args = parse(
        f"--model_base_path={tmp_path}",
        "--enable_batching",
        f"--batching_parameters_file={batching_file}",
    )
    with pytest.raises(ConfigError) as caught:
        ServerOptions.from_flags(args)
    assert caught.value.field == "--batching_parameters_file"
    assert "pad_variable_length_inputs" in caught.value.message
