"""Exported graphs that run on any CPU server, whatever the training machine had.

Two things a model trained on a GPU would otherwise carry into its SavedModel:

- cuDNN-only ops. Keras 3's LSTM and GRU trace `CudnnRNNV3` whenever a GPU
  is visible while the function is traced (`keras.src.backend.tensorflow.rnn`
  checks `tf.config.list_logical_devices("GPU")`); such a graph cannot run
  on the CPU `tensorflow/serving` image, and cuDNN's mask assertion fails
  every batch holding an all-padding row (an empty text).
- float16 compute of a mixed-precision run, which is slow on CPUs.

`cpu_portable(model)` switches both off on every layer of the model while
the export traces it (the weights are float32 and in Keras' own layout
either way), and `non_portable_ops(export_dir)` reads a written SavedModel
back and lists what would still tie it to a GPU.
"""

import contextlib

from tfcharnlp.export.signature_methods import read_saved_model_proto

# Mixed-precision compute dtypes that are replaced by float32 in an export.
_HALF_PRECISION = ("float16", "bfloat16")


def _layers(*roots):
    seen = {}
    for root in roots:
        if root is None or not hasattr(root, "_flatten_layers"):
            continue
        for layer in root._flatten_layers(include_self=True, recursive=True):
            seen[id(layer)] = layer
    return list(seen.values())


@contextlib.contextmanager
def cpu_portable(*models):
    """Within the block, `models` trace without cuDNN kernels and compute in float32.

    Sets `use_cudnn=False` on every recurrent layer and the float32 dtype
    policy on every layer computing in half precision, and restores both
    afterwards, so the trained model object is left as it was.
    """
    changed = []
    for layer in _layers(*models):
        if hasattr(layer, "use_cudnn") and layer.use_cudnn is not False:
            changed.append((layer, "use_cudnn", layer.use_cudnn))
            layer.use_cudnn = False
        policy = getattr(layer, "dtype_policy", None)
        if policy is not None and policy.compute_dtype in _HALF_PRECISION:
            changed.append((layer, "dtype_policy", policy))
            layer.dtype_policy = "float32"
    try:
        yield
    finally:
        for layer, attribute, value in reversed(changed):
            setattr(layer, attribute, value)


def _half_attributes(node):
    from tensorflow.core.framework import types_pb2

    half = (types_pb2.DT_HALF, types_pb2.DT_BFLOAT16)
    for name, value in node.attr.items():
        if value.type in half or any(t in half for t in value.list.type):
            yield name


def non_portable_ops(export_dir):
    """`["CudnnRNNV3 (node/name)", "Cast (node/name: DstT is half precision)", ...]`.

    Reads every node of the SavedModel's graph and of its function library:
    cuDNN-only ops (listed first) and any half-precision tensor type count.
    An empty list means the graph runs on a CPU server in float32.
    """
    cudnn, half = [], []
    saved_model = read_saved_model_proto(export_dir)
    for meta_graph in saved_model.meta_graphs:
        graph = meta_graph.graph_def
        nodes = list(graph.node)
        for function in graph.library.function:
            nodes.extend(function.node_def)
        for node in nodes:
            if node.op.startswith("CudnnRNN"):
                cudnn.append(f"{node.op} ({node.name})")
            for attribute in _half_attributes(node):
                half.append(f"{node.op} ({node.name}: {attribute} is half precision)")
    return cudnn + half


def describe_non_portable(found):
    """A one-line account of `non_portable_ops`' findings, for an error message."""
    cudnn = sorted({entry.split(" ")[0] for entry in found if entry.startswith("CudnnRNN")})
    half = [entry for entry in found if "half precision" in entry]
    parts = [f"cuDNN-only ops {', '.join(cudnn)}"] if cudnn else []
    if half:
        parts.append(f"{len(half)} half-precision tensors (first: {half[0]})")
    return "; ".join(parts)
