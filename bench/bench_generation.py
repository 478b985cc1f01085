"""Generation speed: the exported in-graph sampling loop against Python loops over a step.

One char-GRU (1 layer x 256 units, embedding 64, the Tiny Shakespeare
alphabet) with random, untrained weights: speed does not depend on the
weights, so no training is needed, and the text it writes is noise. The
model is exported twice with `GeneratorExporter`: as by default (runs on
any TensorFlow Serving) and with `jit_compile=True` (the loop's chunks
XLA-compiled; TF Serving needs `--xla_cpu_compilation_enabled=true`). Their
`serving_default` signature writes `LENGTH` characters after one prompt in
one call (the whole loop in the graph). The baselines, in the same process
on the same model and weights, call the model once per character from
Python, as tutorials do:

- "tf.function step loop" (the reference): the TensorFlow text-generation
  tutorial's `OneStep` way: one `tf.function` per character taking the
  last id and the recurrent state, returning the sampled id
  (`tf.random.categorical`) and the new state; the state is carried in
  Python between calls;
- "eager step loop": the same step without `tf.function` (batch 1 only);
- "growing input": `model(ids)` on the whole text so far, truncated to the
  last 100 characters (the tutorials' sequence length), keeping only the
  last position's logits (the Keras char-RNN example). It costs minutes, so
  it runs once, on `GROWING_LENGTH` characters.

Every method is warmed up (tracing, XLA compilation: the first call's time
is reported), then the methods take turns for `ROUNDS` rounds. Reported:
the median time and its spread (fastest-slowest round); speed-ups are
ratios of medians, with the range of the rounds' own ratios.
"""

import os
import statistics
import sys
import tempfile
import time

from bench import measure

LENGTH = 500
GROWING_LENGTH = 150
PROMPT = "ROMEO:\n"
ROUNDS = int(os.environ.get("BENCH_GENERATION_ROUNDS", 7))
BATCH_SIZES = (1, 8)
WINDOW = 100
TARGET = 10.0
DEFAULT = "SavedModel `serving_default` (in-graph loop, default export)"
XLA = "SavedModel `serving_default` (in-graph loop, `jit_compile=True` export)"
STEP_FUNCTION = "Python loop over a `tf.function` step (tutorial's OneStep; reference)"
EAGER = "Python loop over an eager step"
GROWING = f"Python loop, growing input (last {WINDOW} characters, eager)"


def _build_model():
    import keras

    from tfcharnlp.models import CharGRUBackbone, CharGRUCausalLM
    from tfcharnlp.preprocessing import CharTokenizer, TextPreprocessor

    keras.utils.set_random_seed(0)
    alphabet = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    tokenizer = CharTokenizer(alphabet=alphabet, max_length=None)
    backbone = CharGRUBackbone(
        vocabulary_size=tokenizer.vocabulary_size, embedding_dim=64, hidden_units=256, num_layers=1
    )
    return CharGRUCausalLM(backbone, preprocessor=TextPreprocessor(tokenizer=tokenizer))


def _prompt_ids(model, batch):
    """The prompt's ids [batch, length] (the LM tokenizer keeps every character: ragged)."""
    ids = model.preprocess([PROMPT] * batch)
    return ids.to_tensor() if hasattr(ids, "to_tensor") else ids


def _mask_reserved(logits):
    """Padding and unknown are never sampled, as in the in-graph loop."""
    import tensorflow as tf

    return tf.concat([tf.fill([tf.shape(logits)[0], 2], -1e9), logits[:, 2:]], axis=1)


def _in_graph(signature, batch):
    """Calls of a signature as the server makes them (`serving.server.signature.Signature`)."""
    import numpy as np

    def generate(seed, length=LENGTH):
        # One value per prompt for each sampling control.
        outputs = signature(
            {
                "prompt": np.array([PROMPT.encode("utf-8")] * batch, dtype=object),
                "length": np.full([batch], length, np.int32),
                "temperature": np.ones([batch], np.float32),
                "top_k": np.zeros([batch], np.int32),
                "seed": seed + np.arange(batch, dtype=np.int64),
            }
        )
        return [text.decode("utf-8") for text in outputs["text"][0]]

    return generate


def _step_loop(model, batch, compiled):
    import tensorflow as tf

    def step(ids, states):
        logits, states = model.next_token_logits(ids, states)
        return tf.random.categorical(_mask_reserved(logits), 1, dtype=tf.int32), states

    if compiled:
        step = tf.function(step)

    def generate(seed, length=LENGTH):
        tf.random.set_seed(seed)
        next_id, states = step(_prompt_ids(model, batch), model.initial_states(batch))
        out = [next_id]
        for _ in range(length - 1):
            next_id, states = step(next_id, states)
            out.append(next_id)
        return [PROMPT + text for text in model.detokenize(tf.concat(out, axis=1))]

    return generate


def _growing_loop(model):
    import numpy as np
    import tensorflow as tf

    def generate(seed, length=GROWING_LENGTH):
        tf.random.set_seed(seed)
        ids = list(_prompt_ids(model, 1).numpy()[0])
        start = len(ids)
        for _ in range(length):
            logits = model(np.array([ids[-WINDOW:]], dtype=np.int32), training=False)
            next_id = tf.random.categorical(_mask_reserved(logits[:, -1, :]), 1, dtype=tf.int32)
            ids.append(int(next_id[0, 0]))
        return [PROMPT + model.detokenize(tf.constant([ids[start:]]))[0]]

    return generate


def _time(generate, seed, length=LENGTH):
    started = time.perf_counter()
    texts = generate(seed)
    seconds = time.perf_counter() - started
    assert all(len(text) == len(PROMPT) + length for text in texts), [len(t) for t in texts]
    return seconds


def _measure_batch(methods, batch):
    """First-call and per-round seconds of each method, the methods taking turns."""
    first = {name: _time(generate, 0) for name, generate in methods.items()}
    times = {name: [] for name in methods}
    for round_index in range(ROUNDS):
        names = list(methods)
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(_time(methods[name], round_index + 1))
        print(
            f"batch {batch} round {round_index}: "
            + ", ".join(f"{name[:30]} {values[-1]:.3f} s" for name, values in times.items()),
            file=sys.stderr,
            flush=True,
        )
    return first, times


def _table(batch, first, times):
    reference = times[STEP_FUNCTION]
    lines = [
        f"**Batch {batch}** ({batch} prompt{'s' if batch > 1 else ''} per call, "
        f"{LENGTH} characters each):",
        "",
        "| method | first call s | seconds per call: median (fastest-slowest) | characters/s "
        "| reference / method: ratio of medians (range of the rounds' ratios) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, values in times.items():
        ratios = [r / v for r, v in zip(reference, values, strict=True)]
        rate = batch * LENGTH / statistics.median(values)
        lines.append(
            f"| {name} | {first[name]:.2f} | {measure.spread(values)} | {rate:,.0f} | "
            f"{measure.ratio_of_medians(reference, values):.1f}x "
            f"({min(ratios):.1f}-{max(ratios):.1f}) |"
        )
    return lines


def _verdict(times, name):
    ratio = measure.ratio_of_medians(times[STEP_FUNCTION], times[name])
    return ratio, ("met" if ratio >= TARGET else "**missed**")


def run():
    from serving.server.servable import Servable
    from tfcharnlp.export import GeneratorExporter

    measure.set_tensorflow_threads(measure.cpu_threads())
    model = _build_model()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        signatures = {}
        for name, jit_compile in ((DEFAULT, False), (XLA, True)):
            path = os.path.join(folder, "xla" if jit_compile else "default")
            GeneratorExporter(model, jit_compile=jit_compile).write(path)
            # Loaded and run as `tfcharnlp serve` (and TF Serving) run it: a Session.
            signatures[name] = Servable("bench", 1, path).load().signature("serving_default")
        for batch in BATCH_SIZES:
            methods = {name: _in_graph(signature, batch) for name, signature in signatures.items()}
            methods[STEP_FUNCTION] = _step_loop(model, batch, compiled=True)
            if batch == 1:  # Seconds per call: once is enough to show it.
                methods[EAGER] = _step_loop(model, batch, compiled=False)
            results[batch] = _measure_batch(methods, batch)
            # The same text for the same seed from both exports (XLA included).
            texts = {name: methods[name](7) for name in (DEFAULT, XLA)}
            assert texts[DEFAULT] == texts[XLA], "the XLA export wrote other text"
        growing = _growing_loop(model)
        growing(0, length=5)
        growing_seconds = _time(growing, 1, GROWING_LENGTH)

    default_ratio, default_verdict = _verdict(results[1][1], DEFAULT)
    xla_ratio, xla_verdict = _verdict(results[1][1], XLA)
    growing_rate = GROWING_LENGTH / growing_seconds
    lines = [
        "## Generation speed (char GRU, in-graph loop vs Python step loops)",
        "",
        f"{LENGTH} characters after the prompt {PROMPT!r}, temperature 1, one char-GRU "
        "(1 layer x 256 units, embedding 64, 67-character vocabulary) with **random untrained "
        "weights** (speed does not depend on them; the text is noise). Same process, same model "
        f"and weights; each method warmed up once (its first call below), then {ROUNDS} rounds "
        "taking turns. The reference is the TensorFlow text-generation tutorial's way: one "
        "`tf.function` call per character, the state carried in Python. The default export runs "
        "on any TensorFlow Serving; the `jit_compile=True` export XLA-compiles the loop's chunks "
        "of 32 steps (compiled per batch size rounded up to a power of two: the first call) and "
        "needs TF Serving's `--xla_cpu_compilation_enabled=true`. Both exports wrote the same "
        "text for the same seeds (asserted).",
        "",
    ]
    for batch, (first, times) in results.items():
        lines += [*_table(batch, first, times), ""]
    lines += [
        f"{GROWING}: {growing_seconds:.1f} s for {GROWING_LENGTH} characters "
        f"({growing_rate:.1f} characters/s; one run).",
        "",
        f"**Target: in-graph >= {TARGET:g}x the tf.function step loop at batch 1.** Default "
        f"export: **{default_ratio:.1f}x** ({default_verdict}); `jit_compile=True` export: "
        f"**{xla_ratio:.1f}x** ({xla_verdict}).",
    ]
    return "\n".join(lines)
