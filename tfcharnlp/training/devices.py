"""Device placement: distribution strategy, batch sizes across replicas, precision, XLA.

CPU is the tested path; the GPU choices are read from TensorFlow's device
lists only (`visible_gpus`, `replica_devices`, `gpu_compute_capability`),
so a test can choose them by patching one function while the strategy
itself stays real (tests mirror over logical CPU devices).
"""

import logging

import tensorflow as tf

logger = logging.getLogger(__name__)

# Tensor cores (the hardware that makes float16 fast) start with Volta, 7.0.
MIXED_PRECISION_MIN_CAPABILITY = (7, 0)


def visible_gpus():
    return tf.config.list_physical_devices("GPU")


def replica_devices():
    """The devices to mirror training over: every logical GPU when there are several."""
    gpus = tf.config.list_logical_devices("GPU")
    return [device.name for device in gpus] if len(gpus) > 1 else []


def distribution_strategy():
    """`MirroredStrategy` over `replica_devices()` when there are several, else the default."""
    devices = replica_devices()
    if len(devices) > 1:
        logger.info("%d replicas: training with MirroredStrategy over %s", len(devices), devices)
        return tf.distribute.MirroredStrategy(devices)
    logger.info("%s: training with the default strategy", "1 GPU" if visible_gpus() else "no GPU")
    return tf.distribute.get_strategy()


def global_batch_size(batch_size, strategy, per_replica=True):
    """The batch a dataset yields: `batch_size` per replica times the replicas, by default.

    As in TensorFlow's distributed-training guides, `batch_size` counts the
    examples one replica sees per step, so adding GPUs keeps each one as
    busy and the learning rate keeps its meaning per example; with
    `per_replica=False` `batch_size` is the global batch, split over them.
    """
    replicas = strategy.num_replicas_in_sync
    return batch_size * replicas if per_replica else batch_size


def drops_remainder(strategy):
    """Whether training batches must all be full: with several replicas, yes.

    A last batch smaller than the number of replicas leaves some replicas
    without examples, which TensorFlow's CPU convolutions cannot run (the
    process aborts); every training batch is then a full global batch.
    """
    return strategy.num_replicas_in_sync > 1


def gpu_compute_capability(gpu):
    """`(major, minor)` of a physical GPU, or None when TensorFlow does not say."""
    try:
        details = tf.config.experimental.get_device_details(gpu)
    except (ValueError, RuntimeError):
        return None
    capability = details.get("compute_capability")
    return tuple(capability) if capability else None


def precision_policy(requested="auto"):
    """The Keras dtype policy for `requested` ('auto', 'float32' or 'mixed_float16') and why.

    `mixed_float16` pays off only on GPUs with tensor cores (compute
    capability 7.0 and up); on older GPUs and on CPUs it is slower than
    float32. "auto" picks it only when every visible GPU has them; asked for
    explicitly it is used on any GPU, never without one.
    Returns `(policy_name, reason)`.
    """
    if requested == "float32":
        return "float32", "float32 requested"
    gpus = visible_gpus()
    if not gpus:
        if requested == "mixed_float16":
            return "float32", "mixed_float16 requested but no GPU is visible: using float32"
        return "float32", "no GPU visible: float32"
    if requested == "mixed_float16":
        return "mixed_float16", "mixed_float16 requested"
    capabilities = [gpu_compute_capability(gpu) for gpu in gpus]
    if any(c is None or c < MIXED_PRECISION_MIN_CAPABILITY for c in capabilities):
        shown = ", ".join("unknown" if c is None else f"{c[0]}.{c[1]}" for c in capabilities)
        return "float32", f"GPU compute capability {shown} < 7.0 (no tensor cores): float32"
    return (
        "mixed_float16",
        "GPUs with tensor cores: mixed_float16 (float16 compute, float32 variables)",
    )


def configure_precision(requested="auto"):
    """Sets the global Keras dtype policy (see `precision_policy`) and returns its name.

    Call it right before building a model: `keras.backend.clear_session()`
    (which KerasTuner runs before every trial) resets the global policy.
    """
    import keras

    policy, reason = precision_policy(requested)
    logger.info("precision: %s", reason)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def jit_compile_option(setting="off"):
    """Maps the config's 'auto' / 'on' / 'off' to `Model.compile(jit_compile=...)`."""
    return {"auto": "auto", "on": True, "off": False}[setting]
