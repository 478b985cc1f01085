"""One SignatureDef run the way TensorFlow Serving runs it: a Session over its tensor names.

TensorFlow Serving's predict path checks the request's input count, aliases
and `output_filter`, then calls `Session::Run` with the tensors as sent; the
graph decides whether a shape fits, and the call frame refuses a wrong dtype
with `Expects arg[i] to be float but string is provided`, counting the feeds
in the order of their sorted tensor names. `Signature` does the same through
a Session callable (`Session._make_callable_from_options`), which hands the
numpy arrays to the C++ session unchanged: Python's `Session.run` and
`make_callable` add a feed-shape check of their own that the C++ server does
not have. TF1 and TF2 SavedModels run alike (a TF2 signature is a call node
in the MetaGraphDef's graph).

One guard is ours: a string input of another rank than the SignatureDef
declares is refused before it reaches the graph, because string ops of
third-party models have crashed the process on such input (a scalar sent to a
word tokenizer: SIGSEGV). Numeric inputs are fed as sent, as TF Serving does.
"""

import threading

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import config_pb2

from serving import tensor_codec
from serving.server import status

_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}
# Callables kept per signature for distinct output_filter choices (each is an executor).
MAX_CALLABLES = 16


def data_type_string(dtype_enum):
    """TensorFlow's `DataTypeString`: DT_FLOAT -> float, DT_STRING -> string."""
    return tensor_codec.data_type_name(dtype_enum).removeprefix("DT_").lower()


def _tensor_info(info):
    shape = None if info.tensor_shape.unknown_rank else tuple(d.size for d in info.tensor_shape.dim)
    return info.dtype, shape


def _shape_text(shape):
    return "[" + ",".join(str(size) for size in shape) + "]"


def _rows(arrays):
    for array in arrays:
        if array.ndim > 0:
            return int(array.shape[0])
    return 1


class Signature:
    """A SignatureDef bound to the Session that runs it.

    Args:
        key: the signature's name in the SavedModel (`serving_default`, ...).
        signature_def: its `SignatureDef` proto.
        session: the `tf.compat.v1.Session` holding the loaded MetaGraphDef.

    Attributes:
        record_rows: None, or a callable told the rows of every model call
            (the metrics' batch-size histogram).
    """

    def __init__(self, key, signature_def, session):
        self.key = key
        self.signature_def = signature_def
        self.method_name = signature_def.method_name
        self.inputs = {alias: _tensor_info(info) for alias, info in signature_def.inputs.items()}
        self.outputs = {alias: _tensor_info(info) for alias, info in signature_def.outputs.items()}
        self.input_keys = sorted(self.inputs)
        self.output_keys = sorted(self.outputs)
        self.record_rows = None
        self._session = session
        # The C++ session numbers its feeds in the order of their sorted tensor names.
        names = {alias: info.name for alias, info in signature_def.inputs.items()}
        self._feed_names = sorted(set(names.values()))
        self._feed_aliases = [
            min(alias for alias in names if names[alias] == name) for name in self._feed_names
        ]
        self._arg_index = {alias: self._feed_names.index(names[alias]) for alias in names}
        self._callables = {}
        self._lock = threading.Lock()
        try:
            # Built at load, so the first request does not pay for the executor.
            self._callable(tuple(self.output_keys))
        except Exception:  # noqa: BLE001 - see below
            # A signature the session cannot run (no tensor names, say) fails
            # when it is called, with TensorFlow's error, as in TF Serving.
            pass

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

    def check_output_filter(self, output_filter):
        """The outputs to answer: `output_filter`'s aliases (checked), or all outputs."""
        if not output_filter:
            return self.output_keys
        seen = set()
        for alias in output_filter:
            if alias not in self.outputs:
                raise status.invalid_argument(
                    f"output tensor alias not found in signature: {alias} Outputs expected to be "
                    f"in the set {{{','.join(self.output_keys)}}}."
                )
            if alias in seen:
                raise status.invalid_argument(f"duplicate output tensor alias: {alias}")
            seen.add(alias)
        return list(output_filter)

    def check_arrays(self, arrays):
        """The call frame's dtype check in TF Serving's words, then our string-rank guard."""
        for alias in sorted(arrays, key=self._arg_index.__getitem__):
            expected_dtype, expected_shape = self.inputs[alias]
            array = arrays[alias]
            got = tensor_codec.array_data_type(array)
            if got != expected_dtype:
                raise status.invalid_argument(
                    f"Expects arg[{self._arg_index[alias]}] to be {data_type_string(expected_dtype)} "
                    f"but {data_type_string(got)} is provided"
                )
            if (
                expected_dtype == types_pb2.DT_STRING
                and expected_shape is not None
                and array.ndim != len(expected_shape)
            ):
                raise status.invalid_argument(
                    f"input '{alias}' has shape {_shape_text(array.shape)} but the signature "
                    f"{self.key} expects {_shape_text(expected_shape)} (-1 = any size): strings of "
                    "another rank than the signature declares are refused, as they can crash "
                    "a model's string ops"
                )

    def _callable(self, output_keys):
        runner = self._callables.get(output_keys)
        if runner is not None:
            return runner
        with self._lock:
            runner = self._callables.get(output_keys)
            if runner is None:
                options = config_pb2.CallableOptions(
                    feed=self._feed_names,
                    fetch=[self.signature_def.outputs[alias].name for alias in output_keys],
                )
                runner = self._session._make_callable_from_options(options)
                if len(self._callables) < MAX_CALLABLES:
                    self._callables[output_keys] = runner
        return runner

    def __call__(self, arrays, output_keys=None):
        """Runs the signature on checked numpy inputs; returns alias -> (array, dtype enum).

        `output_keys`: the outputs to compute (None: all); only those are
        fetched, so the graph prunes what they do not need.
        """
        output_keys = tuple(self.output_keys if output_keys is None else output_keys)
        feeds = [arrays[alias] for alias in self._feed_aliases]
        if self.record_rows is not None:
            self.record_rows(_rows(feeds))
        try:
            results = self._callable(output_keys)(*feeds)
        except tf.errors.OpError as error:
            code = _GRPC_CODES.get(error.error_code, grpc.StatusCode.INTERNAL)
            raise status.StatusError(code, error.message) from error
        except (TypeError, ValueError) as error:
            raise status.invalid_argument(f"signature {self.key}: {error}") from error
        outputs = {}
        for alias, value in zip(output_keys, results, strict=True):
            array = np.asarray(value)
            try:
                outputs[alias] = (array, tensor_codec.array_data_type(array))
            except ValueError as error:
                raise status.internal(f"output '{alias}': {error}") from error
        return outputs
