"""Unit tests of the server's parts that need no running server."""

import argparse
import shlex
import threading
import time

import grpc
import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving.server import batching, flags, model_config, status
from serving.server.events import format_event
from tests.serving.reliability_helpers import wait_until
from tfcharnlp import constants
from tfcharnlp.errors import ConfigError


class TestBatchingParameters:
    def test_parses_tensorflow_serving_text_format(self):
        text = """
        # TensorFlow Serving batching file
        max_batch_size { value: 64 }
        batch_timeout_micros { value: 2000 }
        max_enqueued_batches { value: 4 }
        num_batch_threads { value: 2 }
        """
        options = batching.parse_batching_parameters(text)
        assert options == batching.BatchingOptions(64, 2000, 4, 2)

    def test_unsupported_field_is_refused_not_ignored(self):
        with pytest.raises(status.StatusError, match="pad_variable_length_inputs"):
            batching.parse_batching_parameters(
                "max_batch_size { value: 8 }\npad_variable_length_inputs: true"
            )

    def test_garbage_is_refused(self):
        with pytest.raises(status.StatusError):
            batching.parse_batching_parameters("max_batch_size { value: }")


class TestBatchScheduler:
    def test_merges_concurrent_tasks_and_splits_outputs(self):
        calls = []

        def runner(arrays):
            calls.append(len(arrays["x"]))
            return {"y": (arrays["x"] * 2, types_pb2.DT_INT64)}

        options = batching.BatchingOptions(
            max_batch_size=64, batch_timeout_micros=50_000, num_batch_threads=1
        )
        scheduler = batching.BatchScheduler(runner, options)
        results = {}

        def send(i):
            results[i] = scheduler.submit({"x": np.array([i, i], np.int64)})["y"][0]

        threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        scheduler.close()
        assert all(list(results[i]) == [2 * i, 2 * i] for i in range(8))
        assert sum(calls) == 16
        assert len(calls) < 8

    @staticmethod
    def busy_scheduler(options):
        """A scheduler whose runner holds a first, full batch until `release` is set.

        Returns `(scheduler, release, the thread that submitted the batch)`.
        """
        started, release = threading.Event(), threading.Event()

        def runner(arrays):
            started.set()
            release.wait(5)
            return {"y": (arrays["x"], types_pb2.DT_INT64)}

        scheduler = batching.BatchScheduler(runner, options)
        rows = {"x": np.arange(options.max_batch_size)}
        busy = threading.Thread(target=scheduler.submit, args=(rows,))
        busy.start()
        assert started.wait(10)
        return scheduler, release, busy

    def test_full_queue_is_resource_exhausted(self):
        options = batching.BatchingOptions(
            max_batch_size=2, max_enqueued_batches=1, num_batch_threads=1
        )
        scheduler, release, busy = self.busy_scheduler(options)
        queued = threading.Thread(target=scheduler.submit, args=({"x": np.array([3, 4])},))
        queued.start()
        wait_until(lambda: scheduler.queued_rows == 2, timeout=10)
        with pytest.raises(status.StatusError) as caught:
            scheduler.submit({"x": np.array([5])})
        assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        release.set()
        busy.join()
        queued.join()
        scheduler.close()

    def test_many_threads_two_slots_every_task_gets_its_own_rows(self):
        def runner(arrays):
            return {"y": (arrays["x"] + 1, types_pb2.DT_INT64)}

        options = batching.BatchingOptions(
            max_batch_size=16, batch_timeout_micros=500, num_batch_threads=2
        )
        scheduler = batching.BatchScheduler(runner, options)
        wrong = []

        def send(i):
            for j in range(5):
                rows = np.array([i * 100 + j] * (1 + j % 3), np.int64)
                got = scheduler.submit({"x": rows})["y"][0]
                if list(got) != list(rows + 1):
                    wrong.append((i, j, got))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert wrong == []
        assert scheduler.batches_run < 24 * 5

    def test_runner_failure_answers_every_task_and_frees_the_slot(self):
        def runner(arrays):
            if arrays["x"][0] < 0:
                raise RuntimeError("boom")
            return {"y": (arrays["x"], types_pb2.DT_INT64)}

        scheduler = batching.BatchScheduler(runner, batching.BatchingOptions(num_batch_threads=1))
        with pytest.raises(status.StatusError) as caught:
            scheduler.submit({"x": np.array([-1])})
        assert caught.value.code == grpc.StatusCode.INTERNAL and "boom" in caught.value.message
        assert list(scheduler.submit({"x": np.array([5])})["y"][0]) == [5]

    def test_queued_task_past_its_deadline_leaves_the_queue(self):
        options = batching.BatchingOptions(
            max_batch_size=1, max_enqueued_batches=2, num_batch_threads=1
        )
        scheduler, release, busy = self.busy_scheduler(options)
        with pytest.raises(status.StatusError) as caught:
            scheduler.submit({"x": np.array([2])}, deadline=time.monotonic() + 0.1)
        assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        release.set()
        busy.join()
        # The expired task freed its queue room: two more fit.
        assert list(scheduler.submit({"x": np.array([3])})["y"][0]) == [3]

    def test_task_larger_than_max_batch_size_and_ragged_inputs_are_invalid(self):
        scheduler = batching.BatchScheduler(
            lambda arrays: {}, batching.BatchingOptions(max_batch_size=2)
        )
        with pytest.raises(status.StatusError, match="larger than maximum input batch size"):
            scheduler.submit({"x": np.zeros(3)})
        with pytest.raises(status.StatusError, match="equal 0th-dimension"):
            scheduler.submit({"x": np.zeros(1), "z": np.zeros(2)})
        scheduler.close()


class TestModelConfig:
    def test_parses_model_config_list_with_policies_and_labels(self):
        text = """
        model_config_list {
          config { name: "a" base_path: "/m/a" model_platform: "tensorflow"
                   model_version_policy { specific { versions: 1 versions: 3 } }
                   version_labels { key: "stable" value: 1 } }
          config { name: "b" base_path: "/m/b" model_version_policy { all {} } }
        }
        """
        config_list = model_config.model_config_list(model_config.parse_model_server_config(text))
        a, b = config_list.config
        assert a.version_labels["stable"] == 1
        found = {1: "1", 2: "2", 3: "3", 4: "4"}
        assert model_config.aspired_versions(a, found) == {1, 3}
        assert model_config.aspired_versions(b, found) == {1, 2, 3, 4}
        latest = model_config.single_model_config("c", "/m/c").config[0]
        assert model_config.aspired_versions(latest, found) == {4}

    def test_duplicate_names_and_bad_text_are_refused(self):
        with pytest.raises(status.StatusError, match="multiple times"):
            model_config.model_config_list(
                model_config.parse_model_server_config(
                    'model_config_list { config { name: "a" base_path: "/x" } config { name: "a" base_path: "/y" } }'
                )
            )

    def test_a_config_that_does_not_parse_gets_tensorflow_model_servers_words(self, tmp_path):
        path = tmp_path / "models.config"
        path.write_text('model_config_list {\n  config { nme: "a" }\n}\n')
        with pytest.raises(status.StatusError) as caught:
            model_config.read_model_config_file(str(path))
        # protobuf's line, then tensorflow_model_server's (tensorflow_model_server_test.py).
        assert caught.value.message == (
            "Error parsing text-format tensorflow.serving.ModelServerConfig: 2:12: "
            'Message type "tensorflow.serving.ModelConfig" has no field named "nme".\n'
            f"Invalid protobuf file: '{path}'"
        )

    def test_scan_reads_numeric_folders_only(self, tmp_path):
        # "12\n" would pass `re.match("^[0-9]+$")`: `$` matches before a final newline.
        for name in ("00000123", "7", ".tmp-8", "tmp9", "x10", "12\n", "13\r", "１４"):
            (tmp_path / name).mkdir()
        (tmp_path / "11").write_text("a file, not a version folder")
        assert model_config.scan_versions(tmp_path) == {
            123: str(tmp_path / "00000123"),
            7: str(tmp_path / "7"),
        }
        assert model_config.scan_versions(tmp_path / "missing") == {}


class TestFlags:
    def parse(self, *argv):
        return flags.add_flags(argparse.ArgumentParser()).parse_args(list(argv))

    def test_accepts_both_flag_forms_and_defaults(self, tmp_path):
        args = self.parse("--model_name=m", "--model_base_path", str(tmp_path), "--enable_batching")
        flags.check_flags(args)
        assert (args.model_name, args.model_base_path, args.enable_batching) == (
            "m",
            str(tmp_path),
            True,
        )
        assert args.port == constants.GRPC_PORT and args.host == constants.DEFAULT_HOST
        assert self.parse("--enable_batching=false").enable_batching is False

    @pytest.mark.parametrize(
        "argv, flag",
        [
            (["--rest_api_timeout_in_ms=100"], "--rest_api_timeout_in_ms"),
            (["--rest_api_port=70000"], "--rest_api_port"),
            (["--monitoring_config_file=missing.config"], "--monitoring_config_file"),
            (["--ssl_config_file=missing.config"], "--ssl_config_file"),
            (["--grpc_channel_arguments=novalue"], "--grpc_channel_arguments"),
            (["--batching_parameters_file=b.config"], "--batching_parameters_file"),
            (["--file_system_poll_wait_seconds=-1"], "--file_system_poll_wait_seconds"),
        ],
    )
    def test_flags_it_cannot_honour_are_refused(self, argv, flag, tmp_path):
        args = self.parse("--model_base_path", str(tmp_path), *argv)
        with pytest.raises(ConfigError) as caught:
            flags.check_flags(args)
        assert caught.value.field == flag

    def test_batching_file_without_batching_is_refused_not_ignored(self, tmp_path):
        batching_file = tmp_path / "batching.config"
        batching_file.write_text("max_batch_size { value: 8 }")
        args = self.parse(
            "--model_base_path", str(tmp_path), f"--batching_parameters_file={batching_file}"
        )
        with pytest.raises(ConfigError, match="needs --enable_batching"):
            flags.check_flags(args)

    def test_a_model_source_is_required_and_exclusive(self, tmp_path):
        with pytest.raises(ConfigError, match="required"):
            flags.check_flags(self.parse())
        config = tmp_path / "models.config"
        config.write_text("model_config_list {}")
        with pytest.raises(ConfigError, match="not both"):
            flags.check_flags(
                self.parse("--model_config_file", str(config), "--model_base_path", str(tmp_path))
            )

    def test_channel_arguments(self):
        assert flags.parse_channel_arguments("grpc.max_connection_age_ms=2000,grpc.x=y") == [
            ("grpc.max_connection_age_ms", 2000),
            ("grpc.x", "y"),
        ]


def test_events_are_one_line_of_key_value_pairs():
    line = format_event(
        "version_load_failed", model="m", version=3, error='bad "file"\nsecond line'
    )
    assert "\n" not in line
    fields = dict(part.split("=", 1) for part in shlex.split(line))
    assert fields["event"] == "version_load_failed"
    assert fields["version"] == "3"
    assert fields["error"].startswith('bad "file"')


@pytest.mark.parametrize(
    "value",
    [
        "a\rforged event=x",
        "line\u2028separator",
        "para\u2029graph",
        "esc\x1b[31mred",
        "nul\x00byte",
        "next\x85line",
        "tab\there",
        "back\\slash",
        "non\u00a0breaking",
    ],
)
def test_event_values_escape_every_control_and_separator_character(value):
    line = format_event("request_failed", message=value, model="m")
    # One line for any log reader (str.splitlines splits on \r, U+2028, \x85, ...).
    assert line.splitlines() == [line]
    assert all(char.isprintable() for char in line)
    fields = dict(part.split("=", 1) for part in shlex.split(line))
    assert set(fields) == {"event", "message", "model"} and fields["model"] == "m"


def test_status_messages_use_tensorflow_serving_wording():
    assert status.servable_not_found("m").message == "Servable not found for request: Latest(m)"
    assert (
        status.servable_not_found("m", 3).message
        == "Servable not found for request: Specific(m, 3)"
    )
    assert status.servable_not_found("m", 3).code == grpc.StatusCode.NOT_FOUND
    proto = status.servable_not_found("m").to_status_proto()
    assert proto.error_code == grpc.StatusCode.NOT_FOUND.value[0]


class TestRequestLimits:
    @staticmethod
    def counting_runner(calls):
        def run(arrays):
            calls.append(len(arrays["x"]))
            x = arrays["x"]
            return {"y": (x * 2, types_pb2.DT_INT64), "n": (np.full(len(x), len(x)), 9)}

        return run

    def test_a_request_larger_than_the_row_limit_runs_in_parts_and_is_answered_whole(self):
        from serving.server import request_limits

        calls = []
        arrays = {"x": np.arange(10, dtype=np.int64), "z": np.zeros((10, 2))}
        outputs = request_limits.run_split(
            self.counting_runner(calls), arrays, 4, request_limits.RequestLimits()
        )
        assert calls == [4, 4, 2]
        assert outputs["y"][0].tolist() == list(range(0, 20, 2))
        assert outputs["n"][0].tolist() == [4] * 8 + [2] * 2
        calls.clear()
        request_limits.run_split(
            self.counting_runner(calls), arrays, 0, request_limits.RequestLimits()
        )
        assert calls == [10]

    def test_requests_that_cannot_be_split_or_are_too_big_are_resource_exhausted(self):
        from serving.server import request_limits

        run = self.counting_runner([])
        limits = request_limits.RequestLimits(max_request_memory_bytes=1000)
        with pytest.raises(status.StatusError) as caught:
            request_limits.run_split(run, {"x": np.zeros(200, np.int64)}, 8, limits)
        assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "above the limit of 1000 bytes" in caught.value.message

        # Small inputs, outputs projected from the first part above the limit.
        def wide(arrays):
            return {"y": (np.zeros((len(arrays["x"]), 100)), types_pb2.DT_DOUBLE)}

        with pytest.raises(status.StatusError, match="above the limit"):
            request_limits.run_split(wide, {"x": np.zeros(50, np.int8)}, 8, limits)
        ragged = {"x": np.zeros(20), "k": np.zeros(1)}
        with pytest.raises(status.StatusError) as caught:
            request_limits.run_split(run, ragged, 8, request_limits.RequestLimits())
        assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "cannot be split" in caught.value.message
        strings = np.array([b"x" * 100] * 10, dtype=object)
        assert request_limits.estimated_bytes([strings]) == 10 * (100 + 41)

    def test_outputs_without_one_row_per_input_row_cannot_be_split(self):
        from serving.server import request_limits

        def summary(arrays):
            return {"total": (np.array(arrays["x"].sum()), types_pb2.DT_INT64)}

        with pytest.raises(status.StatusError, match="not one row per input row"):
            request_limits.run_split(
                summary, {"x": np.arange(9)}, 4, request_limits.RequestLimits()
            )


def test_version_labels_need_an_available_version_unless_allowed():
    from serving.server.model_manager import ModelManager

    config_list = model_config.single_model_config("m", "/nowhere")
    config_list.config[0].version_labels["stable"] = 1
    with pytest.raises(status.StatusError) as caught:
        ModelManager(config_list)
    assert (caught.value.code, caught.value.message) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "Request to assign label to version 1 of model m, which is not currently available "
        "for inference",
    )
    assert ModelManager(config_list, allow_version_labels_for_unavailable_models=True)


def test_new_flags_have_defaults_and_refuse_bad_values(tmp_path):
    parser = flags.add_flags(argparse.ArgumentParser())
    args = flags.check_flags(parser.parse_args(["--model_base_path", str(tmp_path)]))
    assert args.allow_version_labels_for_unavailable_models is False
    assert args.max_rows_per_model_call == 1024
    assert args.max_request_memory_bytes == 2 * 1024**3
    assert parser.parse_args(
        ["--allow_version_labels_for_unavailable_models"]
    ).allow_version_labels_for_unavailable_models
    for bad in (
        "--max_rows_per_model_call=-1",
        "--max_request_memory_bytes=-1",
    ):
        with pytest.raises(ConfigError) as caught:
            flags.check_flags(parser.parse_args(["--model_base_path", str(tmp_path), bad]))
        assert caught.value.field == bad.split("=")[0]


def test_request_threads_leave_room_for_full_batches():
    from serving.server.server import MAX_BATCHING_WORKERS, default_max_workers

    plain = default_max_workers()
    assert plain >= 8
    options = batching.BatchingOptions(max_batch_size=64, num_batch_threads=1)
    assert default_max_workers(options) == plain + 64
    huge = batching.BatchingOptions(max_batch_size=1000, num_batch_threads=4)
    assert default_max_workers(huge) == MAX_BATCHING_WORKERS
