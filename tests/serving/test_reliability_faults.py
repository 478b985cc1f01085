"""Faults while serving: broken version folders, config reloads, vanishing clients, SIGTERM under load.

Each test starts its own small server on loopback and checks two things: the
server keeps answering for every model still configured (a client loop runs
through the fault and counts failures), and GetModelStatus tells the truth
about every version afterwards.
"""

import os
import shutil
import signal
import threading

import grpc
import pytest
from tensorflow_serving.apis import (
    model_management_pb2,
    model_service_pb2_grpc,
    prediction_service_pb2_grpc,
)

from serving.server import parse_batching_parameters, single_model_config
from tests.serving.reliability_helpers import (
    POLL_SECONDS,
    ClientLoop,
    publish,
    request_for,
    requests_in_flight,
    start_serve_process,
    states,
    wait_until,
)
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def served(tmp_path, staging, serve):
    base = tmp_path / "m"
    base.mkdir()
    publish(staging, "v1", base, 1)
    server = serve(model_name="m", model_base_path=base, file_system_poll_wait_seconds=POLL_SECONDS)
    with grpc.insecure_channel(server.target) as channel:
        yield server, channel, base


def test_corrupt_version_is_reported_and_the_previous_one_keeps_serving(served, staging):
    server, channel, base = served
    with ClientLoop(server.target, "m") as loop:
        corrupt = os.path.join(base, ".tmp-2")
        shutil.copytree(os.path.join(staging, "v2"), corrupt)
        with open(os.path.join(corrupt, constants.SAVED_MODEL_FILE), "wb") as stream:
            stream.write(b"\x0a\xff\xff this is not a SavedModel")
        os.rename(corrupt, os.path.join(base, "2"))
        status = wait_until(
            lambda: states(channel, "m").get(2, (None,))[0] == "END" and states(channel, "m")
        )
        # More passes over the broken folder while the clients keep calling.
        for _ in range(3):
            server.manager.poll()
    assert loop.failures == []
    assert loop.versions == {1}
    assert status[1] == ("AVAILABLE", 0, "")
    assert status[2][0] == "END" and status[2][1] != 0
    assert "Failed to load servable m version 2" in status[2][2]


def test_half_copied_version_loads_once_the_copy_completes(served, staging):
    server, channel, base = served
    with ClientLoop(server.target, "m") as loop:
        # A copy straight into the version folder (no hidden folder + rename):
        # variables first, saved_model.pb last, as `cp -r` may leave it.
        target = os.path.join(base, "2")
        shutil.copytree(
            os.path.join(staging, "v2", constants.VARIABLES_DIR),
            os.path.join(target, constants.VARIABLES_DIR),
        )
        half = wait_until(lambda: 2 in states(channel, "m") and states(channel, "m"))
        for name in os.listdir(os.path.join(staging, "v2")):
            source = os.path.join(staging, "v2", name)
            if name != constants.VARIABLES_DIR:
                copy = shutil.copytree if os.path.isdir(source) else shutil.copy2
                copy(source, os.path.join(target, name))
        # Touch saved_model.pb so the folder's stamp surely changes.
        os.utime(os.path.join(target, constants.SAVED_MODEL_FILE))
        wait_until(lambda: states(channel, "m").get(2, (None,))[0] == "AVAILABLE")
        wait_until(lambda: 2 in loop.versions)
    assert half[2][0] in ("LOADING", "END")
    if half[2][0] == "END":
        assert half[2][1] != 0
    assert loop.failures == []
    # Latest policy: version 1 is unloaded once version 2 serves (UNLOADING, then
    # END), cleanly (no error).
    final = wait_until(
        lambda: states(channel, "m").get(1, (None,))[0] == "END" and states(channel, "m")
    )
    assert final[2] == ("AVAILABLE", 0, "")
    assert final[1] == ("END", 0, "")


def test_version_deleted_while_served_falls_back_without_a_failed_request(served, staging):
    server, channel, base = served
    publish(staging, "v2", base, 2)
    wait_until(lambda: states(channel, "m").get(1, (None,))[0] == "END")
    with ClientLoop(server.target, "m") as loop:
        wait_until(lambda: 2 in loop.versions)
        shutil.rmtree(os.path.join(base, "2"))
        wait_until(lambda: states(channel, "m").get(2, (None,))[0] == "END")
        wait_until(lambda: 1 in loop.versions and loop.calls > 5)
        calls_after = loop.calls
        wait_until(lambda: loop.calls > calls_after + 3)
    assert loop.failures == []
    final = states(channel, "m")
    assert final[1] == ("AVAILABLE", 0, "")
    assert final[2] == ("END", 0, "")


def test_reload_removes_one_model_adds_another_and_the_kept_one_never_fails(
    tmp_path, staging, serve
):
    for name in ("kept", "removed", "added"):
        (tmp_path / name).mkdir()
        publish(staging, "v1", tmp_path / name, 1)
    config_list = single_model_config("kept", str(tmp_path / "kept"))
    config_list.config.add(name="removed", base_path=str(tmp_path / "removed"))
    server = serve(config_list=config_list, file_system_poll_wait_seconds=POLL_SECONDS)
    with (
        grpc.insecure_channel(server.target) as channel,
        ClientLoop(server.target, "kept") as loop,
    ):
        new_config = model_management_pb2.ReloadConfigRequest()
        kept = new_config.config.model_config_list.config.add()
        kept.name, kept.base_path, kept.model_platform = (
            "kept",
            str(tmp_path / "kept"),
            "tensorflow",
        )
        added = new_config.config.model_config_list.config.add()
        added.name, added.base_path, added.model_platform = (
            "added",
            str(tmp_path / "added"),
            "tensorflow",
        )
        stub = model_service_pb2_grpc.ModelServiceStub(channel)
        response = stub.HandleReloadConfigRequest(new_config, timeout=60)
        assert response.status.error_code == 0
        prediction = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        answer = prediction.Predict(request_for("added"), timeout=10)
        assert answer.model_spec.name == "added"
        with pytest.raises(grpc.RpcError) as caught:
            prediction.Predict(request_for("removed"), timeout=10)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert "Latest(removed)" in caught.value.details()
        calls = loop.calls
        wait_until(lambda: loop.calls > calls + 3)
        assert states(channel, "kept") == {1: ("AVAILABLE", 0, "")}
        assert states(channel, "added") == {1: ("AVAILABLE", 0, "")}
        assert states(channel, "removed") == {1: ("END", 0, "")}
    assert loop.failures == []


def test_client_disconnecting_mid_call_leaves_nothing_in_flight(tmp_path, staging, serve):
    publish(staging, "v1", tmp_path, 1)
    # A long batch timeout keeps each call in the server while the client goes away.
    batching = parse_batching_parameters(
        "max_batch_size { value: 64 }\nbatch_timeout_micros { value: 400000 }"
    )
    server = serve(model_name="m", model_base_path=tmp_path, batching=batching)
    for _ in range(3):
        channel = grpc.insecure_channel(server.target)
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        calls = [stub.Predict.future(request_for("m"), timeout=30) for _ in range(4)]
        # Cancel while the server holds them (the batch waits 0.4 s to fill).
        wait_until(lambda: requests_in_flight(server, "m") >= 1, timeout=10)
        calls[0].cancel()
        channel.close()  # The rest vanish with their connection.
        for call in calls:
            with pytest.raises((grpc.RpcError, grpc.FutureCancelledError)):
                call.result(timeout=10)
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Predict(request_for("m", ["a long enough text"]), timeout=10)
        assert response.outputs[constants.LABELS].string_val == [b"long"]
        assert states(channel, "m") == {1: ("AVAILABLE", 0, "")}
    # Every abandoned call was released.
    wait_until(lambda: requests_in_flight(server, "m") == 0, timeout=10)


@pytest.mark.timeout(180)
def test_sigterm_under_load_completes_calls_in_flight_and_exits_cleanly(
    tmp_path, staging, repo_root
):
    # Two models: `load` takes the clients' steady load, `m` the calls that are
    # in flight when the signal arrives, so the log tells each kind apart.
    for name in ("m", "load"):
        (tmp_path / name).mkdir()
        publish(staging, "v1", tmp_path / name, 1)
    config = tmp_path / "models.config"
    config.write_text(
        "model_config_list {\n"
        + "".join(
            f'  config {{ name: "{n}" base_path: "{tmp_path / n}" }}\n' for n in ("m", "load")
        )
        + "}\n"
    )
    batching = tmp_path / "batching.config"
    batching.write_text("max_batch_size { value: 64 }\nbatch_timeout_micros { value: 800000 }\n")
    # Debug logging (-v): the server logs each request that reaches a model.
    process, target, log = start_serve_process(
        repo_root,
        [
            f"--model_config_file={config}",
            "--file_system_poll_wait_seconds=0",
            "--enable_batching",
            f"--batching_parameters_file={batching}",
        ],
        verbose=True,
    )
    try:
        refused = []
        lock = threading.Lock()

        def keep_sending():
            with grpc.insecure_channel(target) as channel:
                stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
                for _ in range(200):
                    try:
                        stub.Predict(request_for("load"), timeout=20)
                    except grpc.RpcError as error:
                        with lock:
                            refused.append(error.code())
                        return

        with grpc.insecure_channel(target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            stub.Predict(request_for("m"), timeout=20)
            loaders = [threading.Thread(target=keep_sending, daemon=True) for _ in range(6)]
            for thread in loaders:
                thread.start()
            # The server is under load: as many calls as there are clients reached it.
            log.wait_for("event=request_started model=load version=1", count=len(loaders))
            in_flight = [stub.Predict.future(request_for("m"), timeout=20) for _ in range(8)]
            # The server holds all 8 (they wait in the batch queue) before the signal.
            log.wait_for("event=request_started model=m version=1", count=1 + len(in_flight))
            process.send_signal(signal.SIGTERM)
            # Every call accepted before the signal is answered normally.
            for call in in_flight:
                assert call.result().outputs[constants.LABELS].string_val == [b"short"]
            for thread in loaders:
                thread.join(timeout=60)
                assert not thread.is_alive()
        # Calls after the drain began are refused as unavailable, never crashed or hung.
        assert set(refused) <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
        assert process.wait(timeout=60) == 0
        stderr = log.text()
        assert "event=server_stopped" in stderr
        assert "request_internal_error" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
