"""Device choices on this CPU machine; the multi-replica path runs in test_mirrored.py."""

import keras
import pytest
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.training import devices


@pytest.fixture
def restore_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


def fake_gpus(monkeypatch, capabilities):
    """Pretends GPUs with these compute capabilities (None: unknown) are visible."""
    gpus = [
        tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU")
        for i in range(len(capabilities))
    ]
    by_name = {gpu.name: capability for gpu, capability in zip(gpus, capabilities, strict=True)}
    monkeypatch.setattr(devices, "visible_gpus", lambda: gpus)
    monkeypatch.setattr(devices, "gpu_compute_capability", lambda gpu: by_name[gpu.name])


class TestDevices(TestCase):
    def test_cpu_path(self, restore_policy):
        assert devices.visible_gpus() == []  # conftest hides GPUs
        assert devices.replica_devices() == []
        strategy = devices.distribution_strategy()
        assert not isinstance(strategy, tf.distribute.MirroredStrategy)
        assert strategy.num_replicas_in_sync == 1
        assert devices.global_batch_size(32, strategy) == 32
        assert devices.drops_remainder(strategy) is False
        policy, reason = devices.precision_policy("mixed_float16")
        assert policy == "float32"
        assert "no GPU" in reason
        assert devices.configure_precision("auto") == "float32"
        assert keras.mixed_precision.global_policy().name == "float32"

    def test_mixed_precision_only_with_tensor_cores(self, monkeypatch):
        fake_gpus(monkeypatch, [(7, 0), (8, 6)])
        assert devices.precision_policy("auto")[0] == "mixed_float16"
        assert devices.precision_policy("float32")[0] == "float32"
        fake_gpus(monkeypatch, [(6, 1)])  # Pascal: float16 is no faster
        policy, reason = devices.precision_policy("auto")
        assert policy == "float32"
        assert "6.1 < 7.0" in reason
        fake_gpus(monkeypatch, [(7, 5), None])  # one GPU TensorFlow says nothing about
        assert devices.precision_policy("auto")[0] == "float32"
        # Asked for explicitly, mixed precision is used on any GPU.
        fake_gpus(monkeypatch, [(6, 1)])
        assert devices.precision_policy("mixed_float16")[0] == "mixed_float16"

    def test_mixed_precision_policy_applied_on_gpu(self, monkeypatch, restore_policy):
        fake_gpus(monkeypatch, [(8, 0)])
        assert devices.configure_precision("auto") == "mixed_float16"
        assert keras.mixed_precision.global_policy().compute_dtype == "float16"
        assert keras.mixed_precision.global_policy().variable_dtype == "float32"

    def test_compute_capability_is_read_from_the_device_details(self, monkeypatch):
        gpu = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
        monkeypatch.setattr(
            tf.config.experimental,
            "get_device_details",
            lambda device: {"device_name": "Tesla T4", "compute_capability": (7, 5)},
        )
        assert devices.gpu_compute_capability(gpu) == (7, 5)
        monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda device: {})
        assert devices.gpu_compute_capability(gpu) is None

    def test_per_replica_batch_can_be_the_global_batch(self):
        strategy = tf.distribute.get_strategy()
        assert devices.global_batch_size(48, strategy, per_replica=False) == 48

    def test_jit_compile_option(self):
        assert devices.jit_compile_option("on") is True
        assert devices.jit_compile_option("off") is False
        assert devices.jit_compile_option("auto") == "auto"
