"""The HTTP transport of the REST API (`--rest_api_port`) and of the Prometheus page.

A threaded HTTP/1.1 server in front of `rest_api_handler.RestApiHandler`
(TensorFlow Serving's http_server.cc in front of http_rest_api_handler.cc),
with limits so that clients cannot exhaust the process:

- at most `max_threads` connections are served at once
  (`--rest_api_num_threads`, TF Serving's flag and default, 4 per core);
  further connections wait in the listen backlog, and one that finds no
  free thread within `SLOT_WAIT_SECONDS` is answered 503 and closed (a
  keep-alive connection holds its thread between requests, until the read
  timeout below);
- a body larger than `max_body_bytes` (`--rest_api_max_body_bytes`, well
  under the gRPC message limit: JSON is parsed into Python objects) is
  answered 413 without being read;
- a request (its line, headers and body) must arrive within
  `read_timeout_seconds`, whatever the pace: a client trickling a byte at a
  time, or an idle keep-alive connection, frees its thread then.
"""

import http
import http.server
import io
import json
import os
import re
import threading
import time
import urllib.parse

from serving.server.flags import DEFAULT_REST_API_MAX_BODY_BYTES

DEFAULT_READ_TIMEOUT_SECONDS = 30.0
# How long a new connection may wait for a free request thread before a 503.
SLOT_WAIT_SECONDS = 5.0
_API_PATH = re.compile(r"/v1/.*", re.IGNORECASE)


def default_max_threads():
    """tensorflow_model_server's `--rest_api_num_threads` default: 4 per CPU core."""
    return 4 * (os.cpu_count() or 1)


class _DeadlineReader(io.RawIOBase):
    """The connection's reads, each bounded by what is left of the handler's read deadline."""

    def __init__(self, connection, handler):
        self._connection = connection
        self._handler = handler

    def readable(self):
        return True

    def readinto(self, buffer):
        deadline = self._handler.read_deadline
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the request was not received in time")
            self._connection.settimeout(remaining)
        return self._connection.recv_into(buffer)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tfcharnlp-serving"
    read_deadline = None

    def setup(self):
        super().setup()
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self))

    def handle_one_request(self):
        # The wait for the request line counts too: an idle keep-alive
        # connection gives its thread back after the read timeout.
        self.read_deadline = time.monotonic() + self.server.rest.read_timeout_seconds
        super().handle_one_request()

    def _request_read(self):
        """The request is in: its handling and the answer are not under the read deadline."""
        self.read_deadline = None
        self.connection.settimeout(self.server.rest.read_timeout_seconds)

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        pass

    def send_error(self, code, message=None, explain=None):
        # Malformed requests (bad request line, header overflow) get the same
        # JSON error as API errors, with a status line even for HTTP/0.9-looking input.
        self.request_version = "HTTP/1.1"
        text = message or http.HTTPStatus(code).phrase
        self._send_json(code, {"error": text}, close=True)

    def _send(self, code, body, content_type="application/json", close=False):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, code, document, close=False):
        self._send(code, encode_json(document), close=close)

    def _read_body(self):
        """The request body, or None after answering 411 / 413 / 400."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send_json(
                411, {"error": "chunked bodies are not supported; send Content-Length"}, close=True
            )
            return None
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError(length_text)
        except ValueError:
            self._send_json(400, {"error": f"bad Content-Length: {length_text[:40]}"}, close=True)
            return None
        limit = self.server.rest.max_body_bytes
        if length > limit:
            self._send_json(
                413,
                {
                    "error": f"request body of {length} bytes exceeds the limit of {limit} bytes "
                    "(--rest_api_max_body_bytes)"
                },
                close=True,
            )
            return None
        return self.rfile.read(length)

    def _handle(self):
        rest = self.server.rest
        body = self._read_body() if self.command in ("POST", "PUT", "PATCH") else b""
        if body is None:
            return
        self._request_read()
        path = urllib.parse.urlsplit(self.path).path
        if rest.prometheus_path and path == rest.prometheus_path and self.command == "GET":
            page = rest.metrics.render().encode("utf-8")
            self._send(200, page, content_type="text/plain; version=0.0.4")
            return
        if not _API_PATH.fullmatch(path):
            self._send_json(404, {"error": f"Not found: {self.command} {path}"})
            return
        code, document = rest.handler.handle(self.command, path, body)
        self._send_json(code, document)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


def encode_json(document):
    return json.dumps(document, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Many clients at once (load tests connect 32 at a time) wait here for a thread.
    request_queue_size = 128

    def process_request(self, request, client_address):
        if not self.rest.slots.acquire(timeout=self.rest.slot_wait_seconds):
            _answer_busy(request, self.rest.max_threads)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.rest.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.rest.slots.release()


def _answer_busy(connection, max_threads):
    body = encode_json(
        {
            "error": f"all {max_threads} REST request threads are busy "
            "(--rest_api_num_threads); retry later"
        }
    )
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    try:
        connection.settimeout(1.0)
        connection.sendall(head.encode("ascii") + body)
    except OSError:
        pass


class RestApiServer:
    """The REST API (and the Prometheus page) on a threaded HTTP server with limits.

    Args:
        handler: the `rest_api_handler.RestApiHandler` answering each request.
        host: address to bind.
        port: REST port; 0 picks a free one (read `.port` after `start()`).
        metrics: `ServingMetrics` whose page is served, or None.
        prometheus_path: serve `metrics.render()` at this path (None: no page).
        max_body_bytes: larger bodies get 413 without being read.
        max_threads: connections served at once (None: `default_max_threads()`).
        read_timeout_seconds: time allowed to receive one request.
    """

    def __init__(
        self,
        handler,
        host="localhost",
        port=0,
        metrics=None,
        prometheus_path=None,
        max_body_bytes=DEFAULT_REST_API_MAX_BODY_BYTES,
        max_threads=None,
        read_timeout_seconds=DEFAULT_READ_TIMEOUT_SECONDS,
    ):
        self.handler = handler
        self.host = host
        self.requested_port = port
        self.metrics = metrics
        self.prometheus_path = prometheus_path if metrics is not None else None
        self.max_body_bytes = max_body_bytes
        self.max_threads = max_threads or default_max_threads()
        self.read_timeout_seconds = read_timeout_seconds
        self.slot_wait_seconds = SLOT_WAIT_SECONDS
        self.slots = threading.BoundedSemaphore(self.max_threads)
        self.port = None
        self._server = None
        self._thread = None

    def start(self):
        self._server = _HTTPServer((self.host, self.requested_port), _Handler)
        self._server.rest = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="rest-api",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def url(self):
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "localhost"
        return f"http://{host}:{self.port}"

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None
