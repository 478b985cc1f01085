"""Training speed of CharCNN-small against the same network written the common PyTorch way.

CharCNN-small (Zhang, Zhao & LeCun 2015) at max_length 1014, batch 128,
4 classes, vocabulary 71 (padding + the 70-character alphabet, so the
one-hot input has 70 channels), Adam and softmax cross-entropy on random
ids, in one process:

- "tfcharnlp": `TextClassifier(CharCNNBackbone(71, 1014, size="small"), 4)`
  with its default first layer `OneHotConv1D` (gathered kernel rows),
  `model.compile(Adam, SparseCategoricalCrossentropy(from_logits=True))`,
  timed with `train_on_batch` on int32 ids.
- "tfcharnlp + XLA": the same model compiled with `jit_compile=True`.
- "TF one-hot Conv1D" (ablation): the same Keras layers, but the first
  layer is a plain `Conv1D` over `one_hot(ids - 1, 70)` built in the graph;
  it starts from the tfcharnlp model's weights and must give the same
  logits, which the benchmark checks.
- "PyTorch one-hot": the popular char-CNN trainers' module
  (`nn.Conv1d(70, 256, 7)`, ReLU, `nn.MaxPool1d(3)`, ...,
  `nn.Linear(8704, 1024)`, ReLU, `nn.Dropout(0.5)`, ...) on a float32
  one-hot batch `[128, 70, 1014]` built once beforehand, as their data
  loaders hand it over (building it is not timed: the best case for
  PyTorch). `torch.optim.Adam`, `F.cross_entropy`.

The parameter counts are asserted equal. Each model is warmed up, then
the models take turns for `ROUNDS` rounds; in each round every model runs
as many steps as fill about `ROUND_SECONDS` (counted from its warm-up
step), since one-step rounds swing with the machine's load far more than
the ratio measured. The headline is the ratio of the median rates, with
the range of the rounds' own ratios as its spread. Both frameworks use all
usable cores (intra-op threads = the process's CPU affinity; TensorFlow's
inter-op pool too). The machine's dense
float32 FLOP/s is a step of 2048x2048 TensorFlow matmuls that takes its turn
in every round (so it sees the same load); numpy's and TensorFlow's best
matmul alone, before and after, are reported too. FLOPs per sample are
counted analytically. Then the first two convolutions are timed alone in
each implementation, and one PyTorch step is profiled by op, to show where
the time goes.
"""

import os
import statistics
import time

import numpy as np

from bench import measure

MAX_LENGTH = 1014
BATCH_SIZE = 128
VOCABULARY_SIZE = 71  # Padding + 70 characters: 70 one-hot channels.
NUM_CLASSES = 4
WARMUP = int(os.environ.get("BENCH_TRAINING_SPEED_WARMUP", 2))
ROUND_SECONDS = float(os.environ.get("BENCH_TRAINING_SPEED_ROUND_SECONDS", 4))
ROUNDS = int(os.environ.get("BENCH_TRAINING_SPEED_ROUNDS", 7))
LAYER_ROUND_SECONDS = 2
LAYER_ROUNDS = 5
TARGET_RATIO = 2.0
TFCHARNLP = "tfcharnlp (gathered one-hot, default)"
XLA = "tfcharnlp + XLA (jit_compile=True)"
ONE_HOT = "TF one-hot Conv1D (ablation)"
PYTORCH = "PyTorch one-hot nn.Conv1d"
MATMUL = "dense matmul (machine reference)"
LEARNING_RATE = 1e-3


def char_cnn_small_flops(max_length=MAX_LENGTH, channels=VOCABULARY_SIZE - 1, filters=256):
    """Multiply-adds of CharCNN-small per sample, layer by layer.

    Returns:
        list of (name, forward multiply-adds, output positions, in_features).
    """
    layers = []
    length, in_channels = max_length, channels
    for index, (kernel, pooled) in enumerate(
        [(7, True), (7, True), (3, False), (3, False), (3, False), (3, True)]
    ):
        length = length - kernel + 1
        layers.append((f"conv_{index + 1}", length * kernel * in_channels * filters))
        in_channels = filters
        if pooled:
            length //= 3
    features = length * filters
    layers.append(("dense_1", features * 1024))
    layers.append(("dense_2", 1024 * 1024))
    layers.append(("logits", 1024 * NUM_CLASSES))
    return layers


def training_flops(gathered_first_layer):
    """Training FLOPs per sample: forward, weight gradients, input gradients.

    Every layer costs 2 FLOPs per multiply-add forward and 2 for its weight
    gradient; all but the first also 2 for the gradient of their input (the
    first layer's input is data). With the gathered first layer, the first
    convolution performs no multiplications; its gathers and adds (one add
    per tap, filter and position, forward and for the kernel gradient) are
    counted instead.
    """
    layers = char_cnn_small_flops()
    total = 0
    for index, (_, macs) in enumerate(layers):
        if index == 0 and gathered_first_layer:
            positions = MAX_LENGTH - 7 + 1
            total += 2 * (7 * 256 * positions)
            continue
        total += 2 * macs * (2 if index == 0 else 3)
    return total


def build_tf_models(tf, keras):
    from tfcharnlp.models import CharCNNBackbone, TextClassifier

    def compiled(model, jit_compile=False):
        model.compile(
            optimizer=keras.optimizers.Adam(LEARNING_RATE),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit_compile,
        )
        return model

    keras.utils.set_random_seed(0)
    backbone = CharCNNBackbone(VOCABULARY_SIZE, MAX_LENGTH, size="small")
    gathered = TextClassifier(backbone, NUM_CLASSES)
    xla = TextClassifier(CharCNNBackbone(VOCABULARY_SIZE, MAX_LENGTH, size="small"), NUM_CLASSES)
    xla.set_weights(gathered.get_weights())  # Same architecture and layer order.
    one_hot = one_hot_conv_model(keras, gathered)
    return compiled(gathered), compiled(xla, jit_compile=True), compiled(one_hot)


def one_hot_conv_model(keras, reference):
    """CharCNN-small with a plain `Conv1D` over a one-hot input, same weights as `reference`."""
    from keras import ops

    def init():
        return keras.initializers.RandomNormal(stddev=0.05)

    ids = keras.Input(shape=(MAX_LENGTH,), dtype="int32", name="token_ids")
    # Id 0 (padding) -> index -1 -> the all-zero vector, as in the gathered layer.
    x = ops.one_hot(ids - 1, VOCABULARY_SIZE - 1)
    pairs = []
    for index, kernel in enumerate((7, 7, 3, 3, 3, 3)):
        conv = keras.layers.Conv1D(256, kernel, activation="relu", kernel_initializer=init())
        x = conv(x)
        pairs.append((conv, reference.backbone.conv_layers[index]))
        if index in (0, 1, 5):
            x = keras.layers.MaxPooling1D(3)(x)
    x = keras.layers.Flatten()(x)
    for index in range(2):
        dense = keras.layers.Dense(1024, activation="relu", kernel_initializer=init())
        x = keras.layers.Dropout(0.5)(dense(x))
        pairs.append((dense, reference.backbone.dense_layers[index]))
    output = keras.layers.Dense(NUM_CLASSES, dtype="float32")
    logits = output(x)
    pairs.append((output, reference.output_dense))
    model = keras.Model(ids, logits, name="one_hot_conv1d_char_cnn")
    for layer, source in pairs:
        layer.set_weights(source.get_weights())
    return model


def build_torch_model(torch):
    """CharCNN-small as the popular PyTorch char-CNN trainers write it."""
    nn = torch.nn
    channels = VOCABULARY_SIZE - 1

    class CharacterLevelCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Sequential(nn.Conv1d(channels, 256, 7), nn.ReLU(), nn.MaxPool1d(3))
            self.conv2 = nn.Sequential(nn.Conv1d(256, 256, 7), nn.ReLU(), nn.MaxPool1d(3))
            self.conv3 = nn.Sequential(nn.Conv1d(256, 256, 3), nn.ReLU())
            self.conv4 = nn.Sequential(nn.Conv1d(256, 256, 3), nn.ReLU())
            self.conv5 = nn.Sequential(nn.Conv1d(256, 256, 3), nn.ReLU())
            self.conv6 = nn.Sequential(nn.Conv1d(256, 256, 3), nn.ReLU(), nn.MaxPool1d(3))
            self.fc1 = nn.Sequential(nn.Linear(34 * 256, 1024), nn.ReLU(), nn.Dropout(0.5))
            self.fc2 = nn.Sequential(nn.Linear(1024, 1024), nn.ReLU(), nn.Dropout(0.5))
            self.fc3 = nn.Linear(1024, NUM_CLASSES)
            for module in self.modules():
                if isinstance(module, (nn.Conv1d, nn.Linear)):
                    module.weight.data.normal_(0, 0.05)

        def forward(self, x):
            x = self.conv6(self.conv5(self.conv4(self.conv3(self.conv2(self.conv1(x))))))
            x = x.view(x.size(0), -1)
            return self.fc3(self.fc2(self.fc1(x)))

    torch.manual_seed(0)
    return CharacterLevelCNN()


def torch_one_hot(torch, ids):
    """Float32 one-hot `[batch, 70, length]`, padding (id 0) all zeros."""
    one_hot = torch.nn.functional.one_hot(torch.as_tensor(ids, dtype=torch.int64), VOCABULARY_SIZE)
    return one_hot[:, :, 1:].permute(0, 2, 1).contiguous().float()


def layer_steps(tf, torch, gathered, one_hot, torch_model, ids, torch_inputs):
    """Forward + backward of the first and second convolutions alone, per framework.

    The upstream gradient is a fixed random tensor; the first layer needs
    only its weight gradients (its input is data), the second also the
    gradient of its input, as inside the model.
    """
    rng = np.random.default_rng(1)
    first_tf = gathered.backbone.conv_layers[0]
    first_one_hot = next(layer for layer in one_hot.layers if "conv" in layer.name)
    second_tf = gathered.backbone.conv_layers[1]
    upstream_1 = rng.standard_normal((BATCH_SIZE, MAX_LENGTH - 6, 256), dtype=np.float32)
    upstream_2 = rng.standard_normal((BATCH_SIZE, 330, 256), dtype=np.float32)
    tf_ids = tf.constant(ids)
    tf_up_1, tf_up_2 = tf.constant(upstream_1), tf.constant(upstream_2)
    tf_x2 = tf.constant(rng.standard_normal((BATCH_SIZE, 336, 256), dtype=np.float32))

    def first_gradient(layer, encode):
        def step():
            with tf.GradientTape() as tape:
                outputs = layer(encode(tf_ids))
            return tape.gradient(outputs, layer.trainable_variables, output_gradients=tf_up_1)

        return step

    gathered_first = tf.function(first_gradient(first_tf, lambda x: x))
    xla_first = tf.function(first_gradient(first_tf, lambda x: x), jit_compile=True)
    one_hot_first = tf.function(
        first_gradient(first_one_hot, lambda x: tf.one_hot(x - 1, VOCABULARY_SIZE - 1))
    )

    @tf.function
    def tf_second():
        with tf.GradientTape() as tape:
            tape.watch(tf_x2)
            outputs = second_tf(tf_x2)
        return tape.gradient(
            outputs, [tf_x2, *second_tf.trainable_variables], output_gradients=tf_up_2
        )

    torch_first, torch_second = torch_model.conv1[0], torch_model.conv2[0]
    torch_up_1 = torch.as_tensor(upstream_1).permute(0, 2, 1).contiguous()
    torch_up_2 = torch.as_tensor(upstream_2).permute(0, 2, 1).contiguous()
    torch_x2 = torch.as_tensor(tf_x2.numpy()).permute(0, 2, 1).contiguous().requires_grad_()

    def torch_layer(layer, inputs, upstream):
        def step():
            layer.zero_grad()
            torch.nn.functional.relu(layer(inputs)).backward(upstream)

        return step

    def run_tf(function):
        return lambda: [value.numpy() for value in function()]

    return {
        "conv_1, tfcharnlp gathered": run_tf(gathered_first),
        "conv_1, tfcharnlp gathered + XLA": run_tf(xla_first),
        "conv_1, TF Conv1D over tf.one_hot": run_tf(one_hot_first),
        "conv_1, PyTorch nn.Conv1d over one-hot": torch_layer(
            torch_first, torch_inputs, torch_up_1
        ),
        "conv_2, TF Conv1D": run_tf(tf_second),
        "conv_2, PyTorch nn.Conv1d": torch_layer(torch_second, torch_x2, torch_up_2),
    }


def torch_profile(torch, step, rows=6):
    """The ops of one PyTorch training step that take the most time."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        step()
    events = sorted(profiler.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return [(e.key, e.self_cpu_time_total / total) for e in events[:rows]]


def run():
    threads = measure.cpu_threads()
    measure.set_tensorflow_threads(threads)
    import keras
    import tensorflow as tf
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)

    rng = np.random.default_rng(0)
    ids = rng.integers(1, VOCABULARY_SIZE, size=(BATCH_SIZE, MAX_LENGTH), dtype=np.int32)
    labels = rng.integers(0, NUM_CLASSES, size=(BATCH_SIZE,), dtype=np.int32)

    gathered, xla, one_hot = build_tf_models(tf, keras)
    torch_model = build_torch_model(torch)

    # Same architecture, same parameters: the one-hot channels are the 70
    # characters on both sides (padding is the zero vector).
    tf_params = gathered.count_params()
    torch_params = sum(p.numel() for p in torch_model.parameters())
    assert tf_params == torch_params == one_hot.count_params(), (tf_params, torch_params)

    # The ablation model computes the same function as tfcharnlp's.
    check = ids[:16].copy()
    check[:, -100:] = 0  # Some padding too.
    difference = float(
        np.max(np.abs(gathered(check, training=False) - one_hot(check, training=False)))
    )
    assert difference < 1e-4, difference

    tf_ids, tf_labels = tf.constant(ids), tf.constant(labels)
    torch_inputs = torch_one_hot(torch, ids)
    torch_labels = torch.as_tensor(labels, dtype=torch.int64)
    optimizer = torch.optim.Adam(torch_model.parameters(), lr=LEARNING_RATE)
    torch_model.train()

    def torch_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch_model(torch_inputs), torch_labels)
        loss.backward()
        optimizer.step()

    steps = {
        TFCHARNLP: lambda: gathered.train_on_batch(tf_ids, tf_labels),
        XLA: lambda: xla.train_on_batch(tf_ids, tf_labels),
        ONE_HOT: lambda: one_hot.train_on_batch(tf_ids, tf_labels),
        PYTORCH: torch_step,
    }
    # The machine's FLOP/s is timed inside the same rounds, so each model's
    # fraction compares with the matmul rate under the same load.
    matmul, matmul_flops_per_step = measure.matmul_step()
    steps[MATMUL] = matmul
    flops_before = measure.matmul_flops()
    start = time.perf_counter()
    rates, steps_per_round = measure.timed_rounds(steps, WARMUP, ROUND_SECONDS, ROUNDS)
    elapsed = time.perf_counter() - start
    layers_start = time.perf_counter()
    layer_rates, _ = measure.timed_rounds(
        layer_steps(tf, torch, gathered, one_hot, torch_model, ids, torch_inputs),
        WARMUP,
        LAYER_ROUND_SECONDS,
        LAYER_ROUNDS,
    )
    layers_elapsed = time.perf_counter() - layers_start
    top_ops = torch_profile(torch, torch_step)
    flops_after = measure.matmul_flops()
    matmul_rates = rates.pop(MATMUL)[1]
    machine_flops = statistics.median(matmul_rates) * matmul_flops_per_step

    executed = {
        TFCHARNLP: training_flops(True),
        XLA: training_flops(True),
        ONE_HOT: training_flops(False),
        PYTORCH: training_flops(False),
    }
    samples = {name: rate * BATCH_SIZE for name, (rate, _) in rates.items()}
    # Headline: the ratio of the median rates; spread: the rounds' own ratios.
    ratios = {name: measure.ratio_of_medians(rates[name][1], rates[PYTORCH][1]) for name in rates}
    spreads = {name: measure.paired_ratios(rates, name, PYTORCH) for name in rates}
    ratio = ratios[TFCHARNLP]
    gather_gain = measure.ratio_of_medians(rates[TFCHARNLP][1], rates[ONE_HOT][1])
    gather_spread = measure.paired_ratios(rates, TFCHARNLP, ONE_HOT)

    dense_flops = training_flops(False)
    layers = char_cnn_small_flops()
    first_share = 2 * 2 * layers[0][1] / dense_flops

    lines = [
        "## Training speed (CharCNN-small, max_length 1014, batch 128)",
        "",
        f"Random ids, vocabulary {VOCABULARY_SIZE} (70 one-hot channels), {NUM_CLASSES} classes, "
        f"Adam. Parameters: tfcharnlp {tf_params:,}, PyTorch {torch_params:,} (asserted equal). "
        f"Threads: TensorFlow intra-op = inter-op = {threads}, `torch.set_num_threads({threads})` "
        f"({threads} = the usable cores). {WARMUP} warm-up steps each, then {ROUNDS} rounds "
        f"taking turns (the starting model rotates), each model running as many steps per round "
        f"as fill about {ROUND_SECONDS:g} s at its warm-up speed (steps per round: "
        + ", ".join(f"{name.split(' (')[0]} {count}" for name, count in steps_per_round.items())
        + "). samples/s is the median round (each round's in brackets); the ratio to PyTorch is "
        "the ratio of the median rates, with the range of the rounds' own ratios (same round, "
        "side by side) in brackets. "
        f"torch {torch.__version__}, TensorFlow {tf.__version__}, Keras {keras.__version__}. "
        f"The TF one-hot Conv1D model starts from the tfcharnlp model's weights: max |logit "
        f"difference| {difference:.1e}.",
        "",
        "| model | samples/s | vs PyTorch (rounds' range) | training GFLOP/sample (executed) | "
        "achieved GFLOP/s | of matmul FLOP/s (same round) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (_, per_round) in rates.items():
        rounds = ", ".join(f"{rate * BATCH_SIZE:.1f}" for rate in per_round)
        achieved = samples[name] * executed[name]
        fraction = statistics.median(
            rate * BATCH_SIZE * executed[name] / (matmul_rate * matmul_flops_per_step)
            for rate, matmul_rate in zip(per_round, matmul_rates, strict=True)
        )
        lines.append(
            f"| {name} | {samples[name]:.1f} ({rounds}) | {ratios[name]:.2f}x "
            f"({min(spreads[name]):.2f}-{max(spreads[name]):.2f}) | "
            f"{executed[name] / 1e9:.3f} | {achieved / 1e9:.1f} | {fraction:.0%} |"
        )
    verdict = "met" if ratio >= TARGET_RATIO else "**missed**"
    lines += [
        "",
        f"**tfcharnlp / PyTorch: {ratio:.2f}x** as a ratio of the median rates (rounds' own "
        f"ratios {min(spreads[TFCHARNLP]):.2f}-{max(spreads[TFCHARNLP]):.2f}, median "
        f"{statistics.median(spreads[TFCHARNLP]):.2f}x); target >= {TARGET_RATIO:g}x: {verdict}. "
        f"With XLA: {ratios[XLA]:.2f}x. The gathered first layer against the same TF model with "
        f"a one-hot Conv1D: {gather_gain:.2f}x (rounds {min(gather_spread):.2f}-"
        f"{max(gather_spread):.2f}).",
        "",
        f"Machine dense float32 matmul ({measure.MATMUL_SIZE}x{measure.MATMUL_SIZE}): timed as "
        f"a fifth contestant in every round (8 TensorFlow products per turn): median "
        f"{machine_flops / 1e9:.1f} GFLOP/s (rounds: "
        + ", ".join(f"{rate * matmul_flops_per_step / 1e9:.0f}" for rate in matmul_rates)
        + f"); the fraction column divides each round's achieved rate by that round's matmul "
        f"rate. Alone, best of 5, before and after the models: numpy "
        f"{flops_before['numpy'] / 1e9:.1f} / {flops_after['numpy'] / 1e9:.1f} GFLOP/s, "
        f"TensorFlow {flops_before['tensorflow'] / 1e9:.1f} / "
        f"{flops_after['tensorflow'] / 1e9:.1f} GFLOP/s. Timed section: {elapsed:.0f} s.",
        "",
        f"FLOPs per sample (2 per multiply-add): forward {2 * sum(m for _, m in layers) / 1e9:.3f} "
        f"GFLOP; training with a one-hot first convolution {dense_flops / 1e9:.3f} GFLOP "
        f"(forward + weight gradients + input gradients except the first layer's), of which the "
        f"first convolution is {first_share:.0%}; with the gathered first layer "
        f"{training_flops(True) / 1e9:.3f} GFLOP, so the arithmetic alone bounds the gain at "
        f"{dense_flops / training_flops(True):.2f}x when the other layers run as fast as "
        "PyTorch's.",
        "",
        f"Where the time goes: one layer's forward + backward (ReLU included; the first layer's "
        f"weight gradients only, the second's also its input gradient), batch 128, same "
        f"upstream gradient, {LAYER_ROUNDS} alternating rounds, median ({layers_elapsed:.0f} s):",
        "",
        "| layer, implementation | ms | GFLOP/s (multiply-adds x 2, forward + backward) |",
        "| --- | ---: | ---: |",
    ]
    for name, (rate, _) in layer_rates.items():
        macs = layers[0][1] * 2 if name.startswith("conv_1") else layers[1][1] * 3
        effective = "" if "gathered" in name else f"{2 * macs * BATCH_SIZE * rate / 1e9:.1f}"
        lines.append(f"| {name} | {1000 / rate:.0f} | {effective or 'n/a (no multiplies)'} |")
    lines += [
        "",
        "PyTorch training step, share of self CPU time by op (torch.profiler, one step): "
        + ", ".join(f"`{op}` {share:.0%}" for op, share in top_ops)
        + ".",
    ]
    return "\n".join(lines)
