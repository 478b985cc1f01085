"""One loaded SavedModel version: its Session, its SignatureDefs, and how requests reach them.

Every SavedModel, TF1 or TF2, is loaded as TensorFlow Serving loads it: the
`serve` MetaGraphDef is imported into a graph of its own and restored in a
Session (variables, assets, init op), and each signature runs through that
Session by tensor name (see `signature.Signature`). `tf.saved_model.load`
is not used: it rebuilds Python objects from a TF2 SavedModel and cannot load
some TF1 bundles that TF Serving serves (ParseExample graphs such as its
`saved_model_half_plus_three` test model).
"""

import threading

import tensorflow as tf
import tensorflow_text  # noqa: F401 - registers TF Text's ops, which word tokenizers use in-graph
from tensorflow.python.saved_model import loader_impl
from tensorflow_serving.apis import get_model_metadata_pb2

from serving.server import request_limits, status
from serving.server.signature import Signature

SERVE_TAG = "serve"
# The TF2 init op's SignatureDef key (tensorflow/python/saved_model/constants.py).
INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"


def _session_config():
    # Soft placement: a graph exported with GPU placements still serves on a CPU-only machine.
    return tf.compat.v1.ConfigProto(allow_soft_placement=True)


class Servable:
    """A loaded version of a model, shared by every request routed to it.

    Args:
        name: the model name.
        version: the numeric version.
        path: the version folder holding `saved_model.pb`.
        batching: `BatchingOptions` to merge concurrent calls, or None.
        limits: `RequestLimits` for large requests (None: the defaults).
    """

    def __init__(self, name, version, path, batching=None, limits=None):
        self.name = name
        self.version = version
        self.path = path
        self.batching = batching
        self.limits = limits or request_limits.RequestLimits()
        self.signatures = {}
        self.signature_def_map = None
        self._session = None
        self._schedulers = {}
        self._in_flight = 0
        self._closed = False
        self._lock = threading.Condition()

    def load(self):
        """Loads the SavedModel into a Session; raises on any problem (the caller reports it)."""
        self._session = tf.compat.v1.Session(graph=tf.Graph(), config=_session_config())
        try:
            meta_graph = loader_impl.SavedModelLoader(self.path).load(self._session, [SERVE_TAG])
        except Exception:
            self._session.close()
            raise
        self.signature_def_map = get_model_metadata_pb2.SignatureDefMap()
        for key, signature_def in meta_graph.signature_def.items():
            self.signature_def_map.signature_def[key].CopyFrom(signature_def)
            # The init op's entry is metadata (TF Serving lists it too), not a signature to run.
            if key != INIT_OP_SIGNATURE_KEY:
                self.signatures[key] = Signature(key, signature_def, self._session)
        if not self.signatures:
            raise ValueError(f"the SavedModel in {self.path} has no signature to serve")
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

    def rows_per_call(self):
        """Most rows one model call gets: the row limit, and the batch size when batching."""
        limit = self.limits.max_rows_per_call
        if self.batching is not None:
            limit = (
                min(limit, self.batching.max_batch_size) if limit else self.batching.max_batch_size
            )
        return limit

    def run(self, signature, arrays, deadline=None, output_keys=None):
        """Checks the inputs and runs a signature, in parts when the request is large.

        Each part goes through the batch scheduler when batching is on (which
        computes every output, as merged requests may filter differently),
        else straight to the session, fetching only `output_keys` (None: all).
        """
        signature.check_arrays(arrays)
        scheduler = self._schedulers.get(signature.key)
        if scheduler is not None:

            def run_once(part):
                outputs = scheduler.submit(part, deadline)
                if output_keys is None:
                    return outputs
                return {alias: outputs[alias] for alias in output_keys}

        else:

            def run_once(part):
                return signature(part, output_keys)

        return request_limits.run_split(
            run_once, arrays, self.rows_per_call(), self.limits, deadline
        )

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
        if self._session is not None:
            self._session.close()
            self._session = None

    def batch_stats(self):
        """Per signature: (model calls, rows) run by the batch scheduler."""
        return {key: (s.batches_run, s.rows_run) for key, s in self._schedulers.items()}
