"""Prometheus metrics for the model server, in the text exposition format (no dependency).

Served on the REST port at the MonitoringConfig's path
(`tfcharnlp.constants.PROMETHEUS_PATH`) when `--monitoring_config_file`
enables Prometheus, as tensorflow_model_server does. Recorded:

- `:tensorflow:serving:request_count{model_name,status}` and
  `:tensorflow:serving:request_latency{model_name,API,entrypoint}` (microseconds)
  under TensorFlow Serving's own names, so its dashboards work unchanged;
- `tfcharnlp_serving_requests_total`, `..._request_errors_total` and the
  `..._request_latency_seconds` histogram per model, version, signature, API
  and protocol (grpc / rest), errors also per status code;
- `tfcharnlp_serving_batch_size`: rows per model call (a merged batch when
  batching is on), per model, version and signature;
- `tfcharnlp_serving_model_version_state`: 1 per (model, version, state), the
  same truth as GetModelStatus.

Label values are bounded: a model that is not configured, or a signature the
version lacks, counts under `__unknown__`, so requests naming random models
cannot grow the server's memory.

gRPC calls are counted by `MetricsInterceptor`; REST calls by the REST
handler; model calls by `instrument_servable`, which hooks each signature
when a version loads.
"""

import bisect
import math
import threading
import time

import grpc
from tensorflow_serving.apis import get_model_status_pb2

from tfcharnlp import constants

LATENCY_BUCKETS_SECONDS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
# TensorFlow Serving's request_latency buckets are microseconds, powers of 1.8 from 10.
TF_SERVING_LATENCY_BUCKETS_MICROS = tuple(float(f"{10 * 1.8**i:.6g}") for i in range(33))
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

_STATE_NAMES = {
    value: name for name, value in get_model_status_pb2.ModelVersionStatus.State.items()
}


def _escape(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels_text(names, values, extra=()):
    pairs = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    pairs.extend(f'{n}="{_escape(v)}"' for n, v in extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value):
    if isinstance(value, float):
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return repr(value)
    return str(value)


class Counter:
    """A counter family: label values -> count."""

    kind = "counter"

    def __init__(self, name, help_text, label_names):
        self.name = name
        self.help_text = help_text
        self.label_names = tuple(label_names)
        self._values = {}
        self._lock = threading.Lock()

    def inc(self, label_values, amount=1):
        with self._lock:
            self._values[label_values] = self._values.get(label_values, 0) + amount

    def value(self, label_values):
        return self._values.get(tuple(label_values), 0)

    def samples(self):
        with self._lock:
            items = sorted(self._values.items())
        return [(self.name, _labels_text(self.label_names, k), v) for k, v in items]


class Histogram:
    """A histogram family with fixed buckets: label values -> (bucket counts, sum, count)."""

    kind = "histogram"

    def __init__(self, name, help_text, label_names, buckets):
        self.name = name
        self.help_text = help_text
        self.label_names = tuple(label_names)
        self.buckets = tuple(buckets)
        self._values = {}
        self._lock = threading.Lock()

    def observe(self, label_values, value):
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            entry = self._values.get(label_values)
            if entry is None:
                entry = self._values[label_values] = [[0] * (len(self.buckets) + 1), 0.0, 0]
            entry[0][index] += 1
            entry[1] += value
            entry[2] += 1

    def count(self, label_values):
        entry = self._values.get(tuple(label_values))
        return entry[2] if entry else 0

    def samples(self):
        with self._lock:
            items = sorted((k, (list(v[0]), v[1], v[2])) for k, v in self._values.items())
        lines = []
        for key, (counts, total, count) in items:
            cumulative = 0
            for bound, bucket_count in zip((*self.buckets, math.inf), counts, strict=True):
                cumulative += bucket_count
                labels = _labels_text(self.label_names, key, [("le", _number(float(bound)))])
                lines.append((f"{self.name}_bucket", labels, cumulative))
            labels = _labels_text(self.label_names, key)
            lines.append((f"{self.name}_sum", labels, total))
            lines.append((f"{self.name}_count", labels, count))
        return lines


class ServingMetrics:
    """The server's metric families and the text page Prometheus scrapes.

    Args:
        manager: the `ModelManager`, read at scrape time for version states (optional).
    """

    def __init__(self, manager=None):
        self.manager = manager
        labels = ("model", "version", "signature", "api", "protocol")
        self.tf_request_count = Counter(
            ":tensorflow:serving:request_count",
            "The total number of requests.",
            ("model_name", "status"),
        )
        self.tf_request_latency = Histogram(
            ":tensorflow:serving:request_latency",
            "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
            ("model_name", "API", "entrypoint"),
            TF_SERVING_LATENCY_BUCKETS_MICROS,
        )
        self.requests = Counter(
            "tfcharnlp_serving_requests_total",
            "Requests answered, by status code.",
            (*labels, "code"),
        )
        self.errors = Counter(
            "tfcharnlp_serving_request_errors_total",
            "Requests answered with an error status.",
            (*labels, "code"),
        )
        self.latency = Histogram(
            "tfcharnlp_serving_request_latency_seconds",
            "Wall time from request received to response ready, seconds.",
            labels,
            LATENCY_BUCKETS_SECONDS,
        )
        self.batch_size = Histogram(
            "tfcharnlp_serving_batch_size",
            "Rows per model call (the merged batch when batching is on).",
            ("model", "version", "signature"),
            BATCH_SIZE_BUCKETS,
        )
        self._families = (
            self.tf_request_count,
            self.tf_request_latency,
            self.requests,
            self.errors,
            self.latency,
            self.batch_size,
        )

    def record_request(self, model, version, signature, api, protocol, code, seconds):
        """One answered request; `code` is a `grpc.StatusCode` name (`OK`, `NOT_FOUND`, ...).

        Labels name only models, versions and signatures that exist (see
        `ModelManager.known_labels`), so a client cannot grow memory with random names.
        """
        if self.manager is not None:
            model, version, signature = self.manager.known_labels(model, version, signature)
        version = "" if version is None else str(version)
        labels = (model, version, signature, api, protocol)
        self.requests.inc((*labels, code))
        if code != "OK":
            self.errors.inc((*labels, code))
        self.latency.observe(labels, seconds)
        self.tf_request_count.inc((model, "OK" if code == "OK" else code))
        entrypoint = "GRPC" if protocol == "grpc" else "REST"
        self.tf_request_latency.observe((model, api, entrypoint), seconds * 1e6)

    def record_model_call(self, model, version, signature, rows):
        self.batch_size.observe((model, str(version), signature), rows)

    def _state_samples(self):
        if self.manager is None:
            return []
        lines = []
        for name in sorted(self.manager.config_names()):
            try:
                states = self.manager.version_states(name)
            except Exception:  # noqa: BLE001 - a model without versions yet has no samples
                continue
            for version, state, _ in states:
                labels = _labels_text(
                    ("model", "version", "state"), (name, version, _STATE_NAMES.get(state, state))
                )
                lines.append(("tfcharnlp_serving_model_version_state", labels, 1))
        return lines

    def render(self):
        """The Prometheus text exposition page (format 0.0.4)."""
        out = []
        for family in self._families:
            out.append(f"# HELP {family.name} {family.help_text}")
            out.append(f"# TYPE {family.name} {family.kind}")
            out.extend(
                f"{name}{labels} {_number(value)}" for name, labels, value in family.samples()
            )
        out.append(
            "# HELP tfcharnlp_serving_model_version_state 1 for the state each version is in "
            "(as GetModelStatus reports it)."
        )
        out.append("# TYPE tfcharnlp_serving_model_version_state gauge")
        out.extend(f"{name}{labels} {value}" for name, labels, value in self._state_samples())
        return "\n".join(out) + "\n"


def instrument_servable(servable, metrics):
    """Makes each signature of a loaded `servable` record the rows of its model calls."""
    for key, signature in servable.signatures.items():

        def record(rows, _key=key):
            metrics.record_model_call(servable.name, servable.version, _key, rows)

        signature.record_rows = record
    return servable


_PREDICTION_SERVICE = "/tensorflow.serving.PredictionService/"


def _model_spec_of(message):
    if message is None:
        return None
    if hasattr(message, "model_spec"):
        return message.model_spec
    tasks = getattr(message, "tasks", None) or getattr(message, "results", None)
    if tasks:
        return tasks[0].model_spec
    return None


def request_labels(request, response):
    """(model, version, signature) for a request, from the response's model_spec when answered."""
    spec = _model_spec_of(request)
    answered = _model_spec_of(response)
    model = spec.name if spec is not None else ""
    version = None
    if answered is not None and answered.HasField("version"):
        version = answered.version.value
    elif spec is not None and spec.HasField("version"):
        version = spec.version.value
    signature = (
        (answered.signature_name if answered is not None else "")
        or (spec.signature_name if spec is not None else "")
        or constants.SERVING_SIGNATURE
    )
    return model, version, signature


class MetricsInterceptor(grpc.ServerInterceptor):
    """Counts and times every PredictionService call (status code from the call's context)."""

    def __init__(self, metrics):
        self.metrics = metrics

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method or ""
        if (
            handler is None
            or handler.unary_unary is None
            or not method.startswith(_PREDICTION_SERVICE)
        ):
            return handler
        api = method[len(_PREDICTION_SERVICE) :]
        behavior = handler.unary_unary
        metrics = self.metrics

        def observed(request, context):
            started = time.perf_counter()
            response = None
            try:
                response = behavior(request, context)
                return response
            finally:
                code = context.code()
                code_name = code.name if isinstance(code, grpc.StatusCode) else "OK"
                if response is None and code_name == "OK":
                    code_name = "UNKNOWN"
                model, version, signature = request_labels(request, response)
                metrics.record_request(
                    model,
                    version,
                    signature,
                    api,
                    "grpc",
                    code_name,
                    time.perf_counter() - started,
                )

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
