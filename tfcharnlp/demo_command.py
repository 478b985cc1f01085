"""`tfcharnlp demo`: the main job end to end, on a real data set.

read AG News -> train a character model with the in-graph preprocessor ->
export a SavedModel version -> serve it with `tfcharnlp serve` (a separate
process speaking the TensorFlow Serving gRPC API) -> query it through the
client library, and check that the served answers equal the in-process
model's. Every step prints what it did, so the demo doubles as a tour.

It sits next to `tfcharnlp.cli`, outside the library: it is the one
command that uses all three packages (the library, `serving`'s server and
client).
"""

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys

DEMO_TEXTS = (
    "Stocks fell sharply on Wall Street as oil prices climbed to a record high.",
    "The striker scored twice in the second half to win the championship final.",
    "Scientists unveiled a faster chip that could make laptops run for days.",
    "Rebels and government troops agreed to a ceasefire after talks in Geneva.",
)


def register(subparsers):
    parser = subparsers.add_parser(
        "demo",
        help="train, export, serve and query a model end to end on a real data set",
        description=__doc__,
    )
    parser.add_argument(
        "--data", default=None, help="data folder (default: TFCHARNLP_DATA or ../shared/data)"
    )
    parser.add_argument("--preset", default="ag_news", help="data set preset (default: ag_news)")
    parser.add_argument(
        "--workdir", default="demo_output", help="where models and the repository go"
    )
    parser.add_argument("--family", default="multi_width_cnn", help="model family to train")
    parser.add_argument("--max-length", type=int, default=256, help="characters per text")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--max-rows", type=int, default=None, help="read at most this many rows")
    parser.add_argument("--model-name", default="ag_news", help="served model name")
    parser.set_defaults(func=run)


def free_port():
    """A loopback port that is free now (the server binds it a moment later)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def step(number, title):
    print(f"\n=== {number}. {title}", flush=True)


def run(args):
    import numpy as np

    from tfcharnlp.data import load_dataset, preset, resolve_data_dir
    from tfcharnlp.export.export_model import export_trained
    from tfcharnlp.training import TrainConfig, train

    workdir = pathlib.Path(args.workdir).resolve()
    data_dir = resolve_data_dir(args.data)

    step(1, f"read the {args.preset} data set from {data_dir}")
    overrides = {"max_rows": args.max_rows} if args.max_rows else {}
    data_config = preset(args.preset, data_dir=data_dir, **overrides)
    loaded = load_dataset(data_config)
    print(loaded.report.summary())
    print(f"train: {loaded.train_size} texts, validation: {loaded.validation_size} texts")

    step(2, f"train a {args.family} classifier (preprocessing inside the model)")
    data_options = {"preset": args.preset, "data_dir": str(data_dir), **overrides}
    config = TrainConfig.from_dict(
        {
            "data": data_options,
            "family": args.family,
            "max_length": args.max_length,
            "epochs": args.epochs,
            "batch_size": 64,
            "patience": 2,
            "output_dir": str(workdir / "runs"),
            "model_name": args.model_name,
        }
    )
    # The tour's own folder: a second demo in the same --workdir trains it anew.
    result = train(config, overwrite=True)
    print(f"model folder: {result.model_dir}")
    print(f"exported SavedModel: {export_trained(result, base=workdir / 'models')}")

    step(3, "serve the model repository with `tfcharnlp serve` (TF Serving gRPC API)")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "tfcharnlp.cli",
        "serve",
        f"--port={port}",
        f"--model_name={args.model_name}",
        f"--model_base_path={workdir / 'models' / args.model_name}",
    ]
    print(" ".join(command[2:]))
    server = subprocess.Popen(command, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        step(4, f"query it through the client library at localhost:{port}")
        from serving.client import ServingClient

        texts = list(DEMO_TEXTS) + sample_texts(loaded, 60)
        with ServingClient(f"localhost:{port}", args.model_name, timeout=30) as client:
            status = client.wait_until_available(timeout=120)
            print(f"model status: {status}")
            served = client.classify(texts)
        for text, prediction in zip(DEMO_TEXTS, served, strict=False):
            print(f"  {prediction.label:>10s} ({prediction.probability:.2f})  {text}")

        step(5, "check: served answers equal the in-process model's")
        local = softmax(result.model.predict_texts(texts))
        remote = np.array([p.probabilities for p in served], dtype=np.float32)
        difference = float(np.max(np.abs(local - remote)))
        same_classes = bool(np.all(local.argmax(-1) == remote.argmax(-1)))
        print(
            f"{len(texts)} texts: max |p_served - p_local| = {difference:.2e}, same classes: {same_classes}"
        )
        if difference > 1e-4 or not same_classes:
            print("demo: served predictions differ from the in-process model", file=sys.stderr)
            return 1
        accuracy = result.metrics.get("accuracy")
        if accuracy is not None:
            print(f"held-out accuracy of the trained model: {accuracy:.4f}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"\ndemo finished: server exited with code {server.returncode}")
    return 0 if server.returncode == 0 else 1


def sample_texts(loaded, count):
    """The first `count` validation texts, as Python strings."""
    texts = []
    for text, _ in loaded.validation.take(count):
        texts.append(text.numpy().decode("utf-8"))
    return texts


def softmax(logits):
    import numpy as np

    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
