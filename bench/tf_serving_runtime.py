"""TensorFlow Serving's runtime, checked: our SavedModels under TensorFlow 2.20 + TF Text 2.20.

tensorflow/serving 2.20.0 (the newest tag verifiable from here) links
TensorFlow 2.20 and TF Text 2.20, while we export with TensorFlow 2.21. This
check installs `tensorflow==2.20.*` and `tensorflow-text==2.20.*` into a
throwaway venv (about 600 MB from PyPI), exports every family of
`tests/serving/exported_families.py` with this project's TensorFlow, and
runs each signature in both runtimes with `bench/tf_serving_runtime_probe.py`
(a Session over tensor names, as TF Serving runs it, and
`tf.saved_model.load`). It passes when every SavedModel loads in TF 2.20,
classifier outputs agree within 1e-4, generated text is identical for the
same seeds, and a scalar or `[1, 1]` string input is refused with
INVALID_ARGUMENT (not a crash) in both runtimes.

Not part of the test run: it installs a second TensorFlow. Run it with
`make tf-serving-runtime-check` (or `python -m bench.tf_serving_runtime
[--venv DIR]`, which reuses DIR instead of a throwaway venv); the result is
written to bench/RESULTS.md between `<!-- bench:tf_serving_runtime -->` markers.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench import __main__ as bench_main
from bench import tf_serving_runtime_probe as probe

SECTION = "tf_serving_runtime"
RUNTIME_REQUIREMENTS = ("tensorflow==2.20.*", "tensorflow-text==2.20.*")
PROBABILITY_TOLERANCE = 1e-4
BAD_CASES = ("scalar", "[1,1]")


def install_runtime(venv):
    """Creates `venv` (if needed) with TF Serving 2.20.0's TensorFlow and TF Text."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", *RUNTIME_REQUIREMENTS], check=True, timeout=3600
    )
    return python


def build_models(workdir):
    """Exports every family; returns the probe's model list (valid and bad-input cases)."""
    from tests.serving import exported_families

    models = []
    for name in exported_families.FAMILIES:
        path, _, inputs = exported_families.export_family(name, os.path.join(workdir, "models"))
        cases = {signature: (signature, arrays) for signature, arrays in inputs.items()}
        for case, arrays in exported_families.bad_string_inputs(name, inputs).items():
            cases[f"bad {case}"] = ("serving_default", arrays)
        models.append({"name": name, "path": str(path), "cases": probe.cases_of(cases)})
    return models


def _compare_outputs(reference, candidate):
    """(agrees, detail) for two `{"outputs": ...}` results of one case."""
    if "outputs" not in candidate:
        return False, f"error: {candidate.get('error', candidate)}"
    if "outputs" not in reference:
        return False, f"reference error: {reference.get('error', reference)}"
    worst = 0.0
    for alias, tensor in reference["outputs"].items():
        want, got = probe.decode(tensor), probe.decode(candidate["outputs"][alias])
        if want.shape != got.shape:
            return False, f"{alias}: shape {list(got.shape)} != {list(want.shape)}"
        if want.dtype.kind == "f":
            difference = float(np.max(np.abs(want - got))) if want.size else 0.0
            worst = max(worst, difference)
            if difference > PROBABILITY_TOLERANCE:
                return False, f"{alias}: max |difference| {difference:.2e}"
        elif not np.array_equal(want, got):
            return False, f"{alias}: values differ"
    return True, f"equal (max float difference {worst:.1e})"


def _bad_input_outcome(result):
    """(refused cleanly, detail) for a bad-input case's result."""
    if "error" in result and result["error"]["type"] == "InvalidArgumentError":
        # The eager error starts with "Graph execution error:" and a traceback header.
        lines = [
            line.strip()
            for line in result["error"]["message"].splitlines()
            if line.strip()
            and not line.startswith(("Graph execution error", "Detected at node", "<stack"))
        ]
        return True, f"INVALID_ARGUMENT: {(lines or [''])[0][:120]}"
    return False, f"not refused: {str(result)[:160]}"


def compare(reference, candidate):
    """Table rows `(family, case, runner, ok, detail)` comparing the two runtimes."""
    rows = []
    for name, by_runner in reference.items():
        answer = candidate.get(name, {"crashed": "no result"})
        for runner in probe.RUNNERS:
            if "crashed" in answer:
                rows.append((name, "(load)", runner, False, f"crashed: {answer['crashed']}"))
                continue
            if "load" in answer[runner]:
                rows.append((name, "(load)", runner, False, str(answer[runner]["load"])))
                continue
            for case, want in by_runner["session"].items():
                got = answer[runner][case]
                if case.startswith("bad ") and case[4:] in BAD_CASES:
                    ok, detail = _bad_input_outcome(got)
                    ok_reference, _ = _bad_input_outcome(by_runner[runner][case])
                    ok = ok and ok_reference
                else:
                    ok, detail = _compare_outputs(want, got)
                rows.append((name, case, runner, ok, detail))
    return rows


def report(rows, versions, seconds):
    failures = sum(not ok for *_, ok, _ in rows)
    reference = {"tensorflow": "?", "tensorflow_text": "?", **versions["reference"]}
    candidate = {"tensorflow": "?", "tensorflow_text": "?", **versions["candidate"]}
    lines = [
        "## TensorFlow Serving runtime check (TF 2.20 + TF Text 2.20)",
        "",
        f"Exported with TensorFlow {reference['tensorflow']} / TF Text "
        f"{reference['tensorflow_text']}; run in TensorFlow {candidate['tensorflow']} / TF Text "
        f"{candidate['tensorflow_text']} (pip `{' '.join(RUNTIME_REQUIREMENTS)}` in a "
        "throwaway venv), the runtime tensorflow/serving 2.20.0 links. Each signature ran in a "
        "Session over its tensor names (as TF Serving runs it) and through `tf.saved_model.load`; "
        "outputs are compared with the exporting TensorFlow's Session outputs (floats within "
        f"{PROBABILITY_TOLERANCE:g}, everything else exactly: class ids, labels, generated text "
        "for fixed seeds). `bad scalar` / `bad [1,1]`: the string input as a scalar or a matrix "
        "must be refused with INVALID_ARGUMENT in both runtimes; `bad empty` (no rows) must be "
        "answered like the reference.",
        "",
        f"**Result: {'PASS' if not failures else f'FAIL ({failures} of {len(rows)} checks)'}** "
        f"({len(rows)} checks, {seconds:.0f} s including the install).",
        "",
        "| family | case | runner | agrees | detail |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, case, runner, ok, detail in rows:
        lines.append(f"| {name} | {case} | {runner} | {'yes' if ok else '**no**'} | {detail} |")
    return "\n".join(lines), failures


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.tf_serving_runtime")
    parser.add_argument("--venv", help="reuse (or create) this venv instead of a throwaway one")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="tf_serving_runtime_")
    try:
        models = build_models(workdir)
        reference_versions, reference = probe.run_in(sys.executable, models, workdir)
        venv = args.venv or os.path.join(workdir, "venv")
        python = install_runtime(venv)
        candidate_versions, candidate = probe.run_in(python, models, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = compare(reference, candidate)
    body, failures = report(
        rows,
        {"reference": reference_versions, "candidate": candidate_versions},
        time.monotonic() - started,
    )
    body += (
        f"\n\n_Command: `make tf-serving-runtime-check` (`python -m bench.tf_serving_runtime`); "
        f"machine: {bench_main.machine_line()}._\n"
    )
    text = bench_main.RESULTS.read_text() if bench_main.RESULTS.exists() else bench_main.HEADER
    bench_main.RESULTS.write_text(bench_main.replace_section(text, SECTION, body))
    print(body)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
