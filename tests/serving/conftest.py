"""Shared by the serving tests: servers started and stopped by fixtures, and one request builder.

- `serve` / `serve_module`: call with `ServerOptions` fields to start an
  embedded server on loopback (port 0: a free port; no file-system polling
  unless asked); every server started is stopped when the test (or module)
  ends, whatever happened.
- `predict_request`: a PredictRequest as a TensorFlow Serving client builds
  it, with TensorFlow's own `tf.make_tensor_proto`, so the server is tested
  against TF's encoding rather than ours.
- `staging`: the text model's versions built once per module (`v1`; `v2`,
  offset 100 and warmup records; `bad_warmup`), for tests that publish them.
- `rpc_error`, `rest_call`: the status of a failed gRPC call; one REST call's
  status and JSON.
"""

import http.client
import json

import grpc
import pytest

from tfcharnlp import constants


class ServerFactory:
    """Starts servers with `start_server(options, **fields)`; `stop_all()` stops every one started."""

    def __init__(self):
        self._running = []

    def __call__(self, options=None, **fields):
        from serving.server import start_server

        if options is None:
            fields = {"file_system_poll_wait_seconds": 0, **fields}
        server = start_server(options, **fields)
        self._running.append(server)
        return server

    def stop_all(self):
        while self._running:
            self._running.pop().stop(grace=1)


@pytest.fixture
def serve():
    """A server factory for one test: `server = serve(model_name="m", model_base_path=base)`."""
    factory = ServerFactory()
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def serve_module():
    """The same for a module's shared server fixture."""
    factory = ServerFactory()
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    """Version folders built once per module: `v1`, `v2` ("long" for "abc"), `bad_warmup`."""
    from tests.serving import server_models

    root = tmp_path_factory.mktemp("staging")
    server_models.build_text_model(root, "v1")
    server_models.build_text_model(root, "v2", offset=100.0, warmup_texts=["warm", "up"])
    server_models.build_bad_warmup_model(root, "bad_warmup")
    return root


def predict_request(
    model,
    inputs=None,
    *,
    texts=None,
    signature=None,
    version=None,
    label=None,
    output_filter=(),
):
    """A PredictRequest for `model`.

    Args:
        model: the model name.
        inputs: `{alias: values or TensorProto}`; values go through `tf.make_tensor_proto`.
        texts: shorthand for `{"text": texts}` as a string tensor (the classifier contract).
        signature: the signature name (None: left empty, the server's default).
        version, label: a version number or a version label.
        output_filter: output aliases to ask for.
    """
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if signature is not None:
        request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    inputs = dict(inputs or {})
    if texts is not None:
        inputs[constants.CLASSIFIER_INPUT] = tf.make_tensor_proto(texts, dtype=tf.string)
    for alias, value in inputs.items():
        proto = value if isinstance(value, tensor_pb2.TensorProto) else tf.make_tensor_proto(value)
        request.inputs[alias].CopyFrom(proto)
    request.output_filter.extend(output_filter)
    return request


def rpc_error(call, request, timeout=10):
    """`(code, details)` of a call that must fail."""
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=timeout)
    return caught.value.code(), caught.value.details()


def rest_call(server, method, path, body=None, headers=None, timeout=60):
    """`(HTTP status, parsed JSON)` of one REST request; every API answer is JSON."""
    connection = http.client.HTTPConnection("localhost", server.rest.port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        assert response.getheader("Content-Type") == "application/json"
        return response.status, json.loads(payload)
    finally:
        connection.close()
