"""Model lifecycle over loopback: status, new versions under load, broken versions, config reload.

SavedModels are built once per module into a staging folder (conftest's
`staging`) and copied into each test's own repository, so every test starts its own small server and
owns its state.
"""

import functools
import logging
import os
import shutil
import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    prediction_service_pb2_grpc,
)

from serving.server import single_model_config
from tests.serving import reliability_helpers
from tests.serving.reliability_helpers import (
    POLL_SECONDS,
    State,
    publish,
    request_for,
    requests_in_flight,
    wait_until,
)
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


# Enum values, to compare with `State.AVAILABLE` and friends.
states = functools.partial(reliability_helpers.states, state_names=False)


@pytest.fixture
def repository(tmp_path, staging):
    base = tmp_path / "m"
    base.mkdir()
    publish(staging, "v1", base, 1)
    return base


@pytest.fixture
def server(repository, serve):
    return serve(
        model_name="m", model_base_path=repository, file_system_poll_wait_seconds=POLL_SECONDS
    )


@pytest.fixture
def channel(server):
    with grpc.insecure_channel(server.target) as channel:
        yield channel


def test_get_model_status(channel):
    assert states(channel, "m") == {1: (State.AVAILABLE, 0, "")}
    assert states(channel, "m", version=1) == {1: (State.AVAILABLE, 0, "")}
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    for spec, message in (
        ({"name": "nope"}, "Could not find any versions of model nope"),
        ({"name": "m", "version": 5}, "Could not find version 5 of model m"),
    ):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = spec["name"]
        if "version" in spec:
            request.model_spec.version.value = spec["version"]
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetModelStatus(request, timeout=10)
        assert (caught.value.code(), caught.value.details()) == (grpc.StatusCode.NOT_FOUND, message)


def test_each_request_that_reaches_a_version_is_a_debug_event(channel, caplog):
    caplog.set_level(logging.DEBUG, logger="serving.server")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    stub.Predict(request_for("m"), timeout=10)
    started = [r for r in caplog.records if "event=request_started" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in started] == [
        (logging.DEBUG, "event=request_started model=m version=1")
    ]


def test_new_version_is_picked_up_while_clients_send_and_none_fails(
    channel, repository, staging, caplog
):
    caplog.set_level(logging.INFO, logger="serving.server")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    failures, stop = [], threading.Event()
    seen = [[] for _ in range(2)]  # versions answered, per client thread, in order

    def client(versions):
        while not stop.is_set():
            try:
                versions.append(stub.Predict(request_for("m"), timeout=10).model_spec.version.value)
            except grpc.RpcError as error:
                failures.append((error.code(), error.details()))

    threads = [threading.Thread(target=client, args=(versions,)) for versions in seen]
    for thread in threads:
        thread.start()
    wait_until(lambda: sum(map(len, seen)) > 20)
    publish(staging, "v2", repository, 2)
    wait_until(lambda: sum(versions.count(2) for versions in seen) > 20)
    stop.set()
    for thread in threads:
        thread.join()

    assert failures == []
    for versions in seen:
        assert versions[0] == 1 and versions[-1] == 2
        # Once a client got an answer from version 2, its next calls never
        # reached version 1 again (the switch is atomic).
        assert 1 not in versions[versions.index(2) :]
    assert wait_until(
        lambda: states(channel, "m") == {1: (State.END, 0, ""), 2: (State.AVAILABLE, 0, "")}
    )
    # Version 2 was warmed up with its own records before it was served.
    assert any(
        "event=version_available model=m version=2 warmup_records=1" in r.message
        for r in caplog.records
    )


def test_broken_version_reports_end_with_error_and_previous_keeps_serving(
    channel, repository, staging
):
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    broken = repository / "3"
    broken.mkdir()
    (broken / constants.SAVED_MODEL_FILE).write_bytes(b"this is not a SavedModel")
    # Under the `latest` policy only the newest version is wanted: 3, then 4.
    wait_until(lambda: states(channel, "m").get(3, (None,))[0] == State.END)
    publish(staging, "bad_warmup", repository, 4)
    wait_until(lambda: states(channel, "m").get(4, (None,))[0] == State.END)

    current = states(channel, "m")
    assert current[1][0] == State.AVAILABLE
    for version in (3, 4):
        state, code, message = current[version]
        assert state == State.END and code != 0
        assert message.startswith(f"Failed to load servable m version {version}")
    # Version 4 loads but its own warmup request fails: it never serves.
    assert "not_an_input" in current[4][2]
    assert stub.Predict(request_for("m"), timeout=10).model_spec.version.value == 1


def test_non_numeric_folders_are_ignored(server, channel, repository, staging):
    shutil.copytree(os.path.join(staging, "v2"), repository / "tmp5")
    shutil.copytree(os.path.join(staging, "v2"), repository / ".5")
    # One whole pass over the base path, now (the poller's own passes may lag on a busy machine).
    server.manager.poll()
    assert states(channel, "m") == {1: (State.AVAILABLE, 0, "")}


def test_reload_config_replaces_the_old_one(channel, tmp_path, staging):
    other = tmp_path / "other"
    other.mkdir()
    publish(staging, "v1", other, 1)
    publish(staging, "v2", other, 2)
    config = model_management_pb2.ReloadConfigRequest()
    entry = config.config.model_config_list.config.add(name="other", base_path=str(other))
    entry.model_version_policy.specific.versions.extend([1, 2])
    entry.version_labels["stable"] = 1
    service = model_service_pb2_grpc.ModelServiceStub(channel)
    # As in TensorFlow Serving, a reload may not label a version that is not
    # available yet (the new model's): the running config stays.
    with pytest.raises(grpc.RpcError) as caught:
        service.HandleReloadConfigRequest(config, timeout=60)
    assert (caught.value.code(), caught.value.details()) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "Request to assign label to version 1 of model other, which is not currently "
        "available for inference",
    )
    assert states(channel, "m") == {1: (State.AVAILABLE, 0, "")}
    # Load first, then label: two reloads.
    del entry.version_labels["stable"]
    assert service.HandleReloadConfigRequest(config, timeout=60).status.error_code == 0
    entry.version_labels["stable"] = 1
    response = service.HandleReloadConfigRequest(config, timeout=60)
    assert response.status.error_code == 0

    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Predict(request_for("m"), timeout=10)
    assert caught.value.details() == "Servable not found for request: Latest(m)"
    assert states(channel, "m") == {1: (State.END, 0, "")}
    assert states(channel, "other") == {1: (State.AVAILABLE, 0, ""), 2: (State.AVAILABLE, 0, "")}
    health = health_pb2_grpc.HealthStub(channel)
    for service, expected in (("m", "NOT_SERVING"), ("other", "SERVING")):
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.ServingStatus.Value(expected)
    request = request_for("other")
    request.model_spec.version_label = "stable"
    assert stub.Predict(request, timeout=10).model_spec.version.value == 1
    assert stub.Predict(request_for("other"), timeout=10).model_spec.version.value == 2


def test_reload_moving_base_path_swaps_without_a_failed_request(channel, tmp_path, staging):
    moved = tmp_path / "moved"
    moved.mkdir()
    publish(staging, "v2", moved, 1)  # the same version number, another model
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    failures, answers, stop = [], [], threading.Event()

    def client():
        while not stop.is_set():
            try:
                response = stub.Predict(request_for("m"), timeout=10)
                answers.append(response.outputs[constants.LABELS].string_val[0])
            except grpc.RpcError as error:
                failures.append((error.code(), error.details()))

    thread = threading.Thread(target=client)
    thread.start()
    wait_until(lambda: len(answers) > 10)
    config = model_management_pb2.ReloadConfigRequest()
    config.config.model_config_list.config.add(name="m", base_path=str(moved))
    model_service_pb2_grpc.ModelServiceStub(channel).HandleReloadConfigRequest(config, timeout=60)
    count = len(answers)
    wait_until(lambda: len(answers) > count + 10)
    stop.set()
    thread.join()

    assert failures == []
    # v1 (offset 0) calls "abc" short; v2 (offset 100) calls it long.
    assert answers[0] == b"short" and answers[-1] == b"long"
    assert states(channel, "m") == {1: (State.AVAILABLE, 0, "")}


def test_reload_with_a_bad_config_is_refused_and_keeps_serving(channel):
    config = model_management_pb2.ReloadConfigRequest()
    config.config.model_config_list.config.add(name="a", base_path="/x")
    config.config.model_config_list.config.add(name="a", base_path="/y")
    with pytest.raises(grpc.RpcError) as caught:
        model_service_pb2_grpc.ModelServiceStub(channel).HandleReloadConfigRequest(
            config, timeout=10
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    assert stub.Predict(request_for("m"), timeout=10).model_spec.version.value == 1


def test_config_file_is_polled(tmp_path, staging, serve):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        publish(staging, "v1", tmp_path / name, 1)
    config_file = tmp_path / "models.config"
    config_file.write_text(
        f'model_config_list {{ config {{ name: "a" base_path: "{tmp_path / "a"}" }} }}'
    )
    server = serve(
        model_config_file=str(config_file),
        file_system_poll_wait_seconds=POLL_SECONDS,
        model_config_file_poll_wait_seconds=POLL_SECONDS,
    )
    with grpc.insecure_channel(server.target) as channel:
        assert states(channel, "a")[1][0] == State.AVAILABLE
        config_file.write_text(
            f'model_config_list {{ config {{ name: "b" base_path: "{tmp_path / "b"}" }} }}'
        )
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

        def b_served():
            try:
                return stub.Predict(request_for("b"), timeout=10).model_spec.name == "b"
            except grpc.RpcError:
                return False

        assert wait_until(b_served)
        assert states(channel, "a")[1][0] == State.END


def test_single_model_config_from_version_folder_with_leading_zeros(tmp_path, staging, serve):
    publish(staging, "v1", tmp_path, "00000123")
    server = serve(config_list=single_model_config("z", str(tmp_path)))
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        assert stub.Predict(request_for("z"), timeout=10).model_spec.version.value == 123


def test_unloading_waits_for_requests_in_flight(tmp_path, staging, serve):
    from serving.server import BatchingOptions

    publish(staging, "v1", tmp_path, 1)
    # A long batch timeout holds the first request in flight on version 1.
    batching = BatchingOptions(
        max_batch_size=8, batch_timeout_micros=8_000_000, num_batch_threads=1
    )
    server = serve(
        model_name="m",
        model_base_path=tmp_path,
        file_system_poll_wait_seconds=POLL_SECONDS,
        batching=batching,
    )
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        in_flight = stub.Predict.future(request_for("m"), timeout=30)
        wait_until(lambda: requests_in_flight(server, "m", version=1) == 1)
        publish(staging, "v1", tmp_path, 2)
        # Version 2 serves while version 1 drains its request.
        assert wait_until(lambda: states(channel, "m").get(1, (None,))[0] == State.UNLOADING)
        assert states(channel, "m")[2][0] == State.AVAILABLE
        assert not in_flight.done()
        assert in_flight.result().model_spec.version.value == 1
        assert wait_until(lambda: states(channel, "m")[1][0] == State.END)
