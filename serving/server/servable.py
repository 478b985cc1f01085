"""One loaded SavedModel version: its SignatureDefs and their functions.

TF2 SavedModels and TF1 ones (graph + session, loaded through the compat.v1
loader that `tf.saved_model.load` uses for them) both expose their signatures
as concrete functions taking the signature's input aliases as keywords; the
server calls those directly, so no Python-side model code runs per request.
The SignatureDefs themselves (method names, dtypes, shapes) are read from
`saved_model.pb`, because the loaded functions do not keep the method name.
"""

import os
import threading

import grpc
import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401 - registers TF Text's ops, which word tokenizers use in-graph
from google.protobuf import text_format
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import get_model_metadata_pb2

from serving.server import status, tensors
from tfcharnlp import constants

SERVE_TAG = "serve"
_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}


def read_meta_graph(path):
    """The `serve` MetaGraphDef of the SavedModel in `path` (binary or text proto)."""
    saved_model = saved_model_pb2.SavedModel()
    pb_path = os.path.join(path, constants.SAVED_MODEL_FILE)
    pbtxt_path = pb_path + "txt"
    if os.path.exists(pb_path):
        with open(pb_path, "rb") as stream:
            saved_model.ParseFromString(stream.read())
    elif os.path.exists(pbtxt_path):
        with open(pbtxt_path, encoding="utf-8") as stream:
            text_format.Parse(stream.read(), saved_model)
    else:
        raise FileNotFoundError(f"no {constants.SAVED_MODEL_FILE} in {path}")
    for meta_graph in saved_model.meta_graphs:
        if SERVE_TAG in meta_graph.meta_info_def.tags:
            return meta_graph
    raise ValueError(f"the SavedModel in {path} has no MetaGraphDef tagged {SERVE_TAG!r}")


def _tensor_info(info):
    shape = None if info.tensor_shape.unknown_rank else tuple(d.size for d in info.tensor_shape.dim)
    return info.dtype, shape


def _shape_text(shape):
    return "[" + ",".join(str(size) for size in shape) + "]"


class Signature:
    """A SignatureDef bound to the function that runs it.

    Args:
        key: the signature's name in the SavedModel (`serving_default`, ...).
        signature_def: its `SignatureDef` proto.
        function: the loaded concrete function, called with input aliases as keywords.
    """

    def __init__(self, key, signature_def, function):
        self.key = key
        self.signature_def = signature_def
        self.method_name = signature_def.method_name
        self.function = function
        self.inputs = {alias: _tensor_info(info) for alias, info in signature_def.inputs.items()}
        self.outputs = {alias: _tensor_info(info) for alias, info in signature_def.outputs.items()}
        self.input_keys = sorted(self.inputs)
        self.output_keys = sorted(self.outputs)
        self._tf_dtypes = {
            alias: tf.dtypes.as_dtype(dtype) for alias, (dtype, _) in self.inputs.items()
        }
        self._flat_order = self._fast_call_order(function)

    def _fast_call_order(self, function):
        """The input order of the function's flat call, when it can be used safely.

        The public call re-binds keyword arguments against the function type
        on every request (about 50 us, a tenth of the whole server overhead).
        Requests are already checked against the SignatureDef here, so when
        the function's parameters are exactly the signature's inputs the flat
        call is used directly; anything unexpected falls back to the public
        call.
        """
        try:
            names = list(function.function_type.parameters)
        except AttributeError:
            return None
        if sorted(names) != self.input_keys or not hasattr(function, "_call_flat"):
            return None
        return names

    def check_input_names(self, names):
        """TensorFlow Serving's check that the request sends exactly the signature's inputs."""
        sent, expected = set(names), set(self.inputs)
        if sent != expected:
            extra, missing = sorted(sent - expected), sorted(expected - sent)
            if len(sent) == len(expected):
                raise status.invalid_argument(
                    f"input tensor alias not found in signature: {extra[0]}. Inputs expected to be in "
                    f"the set {{{','.join(self.input_keys)}}}."
                )
            raise status.invalid_argument(
                f"input size does not match signature: {len(sent)}!={len(expected)} "
                f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(self.input_keys)}}}). "
                f"Sent extra: {{{','.join(extra)}}}. Missing but required: {{{','.join(missing)}}}."
            )

    def check_input(self, alias, dtype_enum, array):
        """INVALID_ARGUMENT when an input's dtype or shape does not fit the signature."""
        expected_dtype, expected_shape = self.inputs[alias]
        if dtype_enum != expected_dtype:
            raise status.invalid_argument(
                f"Expects arg[{self.input_keys.index(alias)}] ({alias}) to be "
                f"{tensors.dtype_name(expected_dtype)} but {tensors.dtype_name(dtype_enum)} is provided"
            )
        if expected_shape is None:
            return
        shape = array.shape
        if len(shape) != len(expected_shape) or any(
            want >= 0 and want != got for want, got in zip(expected_shape, shape, strict=True)
        ):
            raise status.invalid_argument(
                f"input '{alias}' has shape {_shape_text(shape)} but the signature "
                f"{self.key} expects {_shape_text(expected_shape)} (-1 = any size)"
            )

    def __call__(self, arrays):
        """Runs the function on numpy inputs; returns alias -> (numpy array, dtype enum)."""
        kwargs = {
            alias: tf.constant(array, dtype=self._tf_dtypes[alias])
            for alias, array in arrays.items()
        }
        try:
            results = None
            if self._flat_order is not None:
                try:
                    flat = [kwargs[name] for name in self._flat_order]
                    results = self.function._call_flat(flat, self.function.captured_inputs)
                except (AttributeError, TypeError):
                    self._flat_order = None
            if results is None:
                results = self.function(**kwargs)
        except tf.errors.OpError as error:
            code = _GRPC_CODES.get(error.error_code, grpc.StatusCode.INTERNAL)
            raise status.ServingError(code, error.message) from error
        except (TypeError, ValueError) as error:
            raise status.invalid_argument(f"signature {self.key}: {error}") from error
        if not isinstance(results, dict):
            results = dict(zip(self.output_keys, tf.nest.flatten(results), strict=False))
        return {
            alias: (value.numpy(), value.dtype.as_datatype_enum) for alias, value in results.items()
        }


class Servable:
    """A loaded version of a model, shared by every request routed to it.

    Args:
        name: the model name.
        version: the numeric version.
        path: the version folder holding `saved_model.pb`.
        batching: `BatchingOptions` to merge concurrent calls, or None.
    """

    def __init__(self, name, version, path, batching=None):
        self.name = name
        self.version = version
        self.path = path
        self.batching = batching
        self.signatures = {}
        self.signature_def_map = None
        self._loaded = None
        self._schedulers = {}
        self._in_flight = 0
        self._closed = False
        self._lock = threading.Condition()

    def load(self):
        """Loads the SavedModel; raises on any problem (the caller reports it)."""
        meta_graph = read_meta_graph(self.path)
        self._loaded = tf.saved_model.load(self.path, tags=[SERVE_TAG])
        functions = self._loaded.signatures
        self.signature_def_map = get_model_metadata_pb2.SignatureDefMap()
        for key, signature_def in meta_graph.signature_def.items():
            self.signature_def_map.signature_def[key].CopyFrom(signature_def)
            if key in functions:
                self.signatures[key] = Signature(key, signature_def, functions[key])
        if not self.signatures:
            raise ValueError(f"the SavedModel in {self.path} has no callable signature")
        if self.batching is not None:
            from serving.server.batching import BatchScheduler

            for key, signature in self.signatures.items():
                self._schedulers[key] = BatchScheduler(
                    signature, self.batching, name=f"{self.name}/{self.version}/{key}"
                )
        return self

    def signature(self, key):
        signature = self.signatures.get(key)
        if signature is None:
            raise status.failed_precondition(f'Serving signature key "{key}" not found.')
        return signature

    def run(self, signature, arrays, deadline=None):
        """Runs a signature, through the batch scheduler when batching is on."""
        scheduler = self._schedulers.get(signature.key)
        if scheduler is not None:
            return scheduler.submit(arrays, deadline)
        return signature(arrays)

    def acquire(self):
        """Counts one request in; False once the servable is unloading."""
        with self._lock:
            if self._closed:
                return False
            self._in_flight += 1
            return True

    def release(self):
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._lock.notify_all()

    @property
    def in_flight(self):
        return self._in_flight

    def close(self, timeout=None):
        """Refuses new requests, waits for those in flight, then drops the model."""
        with self._lock:
            self._closed = True
            self._lock.wait_for(lambda: self._in_flight == 0, timeout=timeout)
        for key, scheduler in self._schedulers.items():
            scheduler.close()
            if scheduler.batches_run:
                from serving.server.events import log_event

                log_event(
                    "batch_stats",
                    model=self.name,
                    version=self.version,
                    signature=key,
                    batches=scheduler.batches_run,
                    rows=scheduler.rows_run,
                    mean_batch=f"{scheduler.rows_run / scheduler.batches_run:.2f}",
                )
        self._schedulers = {}
        self.signatures = {}
        self._loaded = None

    def batch_stats(self):
        """Per signature: (model calls, rows) run by the batch scheduler."""
        return {key: (s.batches_run, s.rows_run) for key, s in self._schedulers.items()}


def is_string_dtype(dtype_enum):
    return dtype_enum == types_pb2.DT_STRING


def as_string_array(values):
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
