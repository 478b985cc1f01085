"""Timing, FLOP/s and peak-memory helpers shared by the speed benchmarks."""

import math
import os
import resource
import statistics
import time

import numpy as np

MATMUL_SIZE = 2048


def cpu_threads():
    """The number of cores every framework is told to use (all this process may run on)."""
    return usable_cores()


def usable_cores():
    """The cores this process may run on (its CPU affinity), read now."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def load_average():
    """The machine's 1-minute load average, read now."""
    return os.getloadavg()[0]


def spread(values, digits=3):
    """`"median 1.23 (0.98-1.50)"` of some values."""
    return (
        f"median {statistics.median(values):.{digits}f} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def ratio_of_medians(values, reference):
    """median(values) / median(reference)."""
    return statistics.median(values) / statistics.median(reference)


def set_tensorflow_threads(threads):
    """Fix TensorFlow's pools; must run before TensorFlow executes any op."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def steps_per_second(step, steps):
    """Run `step()` `steps` times and return steps per second (wall clock)."""
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start)


def interleaved_rates(steps_by_name, warmup, steps, rounds):
    """Steps/s of several step functions measured in alternating rounds.

    Each function is warmed up `warmup` times, then every round times
    `steps` calls of each in turn, starting one name later each round; the
    median round counts. Alternating in short rounds keeps a shared
    machine's changing load from favouring one side; ratios are best taken
    round by round (`paired_ratio`).

    Returns:
        {name: (median steps/s, [steps/s of each round])}.
    """
    for step in steps_by_name.values():
        for _ in range(warmup):
            step()
    names = list(steps_by_name)
    rates = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            rates[name].append(steps_per_second(steps_by_name[name], steps))
    return {name: (statistics.median(values), values) for name, values in rates.items()}


def timed_rounds(steps_by_name, warmup, round_seconds, rounds):
    """Steps/s in alternating rounds that each last about `round_seconds` per function.

    Like `interleaved_rates`, but each function's steps per round are chosen
    from its last warm-up step's time, so every turn lasts several seconds
    whatever the step costs: one-step rounds swing with the machine's load
    far more than the ratio being measured.

    Returns:
        ({name: (median steps/s, [steps/s of each round])}, {name: steps per round}).
    """
    steps = {}
    for name, step in steps_by_name.items():
        for _ in range(max(warmup - 1, 0)):
            step()
        started = time.perf_counter()
        step()
        steps[name] = steps_for(round_seconds, time.perf_counter() - started)
    names = list(steps_by_name)
    rates = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            rates[name].append(steps_per_second(steps_by_name[name], steps[name]))
    return {name: (statistics.median(values), values) for name, values in rates.items()}, steps


def steps_for(round_seconds, step_seconds):
    """Whole steps (at least one) that fill `round_seconds` at `step_seconds` each."""
    return max(1, math.ceil(round_seconds / max(step_seconds, 1e-9)))


def paired_ratios(rates, name, reference):
    """`name`'s rate divided by `reference`'s, round by round."""
    return [a / b for a, b in zip(rates[name][1], rates[reference][1], strict=True)]


def paired_ratio(rates, name, reference):
    """Median over rounds of `name`'s rate divided by `reference`'s in the same round."""
    return statistics.median(paired_ratios(rates, name, reference))


def matmul_flops(repeats=5, size=MATMUL_SIZE):
    """Dense float32 matmul FLOP/s of this machine: the best of numpy and TensorFlow.

    Returns:
        {"numpy": flop/s, "tensorflow": flop/s}, each the best of `repeats`
        `size x size` products (2 * size**3 flops each).
    """
    import tensorflow as tf

    flops = 2.0 * size**3
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    results = {}

    def best(run):
        run()  # Warm-up: thread pools, kernel selection.
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return flops / min(times)

    results["numpy"] = best(lambda: a @ b)
    ta, tb = tf.constant(a), tf.constant(b)
    results["tensorflow"] = best(lambda: tf.matmul(ta, tb).numpy())
    return results


def matmul_step(products=8, size=MATMUL_SIZE):
    """A TensorFlow step of `products` float32 `size x size` matmuls, to time beside models.

    Returns:
        (step function, FLOPs per step).
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    b = tf.constant(rng.standard_normal((size, size), dtype=np.float32))

    def step():
        for _ in range(products):
            tf.matmul(a, b).numpy()

    return step, products * 2.0 * size**3


def peak_rss_mib():
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def start_serve_process(base, model_name, workdir, batching=None, extra=(), stderr=None):
    """Starts `tfcharnlp serve` on a free loopback port; returns (process, target).

    `batching`: TF Serving BatchingParameters text (written to a file in
    `workdir`), or None for no batching. `stderr`: a file for the server's log
    (None: discarded). The server prints its port on stdout once it serves.
    """
    import re
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "tfcharnlp.cli",
        "serve",
        "--port=0",
        f"--model_name={model_name}",
        f"--model_base_path={base}",
        "--file_system_poll_wait_seconds=0",
        *extra,
    ]
    if batching:
        path = os.path.join(workdir, f"batching-{len(os.listdir(workdir))}.config")
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(batching)
        command += ["--enable_batching", f"--batching_parameters_file={path}"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr if stderr is not None else subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    line = process.stdout.readline()
    match = re.search(r"listening on \S+:(\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"tfcharnlp serve did not start: {line!r}")
    return process, f"localhost:{match.group(1)}"
