"""TensorFlow Serving's REST API (`--rest_api_port`): one request in, (HTTP code, JSON) out.

Routes and answers follow tensorflow_model_server's http_rest_api_handler.cc:

- `GET /v1/models/NAME[/versions/N|/labels/L]`: GetModelStatus as JSON (a
  label is ignored there, as in TF Serving: every version is listed);
- `GET .../metadata`: GetModelMetadata (`model_spec` + `metadata.signature_def`);
- `POST .../NAME[/versions/N|/labels/L]:predict` with `instances` or
  `inputs`, optional `signature_name` (see `json_tensor`);
- `POST ...:classify` / `:regress` with `examples` (and `context`), answered as `results`;
- errors as `{"error": "..."}` with TensorFlow Serving's HTTP code for the status.

Requests run through the same servables as gRPC (`Servable.run`,
`inference.classify` / `regress`), so REST and gRPC share checks, batching
and messages. This module knows no sockets: `http_server` is the transport
that feeds it (and serves the Prometheus page).
"""

import re
import time
import urllib.parse

import grpc
from google.protobuf import json_format
from tensorflow_serving.apis import (
    classification_pb2,
    model_pb2,
    regression_pb2,
)

from serving.server import inference, json_tensor, model_servicer, status
from serving.server.events import log_event
from tfcharnlp import constants

_PREDICTION_PATH = re.compile(
    r"/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)",
    re.IGNORECASE,
)
_STATUS_PATH = re.compile(
    r"/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?",
    re.IGNORECASE,
)

# tensorflow_model_server's HTTP code for each status (http_server.cc ToHTTPStatusCode).
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}

DEFAULT_TIMEOUT_MS = 30000  # tensorflow_model_server's --rest_api_timeout_in_ms default


class RestApiHandler:
    """The request logic, independent of the HTTP server (testable without sockets).

    Args:
        manager: the `ModelManager` shared with the gRPC services.
        timeout_in_ms: deadline of each call (`--rest_api_timeout_in_ms`); <= 0: none.
        metrics: `ServingMetrics` to record into, or None.
    """

    def __init__(self, manager, timeout_in_ms=DEFAULT_TIMEOUT_MS, metrics=None):
        self.manager = manager
        self.timeout_in_ms = timeout_in_ms
        self.metrics = metrics

    def handle(self, method, path, body):
        """(HTTP code, JSON-ready dict) for one request."""
        path = urllib.parse.urlsplit(path).path
        started = time.perf_counter()
        labels = {"model": "", "version": None, "signature": "", "api": "Unknown"}
        try:
            result = self._dispatch(method, path, body, labels)
            code = grpc.StatusCode.OK
        except status.StatusError as error:
            code, result = error.code, {"error": error.message}
        except Exception as error:  # noqa: BLE001 - a request must never take the server down
            code = grpc.StatusCode.INTERNAL
            result = {"error": f"{type(error).__name__}: {error}"}
            log_event("rest_internal_error", path=path[:200], error=result["error"][:200])
        if code != grpc.StatusCode.OK:
            log_event(
                "rest_request_failed",
                path=path[:200],
                code=code.name,
                message=result["error"][:200],
            )
        if self.metrics is not None and labels["model"]:
            self.metrics.record_request(
                labels["model"],
                labels["version"],
                labels["signature"] or constants.SERVING_SIGNATURE,
                labels["api"],
                "rest",
                code.name,
                time.perf_counter() - started,
            )
        return HTTP_STATUS.get(code, 500), result

    def _model_spec(self, name, version, label):
        spec = model_pb2.ModelSpec(name=urllib.parse.unquote(name))
        if version is not None and label is not None:
            raise status.invalid_argument(
                f"Both model version ({version}) and model version label ({label}) cannot be supplied."
            )
        if version is not None:
            try:
                spec.version.value = int(version)
            except ValueError as error:
                raise status.invalid_argument(
                    f"Failed to convert version: {version} to numeric."
                ) from error
        if label is not None:
            spec.version_label = urllib.parse.unquote(label)
        return spec

    def _deadline(self):
        if not self.timeout_in_ms or self.timeout_in_ms <= 0:
            return None
        return time.monotonic() + self.timeout_in_ms / 1000.0

    def _dispatch(self, method, path, body, labels):
        if method == "POST":
            match = _PREDICTION_PATH.fullmatch(path)
            if match:
                name, version, label, verb = match.groups()
                spec = self._model_spec(name, version, label)
                labels.update(model=spec.name, api=verb.capitalize())
                labels["version"] = spec.version.value if version is not None else None
                with self.manager.servable_handle(spec) as servable:
                    labels["version"] = servable.version
                    return self._run(verb.lower(), servable, spec, body, labels)
        elif method == "GET":
            match = _STATUS_PATH.fullmatch(path)
            if match:
                name, version, label, metadata = match.groups()
                if not name:
                    raise status.invalid_argument("Missing model name in request.")
                spec = self._model_spec(name, version, label)
                if not metadata:
                    return self._status(spec)
                labels.update(model=spec.name, api="GetModelMetadata")
                with self.manager.servable_handle(spec) as servable:
                    labels["version"] = servable.version
                    return self._metadata(servable)
        raise status.invalid_argument(f"Malformed request: {method} {path}")

    def _run(self, verb, servable, spec, body, labels):
        document = json_tensor.parse_json_body(body)
        signature_name = document.get("signature_name") or ""
        labels["signature"] = signature_name
        deadline = self._deadline()
        if verb == "predict":
            key = signature_name or constants.SERVING_SIGNATURE
            signature = servable.signatures.get(key)
            if signature is None:
                raise status.invalid_argument(
                    f'Serving signature name: "{key}" not found in signature def'
                )
            # The JSON conversion gives exactly the signature's inputs: no
            # PredictRequest in between, the arrays go to the servable.
            arrays, layout = json_tensor.predict_inputs(document, signature)
            outputs = servable.run(signature, arrays, deadline)
            return json_tensor.predict_response_json(outputs, layout)
        if verb == "classify":
            request = classification_pb2.ClassificationRequest()
            request.model_spec.CopyFrom(spec)
            request.model_spec.signature_name = signature_name
            json_tensor.fill_examples_request(document, request, "classify")
            response = inference.classify(servable, request, deadline)
            return json_tensor.classification_json(response.result)
        request = regression_pb2.RegressionRequest()
        request.model_spec.CopyFrom(spec)
        request.model_spec.signature_name = signature_name
        json_tensor.fill_examples_request(document, request, "regress")
        return json_tensor.regression_json(inference.regress(servable, request, deadline).result)

    def _metadata(self, servable):
        spec = model_pb2.ModelSpec(name=servable.name)
        spec.version.value = servable.version
        options = {
            "preserving_proto_field_name": True,
            "always_print_fields_with_no_presence": True,
        }
        return {
            "model_spec": json_format.MessageToDict(spec, **options),
            "metadata": {
                "signature_def": json_format.MessageToDict(servable.signature_def_map, **options)
            },
        }

    def _status(self, spec):
        # As in TensorFlow Serving, a label in the path is ignored: every version is listed.
        version = spec.version.value if spec.HasField("version") else None
        response = model_servicer.model_status_response(self.manager, spec.name, version)
        return json_format.MessageToDict(response, always_print_fields_with_no_presence=True)
