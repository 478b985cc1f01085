"""Runs SavedModel signatures on given inputs in whatever TensorFlow this Python has.

Standalone on purpose (TensorFlow, TF Text and numpy only, no tfcharnlp):
`bench/tf_serving_runtime.py` runs it with the project's TensorFlow and with
TensorFlow Serving's (a throwaway venv), and the export tests run it to see
how a graph treats bad input outside our server. Each model is loaded two
ways and each case runs on both:

- `session`: the `serve` MetaGraphDef restored in a `tf.compat.v1.Session`
  and run by tensor name through a Session callable, which feeds the tensors
  as sent (what TensorFlow Serving's C++ `Session::Run` does);
- `eager`: `tf.saved_model.load` and the signature's concrete function
  called flat, so the graph, not a Python shape check, sees the tensors.

Usage: `python tf_serving_runtime_probe.py REQUEST.json RESULT.json`, where
REQUEST is `{"models": [{"name", "path", "cases": {case: {"signature",
"inputs": {alias: tensor}}}}]}` and a tensor is `{"dtype", "shape",
"values"}` (strings base64). RESULT gets the TensorFlow and TF Text versions
and, per model, runner and case, `{"outputs": {alias: tensor}}` or
`{"error": {"type", "message"}}`.
"""

import base64
import json
import sys

import numpy as np


def encode(array):
    """A numpy array as JSON: dtype name, shape, flat values (bytes base64)."""
    array = np.asarray(array)
    if array.dtype == object or array.dtype.kind == "S":
        values = [base64.b64encode(bytes(value)).decode("ascii") for value in array.ravel()]
        dtype = "string"
    else:
        values = array.ravel().tolist()
        dtype = array.dtype.name
    return {"dtype": dtype, "shape": list(array.shape), "values": values}


def decode(tensor):
    """The numpy array of `encode`'s JSON."""
    if tensor["dtype"] == "string":
        flat = np.empty(len(tensor["values"]), dtype=object)
        flat[:] = [base64.b64decode(value) for value in tensor["values"]]
    else:
        flat = np.array(tensor["values"], dtype=tensor["dtype"])
    return flat.reshape(tensor["shape"])


def _error(error):
    message = str(getattr(error, "message", error)).strip()
    return {"error": {"type": type(error).__name__, "message": message[:500]}}


class SessionRunner:
    """The MetaGraphDef in a Session, signatures run by tensor name (TF Serving's way)."""

    def __init__(self, path):
        import tensorflow as tf
        from tensorflow.python.saved_model import loader_impl

        self.session = tf.compat.v1.Session(graph=tf.Graph())
        meta_graph = loader_impl.SavedModelLoader(path).load(self.session, ["serve"])
        self.signatures = meta_graph.signature_def

    def run(self, key, inputs):
        from tensorflow.core.protobuf import config_pb2

        signature = self.signatures[key]
        aliases = sorted(inputs, key=lambda alias: signature.inputs[alias].name)
        outputs = sorted(signature.outputs)
        runner = self.session._make_callable_from_options(
            config_pb2.CallableOptions(
                feed=[signature.inputs[alias].name for alias in aliases],
                fetch=[signature.outputs[alias].name for alias in outputs],
            )
        )
        values = runner(*[inputs[alias] for alias in aliases])
        return dict(zip(outputs, values, strict=True))


class EagerRunner:
    """`tf.saved_model.load`, each signature's concrete function called flat."""

    def __init__(self, path):
        import tensorflow as tf

        self.loaded = tf.saved_model.load(path)

    def run(self, key, inputs):
        import tensorflow as tf

        function = self.loaded.signatures[key]
        names = list(function.function_type.parameters)
        flat = [tf.constant(inputs[name]) for name in names]
        outputs = function._call_flat(flat, function.captured_inputs)
        return {alias: value.numpy() for alias, value in outputs.items()}


RUNNERS = {"session": SessionRunner, "eager": EagerRunner}


def probe(model):
    """{runner: {case: outputs or error}} for one model of the request."""
    results = {}
    for runner_name, runner_class in RUNNERS.items():
        try:
            runner = runner_class(model["path"])
        except Exception as error:  # noqa: BLE001 - a load failure is a result
            results[runner_name] = {"load": _error(error)}
            continue
        cases = {}
        for case, spec in model["cases"].items():
            inputs = {alias: decode(tensor) for alias, tensor in spec["inputs"].items()}
            try:
                outputs = runner.run(spec["signature"], inputs)
                cases[case] = {"outputs": {alias: encode(v) for alias, v in outputs.items()}}
            except Exception as error:  # noqa: BLE001 - an error is a result
                cases[case] = _error(error)
        results[runner_name] = cases
    return results


def cases_of(inputs_by_case):
    """`{case: (signature, {alias: array})}` -> the request's JSON cases."""
    return {
        case: {
            "signature": signature,
            "inputs": {alias: encode(array) for alias, array in inputs.items()},
        }
        for case, (signature, inputs) in inputs_by_case.items()
    }


def run_in(python, models, workdir, timeout=900):
    """Runs this probe with the interpreter `python`, one process per model.

    Args:
        python: path of the Python to run (its TensorFlow is the one probed).
        models: `[{"name", "path", "cases"}]` (cases from `cases_of`).
        workdir: folder for the request and result files.

    Returns:
        (versions {"tensorflow", "tensorflow_text"}, {model: results}); a
        model whose process died has `{"crashed": "exit code or signal"}`.
    """
    import os
    import subprocess

    versions, results = {}, {}
    for model in models:
        request = os.path.join(workdir, f"probe-{model['name']}.json")
        result = os.path.join(workdir, f"probe-{model['name']}-result.json")
        with open(request, "w", encoding="utf-8") as stream:
            json.dump({"models": [model]}, stream)
        process = subprocess.run(
            [python, os.path.abspath(__file__), request, result],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=workdir,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        if process.returncode != 0 or not os.path.exists(result):
            results[model["name"]] = {
                "crashed": f"exit code {process.returncode}; stderr: {process.stderr[-600:]}"
            }
            continue
        with open(result, encoding="utf-8") as stream:
            answer = json.load(stream)
        versions = {key: answer[key] for key in ("tensorflow", "tensorflow_text")}
        results.update(answer["models"])
    return versions, results


def main(argv):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tensorflow_text

    with open(argv[1], encoding="utf-8") as stream:
        request = json.load(stream)
    result = {
        "tensorflow": tf.__version__,
        "tensorflow_text": tensorflow_text.__version__,
        "models": {model["name"]: probe(model) for model in request["models"]},
    }
    with open(argv[2], "w", encoding="utf-8") as stream:
        json.dump(result, stream)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
