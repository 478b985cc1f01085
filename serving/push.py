"""`tfcharnlp push`: infra-validate a candidate SavedModel, then publish it as the next version.

TFX's InfraValidator + Pusher, embedded: the candidate is copied into a
temporary model base that holds nothing else and served there by an
in-process `ModelServer` on a loopback port chosen by the system. It must
reach AVAILABLE, answer every request of its own warmup file
(`assets.extra/tf_serving_warmup_requests`) and a few real texts over gRPC
with well-formed outputs. Only then is the very copy that was validated
published into the served repository through `ModelRepository.write` (a
hidden folder renamed to the next version number, so a polling server never
sees half a model). On any failure the repository is left untouched and the
result says why.

With a baseline (`--baseline FILE`, a labelled data file), TFX's Evaluator
comes first: the validated copy and the served (latest) version score the
same rows of FILE (`tfcharnlp.training.blessing`), and the candidate is
published only when it is at least as good on `--metric` (by
`--min-improvement`, default 0). The comparison is printed and written as
`assets.extra/blessing.json` inside the published version.

    tfcharnlp push exports/ag_news --to models/ag_news
    tfcharnlp push exports/ag_news/3 --to models/ag_news --texts "a fine film" "a dull one"
    tfcharnlp push exports/ag_news --to models/ag_news --baseline test.csv --metric macro_f1
"""

import dataclasses
import math
import os
import pathlib
import shutil
import sys
import tempfile
import time

from tfcharnlp import constants
from tfcharnlp.errors import ConfigError

# Real-looking texts: upper and lower case, digits, punctuation, non-ASCII,
# an empty string and a long one, so the candidate's text path is exercised.
SAMPLE_TEXTS = (
    "Stocks rallied on Wall Street after the Fed held rates steady.",
    "What a dull film; I left before the end!!",
    "Où est la gare ? Naïve café, 東京, emoji ☕.",
    "",
    "x" * 2000,
)
# Values for the generator's sampling inputs (one per text, as its signature
# declares them [None]), so a generator candidate is asked for a short, seeded sample.
GENERATOR_DEFAULTS = {
    constants.GENERATOR_LENGTH: 8,
    constants.GENERATOR_TEMPERATURE: 1.0,
    constants.GENERATOR_TOP_K: 0,
    constants.GENERATOR_SEED: 1,
}
SANDBOX_VERSION = 1


@dataclasses.dataclass
class PushResult:
    """What `push_model` did.

    Attributes:
        pushed: True when the candidate passed and was published.
        model_name: the served model's name (the target folder's name).
        candidate: the SavedModel folder that was validated.
        version: the published version number (None when not pushed).
        path: the published version folder (None when not pushed).
        reason: why it was not pushed ("" when pushed).
        checks: one line per check that ran, in order.
        seconds: wall time of the validation and copy.
        blessing: the `Blessing` (candidate against the served version) when
            a baseline was asked for, else None.
    """

    pushed: bool
    model_name: str
    candidate: str
    version: int | None = None
    path: str | None = None
    reason: str = ""
    checks: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    blessing: object = None

    def summary(self):
        lines = [f"  - {check}" for check in self.checks]
        if self.blessing is not None:
            lines.append(self.blessing.summary())
        if self.pushed:
            head = (
                f"pushed {self.candidate} as {self.model_name} version {self.version} ({self.path})"
            )
        else:
            head = f"NOT pushed {self.candidate}: {self.reason}"
        return "\n".join([head, *lines])


class _Rejected(Exception):
    """The candidate failed a check; the message says which and why."""


def _rpc_text(error):
    import grpc

    if isinstance(error, grpc.RpcError):
        return f"{error.code().name}: {error.details()}"
    return f"{type(error).__name__}: {error}"


def _wait_available(stub, name, timeout):
    from tensorflow_serving.apis import get_model_status_pb2

    state_enum = get_model_status_pb2.ModelVersionStatus.State
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = name
    deadline = time.monotonic() + timeout
    last = "no status"
    while True:
        try:
            response = stub.GetModelStatus(request, timeout=10)
        except Exception as error:  # noqa: BLE001 - any failure is a rejection reason
            last = _rpc_text(error)
        else:
            for entry in response.model_version_status:
                if entry.state == state_enum.AVAILABLE:
                    return
                last = state_enum.Name(entry.state)
                if entry.state == state_enum.END:
                    raise _Rejected(
                        f"the candidate did not load: {entry.status.error_message or 'END'}"
                    )
        if time.monotonic() > deadline:
            raise _Rejected(f"the candidate was not AVAILABLE within {timeout:.0f} s ({last})")
        time.sleep(0.1)


def _warmup_logs(version_dir):
    path = os.path.join(version_dir, constants.ASSETS_EXTRA_DIR, constants.WARMUP_FILE)
    if not os.path.exists(path):
        return []
    from tfcharnlp.export import read_warmup_requests

    try:
        return list(read_warmup_requests(version_dir))
    except Exception as error:  # noqa: BLE001 - an unreadable warmup file rejects the candidate
        raise _Rejected(f"cannot read {path}: {type(error).__name__}: {error}") from error


def _send_warmup(stub, name, logs, timeout):
    """Replays each PredictionLog over gRPC, addressed to the sandbox model."""
    calls = {
        "predict_log": ("Predict", lambda log: log.predict_log.request),
        "classify_log": ("Classify", lambda log: log.classify_log.request),
        "regress_log": ("Regress", lambda log: log.regress_log.request),
        "multi_inference_log": ("MultiInference", lambda log: log.multi_inference_log.request),
    }
    for index, log in enumerate(logs, start=1):
        kind = log.WhichOneof("log_type")
        if kind not in calls:
            raise _Rejected(f"warmup record {index}/{len(logs)}: unsupported log type {kind}")
        method, get_request = calls[kind]
        request = get_request(log)
        # TF Serving ignores the model name and version inside warmup records.
        specs = (
            [task.model_spec for task in request.tasks]
            if kind == "multi_inference_log"
            else [request.model_spec]
        )
        for spec in specs:
            spec.name = name
            spec.ClearField("version_choice")
        try:
            getattr(stub, method)(request, timeout=timeout)
        except Exception as error:  # noqa: BLE001 - any failure is a rejection reason
            raise _Rejected(
                f"warmup record {index}/{len(logs)} ({method}) failed: {_rpc_text(error)}"
            ) from error


def _text_request(name, signature_name, signature_def, texts):
    """A PredictRequest sending `texts`, or None when the signature takes no text vector."""
    import numpy as np
    from tensorflow.core.framework import types_pb2
    from tensorflow_serving.apis import predict_pb2

    from serving import tensor_codec

    string_inputs = [
        alias
        for alias, info in signature_def.inputs.items()
        if info.dtype == types_pb2.DT_STRING and len(info.tensor_shape.dim) == 1
    ]
    if len(string_inputs) != 1:
        return None
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature_name
    array = np.empty(len(texts), dtype=object)
    array[:] = [text.encode("utf-8") for text in texts]
    tensor_codec.as_proto_field(array, types_pb2.DT_STRING, request.inputs[string_inputs[0]])
    for alias, info in signature_def.inputs.items():
        if alias == string_inputs[0]:
            continue
        dims = [dim.size for dim in info.tensor_shape.dim]
        if alias not in GENERATOR_DEFAULTS or dims != [-1]:
            return None
        np_dtype = tensor_codec.numpy_dtype(info.dtype)
        value = np.full(len(texts), GENERATOR_DEFAULTS[alias], dtype=np_dtype)
        tensor_codec.as_proto_field(value, info.dtype, request.inputs[alias])
    return request


def _check_outputs(response, count):
    """Every output has one row per text; float outputs are finite."""
    from serving import tensor_codec

    if not response.outputs:
        raise _Rejected("the text request returned no outputs")
    for alias, proto in response.outputs.items():
        array = tensor_codec.make_ndarray(proto)
        if array.ndim >= 1 and array.shape[0] != count:
            raise _Rejected(f"output {alias!r} has {array.shape[0]} rows for {count} texts")
        if array.dtype.kind == "f" and not all(math.isfinite(v) for v in array.ravel().tolist()):
            raise _Rejected(f"output {alias!r} holds NaN or infinite values")


def _send_texts(prediction, name, texts, timeout):
    from tensorflow_serving.apis import get_model_metadata_pb2

    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = name
    try:
        metadata = prediction.GetModelMetadata(request, timeout=timeout)
    except Exception as error:  # noqa: BLE001
        raise _Rejected(f"GetModelMetadata failed: {_rpc_text(error)}") from error
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    metadata.metadata["signature_def"].Unpack(signature_map)
    key = constants.SERVING_SIGNATURE
    if key not in signature_map.signature_def:
        raise _Rejected(f"the candidate has no {key!r} signature")
    predict = _text_request(name, key, signature_map.signature_def[key], list(texts))
    if predict is None:
        return f"texts: skipped ({key} takes no single text vector)"
    try:
        response = prediction.Predict(predict, timeout=timeout)
    except Exception as error:  # noqa: BLE001
        raise _Rejected(f"Predict on {len(texts)} texts failed: {_rpc_text(error)}") from error
    _check_outputs(response, len(texts))
    return f"texts: {len(texts)} answered by {key} ({', '.join(sorted(response.outputs))})"


def _validate(sandbox_base, name, texts, timeout, checks):
    import grpc
    from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

    from serving.server import ModelServer, ServerOptions

    started = time.monotonic()
    options = ServerOptions(
        model_name=name,
        model_base_path=str(sandbox_base / name),
        host=constants.DEFAULT_HOST,
        port=0,
        file_system_poll_wait_seconds=0,
        # Warmup is replayed below over gRPC, one record at a time, so a
        # failure names the record; the server's own replay would only say
        # that the load failed.
        enable_warmup=False,
    )
    server = ModelServer(options).start()
    try:
        with grpc.insecure_channel(server.target) as channel:
            models = model_service_pb2_grpc.ModelServiceStub(channel)
            prediction = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            _wait_available(models, name, timeout)
            checks.append(f"loaded: AVAILABLE in {time.monotonic() - started:.1f} s")
            logs = _warmup_logs(str(sandbox_base / name / str(SANDBOX_VERSION)))
            _send_warmup(prediction, name, logs, timeout)
            checks.append(
                f"warmup: {len(logs)} record(s) answered" if logs else "warmup: no warmup file"
            )
            checks.append(_send_texts(prediction, name, texts, timeout))
    finally:
        server.stop(grace=1)


def _bless(validated, source, repository, name, baseline, metric, min_improvement):
    """The `Blessing` of the validated copy of `source` against the served (latest) version."""
    from tfcharnlp.training.blessing import bless

    served = repository.latest_path(name) if repository.latest_version(name) is not None else None
    return bless(validated, served, baseline, metric, min_improvement, candidate_name=str(source))


def push_model(
    candidate_dir,
    target_model_dir,
    texts=None,
    timeout=60.0,
    baseline=None,
    metric="accuracy",
    min_improvement=0.0,
):
    """Validates `candidate_dir` in a sandboxed server; publishes it as the next version if it passes.

    Args:
        candidate_dir: a SavedModel folder, or a model folder whose latest
            numeric version is the candidate.
        target_model_dir: `<base>/<model_name>`, the served model's folder.
        texts: texts to send (default `SAMPLE_TEXTS`).
        timeout: seconds for loading and for each request.
        baseline: a labelled `DataConfig`: publish only when the candidate
            scores at least `min_improvement` above the served version on
            `metric` there (`tfcharnlp.training.blessing`); None: no comparison.
        metric, min_improvement: the blessing's rule.

    Returns:
        `PushResult`; `.pushed` is False (and the repository untouched) when
        any check failed, with `.reason`.

    Raises:
        ExportError: the candidate is not a SavedModel / the target name is invalid.
        ConfigError, DataError: the baseline data cannot be read or scored.
    """
    from tfcharnlp.export import ModelRepository, resolve_saved_model_dir

    started = time.monotonic()
    source = resolve_saved_model_dir(candidate_dir)
    target = pathlib.Path(target_model_dir)
    repository = ModelRepository(target.parent)
    name = target.name
    repository.model_path(name)  # Checks the name (ExportError).
    texts = SAMPLE_TEXTS if texts is None else tuple(texts)
    if not texts:
        raise ConfigError("texts", "give at least one text, or None for the built-in samples")
    result = PushResult(pushed=False, model_name=name, candidate=str(source))
    with tempfile.TemporaryDirectory(prefix="tfcharnlp-push-") as sandbox:
        sandbox_base = pathlib.Path(sandbox)
        validated = sandbox_base / name / str(SANDBOX_VERSION)
        # The sandbox holds a copy: what is validated is what gets published,
        # even if the candidate folder changes meanwhile.
        shutil.copytree(source, validated, symlinks=False)
        try:
            _validate(sandbox_base, name, texts, timeout, result.checks)
        except _Rejected as error:
            result.reason = str(error)
        except Exception as error:  # noqa: BLE001 - a crash of the candidate is a rejection
            result.reason = f"validation failed: {type(error).__name__}: {error}"
        if not result.reason and baseline is not None:
            result.blessing = _bless(
                validated, source, repository, name, baseline, metric, min_improvement
            )
            if not result.blessing.blessed:
                result.reason = f"not blessed: {result.blessing.reason}"
        if not result.reason:
            with repository.write(name) as staged:
                shutil.copytree(validated, staged.folder, dirs_exist_ok=True)
                if result.blessing is not None:
                    result.blessing.save(staged.folder)
            result.pushed = True
            result.version = staged.version
            result.path = str(staged.path)
            result.checks.append(f"published: {staged.path}")
    result.seconds = time.monotonic() - started
    return result


def add_arguments(parser):
    parser.add_argument(
        "model_dir",
        metavar="MODEL_DIR",
        help="the candidate SavedModel (or a folder of versions: the latest)",
    )
    parser.add_argument(
        "--to",
        required=True,
        metavar="BASE/NAME",
        help="the served model's folder; the candidate becomes its next version",
    )
    parser.add_argument(
        "--texts", nargs="+", metavar="TEXT", help="texts to send (default: built-in samples)"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds for loading and for each request"
    )
    from tfcharnlp.data.arguments import add_data_arguments
    from tfcharnlp.training.blessing import METRICS

    blessing = add_data_arguments(parser)
    blessing.title = (
        "blessing (TFX's Evaluator): publish only a candidate at least as good as the served "
        "version on labelled data; the data flags say how to read it"
    )
    blessing.add_argument(
        "--baseline",
        metavar="FILE",
        help="labelled data to score the candidate and the served (latest) version on; the "
        "comparison is printed and written as assets.extra/blessing.json in the pushed "
        "version (--path FILE or --preset NAME --split test do the same)",
    )
    blessing.add_argument(
        "--metric", choices=METRICS, default="accuracy", help="(default: %(default)s)"
    )
    blessing.add_argument(
        "--min-improvement",
        type=float,
        default=0.0,
        help="the margin over the served version the candidate needs on --metric "
        "(default: 0, at least as good; negative allows a small loss)",
    )


def _baseline_data(args):
    """The blessing's `DataConfig`, or None when no baseline data was given."""
    from tfcharnlp.data.arguments import data_config_from_args

    if args.baseline:
        if args.path or args.preset:
            raise ConfigError("baseline", "give --baseline FILE, --path or --preset, not several")
        args.path = args.baseline
    if not (args.path or args.preset):
        return None
    # Every row of it is scored (no validation split is cut).
    return data_config_from_args(args)


def run(args):
    """Exit 0 when pushed, 1 when the candidate was rejected (the repository untouched)."""
    if args.timeout <= 0:
        raise ConfigError("--timeout", f"must be > 0, got {args.timeout}")
    result = push_model(
        args.model_dir,
        args.to,
        texts=args.texts,
        timeout=args.timeout,
        baseline=_baseline_data(args),
        metric=args.metric,
        min_improvement=args.min_improvement,
    )
    print(result.summary(), file=sys.stdout if result.pushed else sys.stderr, flush=True)
    return 0 if result.pushed else 1
