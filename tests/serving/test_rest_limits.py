"""The REST transport's limits: body size, request threads, and clients that send slowly.

One server per test (the limits are per server), serving the tiny text
model of `server_models` on a REST port picked by the OS.
"""

import argparse
import socket
import time

import pytest

from serving.server import flags
from tests.serving import server_models
from tests.serving.conftest import rest_call
from tests.serving.reliability_helpers import all_rest_threads_busy, wait_until
from tfcharnlp.errors import ConfigError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PREDICT = "/v1/models/m:predict"


@pytest.fixture(scope="module")
def model_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("repository") / "m"
    server_models.build_text_model(base, 1)
    return base


@pytest.fixture
def rest_server(model_base, serve):
    """`rest_server(**fields)`: the text model on a REST port, with these `ServerOptions`."""
    return lambda **fields: serve(
        model_name="m", model_base_path=model_base, rest_api_port=0, **fields
    )


def predict(server, texts=("hello",), timeout=30):
    return rest_call(server, "POST", PREDICT, {"instances": list(texts)}, timeout=timeout)


def closed_within(sock, seconds):
    """True when the server closes `sock` within `seconds` (reads until EOF)."""
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False


def test_rest_flags_defaults_and_refusals(tmp_path):
    parser = flags.add_flags(argparse.ArgumentParser())
    args = flags.check_flags(parser.parse_args(["--model_base_path", str(tmp_path)]))
    # 0: tensorflow_model_server's default, 4 threads per core.
    assert args.rest_api_num_threads == 0
    assert args.rest_api_max_body_bytes == 16 * 1024 * 1024 < flags.DEFAULT_MAX_MESSAGE_SIZE
    for bad in ("--rest_api_num_threads=-2", "--rest_api_max_body_bytes=0"):
        with pytest.raises(ConfigError) as caught:
            flags.check_flags(parser.parse_args(["--model_base_path", str(tmp_path), bad]))
        assert caught.value.field == bad.split("=")[0]


def test_body_limit_is_its_own_flag_and_far_below_the_grpc_limit(rest_server):
    server = rest_server(rest_api_max_body_bytes=2000)
    assert server.rest.max_body_bytes == 2000
    code, body = predict(server, ["x" * 3000])
    assert code == 413 and "exceeds the limit of 2000 bytes" in body["error"]
    assert predict(server)[0] == 200


def test_a_client_trickling_its_request_is_cut_off_at_the_read_deadline(rest_server):
    server = rest_server()
    server.rest.read_timeout_seconds = 1.0
    slow = socket.create_connection(("localhost", server.rest.port))
    started = time.monotonic()
    try:
        # One byte every 0.2 s: each read is quick, the whole request is not.
        for byte in b"POST /v1/models/m:predict HTTP/1.1\r\n":
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.2)
            if time.monotonic() - started > 5:
                break
        assert closed_within(slow, 5)
        assert time.monotonic() - started < 5
    finally:
        slow.close()
    # An idle keep-alive connection is released too.
    idle = socket.create_connection(("localhost", server.rest.port))
    try:
        assert closed_within(idle, 5)
    finally:
        idle.close()
    assert predict(server)[0] == 200


def test_request_threads_are_capped_and_freed(rest_server):
    server = rest_server(rest_api_num_threads=1)
    assert server.rest.max_threads == 1
    server.rest.read_timeout_seconds = 3.0
    server.rest.slot_wait_seconds = 0.3
    holder = socket.create_connection(("localhost", server.rest.port))
    try:
        holder.sendall(b"POST /v1/models/m:predict HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
        # The holder's connection has the one request thread.
        wait_until(
            lambda: all_rest_threads_busy(server.rest),
            timeout=10,
            message="the holder's connection never took the request thread",
        )
        code, body = predict(server, timeout=10)
        assert code == 503 and "REST request threads are busy" in body["error"]
        # The holder is dropped at its read deadline; the thread serves again.
        assert closed_within(holder, 10)
    finally:
        holder.close()
    assert predict(server)[0] == 200
