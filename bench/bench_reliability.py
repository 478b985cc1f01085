"""Reliability benchmark: 60 s of load from 32 clients with batching, faults and a fuzz.

Load: a `tfcharnlp serve` subprocess (batching on) serves an exported,
untrained CharCNN-small, then an exported word BiLSTM (the serving
benchmarks' exports); 32 client threads, each with its own channel, send
1-text Predict calls back to back for 60 s. Reported per model: calls,
errors, p50/p99, the server's RSS (VmRSS) at the start, every 10 s and at
the end, and its clean exit on SIGTERM.

Faults (each on its own small server, with a client loop running through the
fault): a corrupt, a half-copied and a deleted version; a config reload
removing one model and adding another; clients vanishing mid-call; SIGTERM
under load. Reported per scenario: calls made during the fault, failed
calls, and what GetModelStatus said afterwards. Fuzz: random bytes to every
gRPC method, well-formed requests with bad contents (`bench.grpc_fuzz`) and
bad REST bodies, with an alive check after every payload; answers counted
by status code.
"""

import os
import random
import shutil
import signal
import tempfile
import threading
import time

from bench import measure

# The issue asks for 60 s; the variable shortens a trial run.
LOAD_SECONDS = float(os.environ.get("TFCHARNLP_BENCH_RELIABILITY_SECONDS", "60"))
LOAD_CLIENTS = 32
RSS_EVERY_SECONDS = 10.0
MODEL_NAME = "bench"
POLL_SECONDS = 0.1


def _rss_mib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as stream:
        for line in stream:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _serve(base, workdir, extra=(), batching=None, model=MODEL_NAME):
    return measure.start_serve_process(base, model, workdir, batching=batching, extra=extra)


def _percentile(values, q):
    import numpy as np

    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


def _predict_request(model=MODEL_NAME, texts=("a short text to classify",)):
    from tests.serving.reliability_helpers import request_for

    return request_for(model, texts)


def run_load(base, workdir, model):
    """`LOAD_CLIENTS` clients for `LOAD_SECONDS` on a batching server of `model` at `base`."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from bench.bench_serving import BATCHING_PARAMETERS

    process, target = _serve(base, workdir, batching=BATCHING_PARAMETERS, model=model)
    result = {"rss": [], "errors": {}, "calls": 0}
    latencies, lock = [], threading.Lock()
    try:
        with grpc.insecure_channel(target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            for _ in range(20):
                stub.Predict(_predict_request(model), timeout=30)
        result["rss"].append((0.0, _rss_mib(process.pid)))
        started = time.monotonic()
        deadline = started + LOAD_SECONDS

        def client():
            mine, errors = [], {}
            request = _predict_request(model)
            with grpc.insecure_channel(target) as channel:
                stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
                while time.monotonic() < deadline:
                    begun = time.perf_counter()
                    try:
                        stub.Predict(request, timeout=30)
                        mine.append(time.perf_counter() - begun)
                    except grpc.RpcError as error:
                        errors[error.code().name] = errors.get(error.code().name, 0) + 1
            with lock:
                latencies.extend(mine)
                for code, count in errors.items():
                    result["errors"][code] = result["errors"].get(code, 0) + count

        threads = [threading.Thread(target=client, daemon=True) for _ in range(LOAD_CLIENTS)]
        for thread in threads:
            thread.start()
        while time.monotonic() < deadline:
            time.sleep(min(RSS_EVERY_SECONDS, max(0.0, deadline - time.monotonic())))
            result["rss"].append((time.monotonic() - started, _rss_mib(process.pid)))
        for thread in threads:
            thread.join(timeout=60)
        result["seconds"] = time.monotonic() - started
    finally:
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        result["exit_code"] = process.wait(timeout=120)
        result["stop_seconds"] = time.monotonic() - stopping
    result["calls"] = len(latencies) + sum(result["errors"].values())
    result["p50"] = _percentile(latencies, 50)
    result["p99"] = _percentile(latencies, 99)
    return result


# ----------------------------------------------------------------- fault scenarios


def _status_text(channel, model):
    from tests.serving.reliability_helpers import states

    try:
        found = states(channel, model)
    except Exception as error:  # noqa: BLE001 - reported as is
        return type(error).__name__
    import grpc

    names = {code.value[0]: code.name for code in grpc.StatusCode}
    return ", ".join(
        f"v{version} {state}" + (f" ({names.get(code, code)})" if code else "")
        for version, (state, code, _) in sorted(found.items())
    )


def _with_server(repository, staging, scenario):
    """Runs `scenario(server, channel, base, loop)` with a client loop on model `m`."""
    import grpc

    from serving.server import start_server
    from tests.serving.reliability_helpers import ClientLoop, publish

    base = os.path.join(repository, scenario.__name__)
    os.makedirs(base)
    publish(staging, "v1", base, 1)
    with start_server(
        model_name="m", model_base_path=base, file_system_poll_wait_seconds=POLL_SECONDS
    ) as server:
        with grpc.insecure_channel(server.target) as channel:
            with ClientLoop(server.target, "m") as loop:
                scenario(server, channel, base)
            return loop.calls, len(loop.failures), _status_text(channel, "m")


def corrupt_version(server, channel, base):
    from tests.serving.reliability_helpers import states, wait_until

    folder = os.path.join(base, "2")
    os.makedirs(folder)
    with open(os.path.join(folder, "saved_model.pb"), "wb") as stream:
        stream.write(b"\x0a\xff\xff not a SavedModel")
    wait_until(lambda: states(channel, "m").get(2, (None,))[0] == "END")
    time.sleep(1.0)


def half_copied_version(server, channel, base):
    from tests.serving.reliability_helpers import states, wait_until

    source = os.path.join(_STAGING[0], "v2")
    target = os.path.join(base, "2")
    shutil.copytree(os.path.join(source, "variables"), os.path.join(target, "variables"))
    wait_until(lambda: 2 in states(channel, "m"))
    time.sleep(0.5)
    for name in os.listdir(source):
        if name != "variables":
            path = os.path.join(source, name)
            (shutil.copytree if os.path.isdir(path) else shutil.copy2)(
                path, os.path.join(target, name)
            )
    os.utime(os.path.join(target, "saved_model.pb"))
    wait_until(lambda: states(channel, "m").get(2, (None,))[0] == "AVAILABLE")
    time.sleep(0.5)


def deleted_version(server, channel, base):
    from tests.serving.reliability_helpers import publish, states, wait_until

    publish(_STAGING[0], "v2", base, 2)
    wait_until(lambda: states(channel, "m").get(2, (None,))[0] == "AVAILABLE")
    time.sleep(0.3)
    shutil.rmtree(os.path.join(base, "2"))
    wait_until(lambda: states(channel, "m").get(2, (None,))[0] == "END")
    time.sleep(0.5)


_STAGING = []


def run_reload(repository, staging):
    import grpc
    from tensorflow_serving.apis import model_management_pb2, model_service_pb2_grpc

    from serving.server import single_model_config, start_server
    from tests.serving.reliability_helpers import ClientLoop, publish

    bases = {}
    for name in ("kept", "removed", "added"):
        bases[name] = os.path.join(repository, f"reload-{name}")
        os.makedirs(bases[name])
        publish(staging, "v1", bases[name], 1)
    config_list = single_model_config("kept", bases["kept"])
    config_list.config.add(name="removed", base_path=bases["removed"])
    with start_server(
        config_list=config_list, file_system_poll_wait_seconds=POLL_SECONDS
    ) as server:
        with (
            grpc.insecure_channel(server.target) as channel,
            ClientLoop(server.target, "kept") as loop,
        ):
            request = model_management_pb2.ReloadConfigRequest()
            for name in ("kept", "added"):
                entry = request.config.model_config_list.config.add()
                entry.name, entry.base_path, entry.model_platform = name, bases[name], "tensorflow"
            model_service_pb2_grpc.ModelServiceStub(channel).HandleReloadConfigRequest(
                request, timeout=60
            )
            time.sleep(1.0)
            status = "; ".join(
                f"{name}: {_status_text(channel, name)}" for name in ("kept", "removed", "added")
            )
        return loop.calls, len(loop.failures), status


def run_disconnects(repository, staging):
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from serving.server import parse_batching_parameters, start_server
    from tests.serving.reliability_helpers import ClientLoop, publish, request_for, wait_until

    base = os.path.join(repository, "disconnects")
    os.makedirs(base)
    publish(staging, "v1", base, 1)
    abandoned = 0
    with start_server(
        model_name="m",
        model_base_path=base,
        file_system_poll_wait_seconds=0,
        batching=parse_batching_parameters(
            "max_batch_size { value: 64 }\nbatch_timeout_micros { value: 300000 }"
        ),
    ) as server:
        with ClientLoop(server.target, "m") as loop:
            for _ in range(5):
                channel = grpc.insecure_channel(server.target)
                stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
                calls = [stub.Predict.future(request_for("m"), timeout=30) for _ in range(4)]
                time.sleep(0.1)
                channel.close()
                abandoned += len(calls)
        with grpc.insecure_channel(server.target) as channel:
            status = _status_text(channel, "m")
        servable = server.manager.acquire(request_for("m").model_spec)
        try:
            wait_until(lambda: servable.in_flight == 1, timeout=10)
            leaked = servable.in_flight - 1
        finally:
            servable.release()
    return (
        loop.calls,
        len(loop.failures),
        f"{status}; {abandoned} abandoned calls, {leaked} left in flight",
    )


def run_sigterm(base, workdir):
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    process, target = _serve(
        base,
        workdir,
        batching="max_batch_size { value: 64 }\nbatch_timeout_micros { value: 800000 }\n",
    )
    refused, completed = {}, 0
    lock = threading.Lock()
    stop_at = [None]

    def keep_sending():
        with grpc.insecure_channel(target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            while True:
                try:
                    stub.Predict(_predict_request(), timeout=20)
                except grpc.RpcError as error:
                    with lock:
                        refused[error.code().name] = refused.get(error.code().name, 0) + 1
                    return

    try:
        with grpc.insecure_channel(target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            stub.Predict(_predict_request(), timeout=30)
            loaders = [threading.Thread(target=keep_sending, daemon=True) for _ in range(16)]
            for thread in loaders:
                thread.start()
            in_flight = [stub.Predict.future(_predict_request(), timeout=30) for _ in range(8)]
            time.sleep(0.3)
            stop_at[0] = time.monotonic()
            process.send_signal(signal.SIGTERM)
            for call in in_flight:
                try:
                    call.result()
                    completed += 1
                except grpc.RpcError:
                    pass
            for thread in loaders:
                thread.join(timeout=60)
        exit_code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    seconds = time.monotonic() - stop_at[0]
    refusals = ", ".join(f"{code} {count}" for code, count in sorted(refused.items()))
    return completed, len(in_flight), refusals, exit_code, seconds


def run_fuzz(repository, staging):
    """Random bytes to every gRPC method, well-formed bad requests, bad REST bodies.

    After every payload the server must still answer a good Predict (the
    alive check). Returns `({set: {code: count}}, alive checks passed,
    alive checks made)`.
    """
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from bench.grpc_fuzz import structured_cases
    from serving.server import start_server
    from tests.serving.reliability_helpers import publish, request_for, rest_bodies

    base = os.path.join(repository, "fuzz")
    os.makedirs(base)
    publish(staging, "v1", base, 1)
    rng = random.Random(3)
    outcomes, by_case = {}, {}
    alive = {"passed": 0, "made": 0}
    with start_server(
        model_name="m",
        model_base_path=base,
        file_system_poll_wait_seconds=0,
        rest_api_port=0,
        max_message_size=1024 * 1024,
    ) as server:
        import http.client

        def rest(body):
            connection = http.client.HTTPConnection("localhost", server.rest.port, timeout=30)
            try:
                connection.request("POST", "/v1/models/m:predict", body=body)
                response = connection.getresponse()
                response.read()
                return str(response.status)
            finally:
                connection.close()

        with grpc.insecure_channel(server.target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

            def note(kind, code):
                counts = outcomes.setdefault(kind, {})
                counts[code] = counts.get(code, 0) + 1

            def check_alive():
                alive["made"] += 1
                try:
                    stub.Predict(request_for("m"), timeout=10)
                    alive["passed"] += 1
                except grpc.RpcError:
                    pass

            def send(kind, call, payload, name=None):
                try:
                    call(payload, timeout=20)
                    code = "OK"
                except grpc.RpcError as error:
                    code = error.code().name
                note(kind, code)
                if name is not None:
                    by_case.setdefault(code, []).append(name)
                check_alive()

            methods = [
                f"/tensorflow.serving.PredictionService/{m}"
                for m in ("Predict", "Classify", "Regress", "MultiInference", "GetModelMetadata")
            ] + [
                f"/tensorflow.serving.ModelService/{m}"
                for m in ("GetModelStatus", "HandleReloadConfigRequest")
            ]
            for method in methods:
                call = channel.unary_unary(
                    method, request_serializer=None, response_deserializer=None
                )
                for _ in range(20):
                    payload = bytes(
                        rng.getrandbits(8) for _ in range(rng.choice((1, 9, 100, 5000)))
                    )
                    send("gRPC random bytes (7 methods x 20)", call, payload)
            for name, method, request in structured_cases("m"):
                send(f"gRPC well-formed {method}", getattr(stub, method), request, name)
            for body in rest_bodies().values():
                note("REST bad bodies", rest(body))
                check_alive()
            alive["made"] += 1
            alive["passed"] += rest(b'{"instances": ["abc"]}') == "200"
    return outcomes, by_case, alive["passed"], alive["made"]


def run():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from bench.bench_serving import build_model
    from bench.bench_serving_char_cnn import MODEL_NAME as CHAR_CNN
    from bench.bench_serving_char_cnn import export_char_cnn
    from bench.bench_serving_lstm import MODEL_NAME as WORD_LSTM
    from bench.bench_serving_lstm import export_word_lstm
    from tests.serving import server_models

    workdir = tempfile.mkdtemp(prefix="bench_reliability_")
    try:
        base = build_model(os.path.join(workdir, MODEL_NAME))
        loads = {}
        for label, model, export in (
            ("exported CharCNN-small (untrained)", CHAR_CNN, export_char_cnn),
            ("exported word BiLSTM (untrained)", WORD_LSTM, export_word_lstm),
        ):
            loads[label] = run_load(export(os.path.join(workdir, "exports")), workdir, model)

        staging = os.path.join(workdir, "staging")
        server_models.build_text_model(staging, "v1")
        server_models.build_text_model(staging, "v2", offset=100.0)
        _STAGING[:] = [staging]
        repository = os.path.join(workdir, "repository")
        faults = []
        for scenario, label in (
            (corrupt_version, "corrupt version 2 dropped in"),
            (half_copied_version, "version 2 half-copied, then completed"),
            (deleted_version, "served version 2 deleted"),
        ):
            faults.append((label, *_with_server(repository, staging, scenario)))
        faults.append(
            ("config reload: `removed` out, `added` in", *run_reload(repository, staging))
        )
        faults.append(("clients vanish mid-call (20 calls)", *run_disconnects(repository, staging)))
        sigterm = run_sigterm(base, workdir)
        fuzz, by_case, alive, alive_expected = run_fuzz(repository, staging)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    lines = [
        "## Reliability (load, faults, fuzz)",
        "",
        f"**Load:** {LOAD_CLIENTS} concurrent clients (own channel each, 1-text Predict back to "
        f"back) for {LOAD_SECONDS:g} s against a `tfcharnlp serve` subprocess with batching "
        "(bench_serving's batching parameters), on each exported model in turn.",
        "",
        "| model | calls | errors | calls/s | p50 ms | p99 ms | RSS start MiB | RSS end MiB "
        "| exit on SIGTERM |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, load in loads.items():
        rss = load["rss"]
        errors = sum(load["errors"].values())
        lines.append(
            f"| {label} | {load['calls']} | {errors}"
            + (f" ({', '.join(f'{k} {v}' for k, v in load['errors'].items())})" if errors else "")
            + f" | {load['calls'] / load['seconds']:.0f} | {load['p50']:.2f} | {load['p99']:.2f} "
            f"| {rss[0][1]:.0f} | {rss[-1][1]:.0f} | code {load['exit_code']} after "
            f"{load['stop_seconds']:.1f} s |"
        )
    lines.append("")
    for label, load in loads.items():
        lines.append(
            f"RSS during the run, {label}: "
            + ", ".join(f"{seconds:.0f} s: {mib:.0f} MiB" for seconds, mib in load["rss"])
            + "."
        )
    lines += [
        "",
        "**Faults** (in-process server, file system polled every "
        f"{POLL_SECONDS:g} s; a client loop sends Predict to `m` throughout):",
        "",
        "| scenario | calls during fault | failed calls | GetModelStatus afterwards |",
        "| --- | ---: | ---: | --- |",
    ]
    for label, calls, failed, status in faults:
        lines.append(f"| {label} | {calls} | {failed} | {status} |")
    completed, total, refusals, exit_code, seconds = sigterm
    lines += [
        f"| SIGTERM under load (16 looping clients + {total} calls in flight) | {total} in flight "
        f"| {total - completed} | in-flight calls completed: {completed}/{total}; later calls "
        f"refused: {refusals or 'none'}; exit code {exit_code} after {seconds:.1f} s |",
        "",
        "**Fuzz** (the in-process server of the faults above, serving the test text model "
        "with predict, classify and regress signatures): random bytes to every gRPC method; "
        "well-formed Predict, Classify, Regress and GetModelMetadata requests with bad contents "
        "(`bench/grpc_fuzz.py`: wrong dtypes and shapes, huge dims, empty and non-UTF-8 "
        "strings, NaN, negative versions, missing fields, oversized batches); bad REST bodies. "
        "After every payload a good Predict must succeed (the alive check).",
        "",
        "| payloads | answers by status code |",
        "| --- | --- |",
    ]
    for kind, codes in fuzz.items():
        lines.append(
            f"| {kind} ({sum(codes.values())}) | "
            + ", ".join(f"{code}: {count}" for code, count in sorted(codes.items()))
            + " |"
        )
    lines += [
        "",
        "Well-formed requests not answered INVALID_ARGUMENT, by code: "
        + "; ".join(
            f"{code}: {', '.join(names)}"
            for code, names in sorted(by_case.items())
            if code != "INVALID_ARGUMENT"
        )
        + ".",
        "",
        f"**Alive checks passed: {alive}/{alive_expected}.**",
    ]
    return "\n".join(lines)
