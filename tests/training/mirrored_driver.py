"""Runs one `tfcharnlp` command with training mirrored over logical CPU devices.

Usage: python -m tests.training.mirrored_driver [OPTIONS] -- TFCHARNLP_ARGS...

  --replicas N           split the CPU into N logical devices (before TensorFlow
                         initialises, hence a process of its own) and mirror over them
  --tensor-cores         let precision "auto" pick mixed_float16, as on a GPU with
                         tensor cores
  --keep-remainder       keep the last partial training batch (the behaviour being fixed)

The strategy is a real `tf.distribute.MirroredStrategy`; only the device
list it is given (`devices.replica_devices`) and, with --tensor-cores, the
GPU model (`devices.precision_policy`) are chosen here. The driver prints
what the test checks:

  BATCH global=<examples per step> steps=<steps per epoch>   per data read
  BUILT policy=<global dtype policy> compute=<model compute dtype> replicas=<in sync>
                                                             per model built (trials too)
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--tensor-cores", action="store_true")
    parser.add_argument("--keep-remainder", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command

    import tensorflow as tf

    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * options.replicas
    )
    names = [device.name for device in tf.config.list_logical_devices("CPU")]

    import keras

    from tfcharnlp import cli
    from tfcharnlp.training import devices, model_setup, run_data

    devices.replica_devices = lambda: names
    if options.tensor_cores:
        devices.precision_policy = lambda requested="auto": (
            ("float32", "float32 requested")
            if requested == "float32"
            else ("mixed_float16", "tensor cores (simulated)")
        )
    if options.keep_remainder:
        devices.drops_remainder = lambda strategy: False

    build_model = model_setup.build_model

    def reporting_build_model(config, inputs):
        model = build_model(config, inputs)
        print(
            f"BUILT policy={keras.mixed_precision.global_policy().name} "
            f"compute={model.backbone.compute_dtype} "
            f"replicas={tf.distribute.get_strategy().num_replicas_in_sync}",
            flush=True,
        )
        return model

    model_setup.build_model = reporting_build_model
    for name in ("read_classifier_data", "read_language_model_data"):
        read = getattr(run_data, name)

        def reporting_read(config, strategy=None, read=read):
            data = read(config, strategy)
            print(
                f"BATCH global={data.global_batch_size} steps={data.inputs.steps_per_epoch}",
                flush=True,
            )
            return data

        setattr(run_data, name, reporting_read)
    return cli.main(command)


if __name__ == "__main__":
    sys.exit(main())
