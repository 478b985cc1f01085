"""Word pipeline throughput: WordTokenizer against str.split + dict and Keras TextVectorization.

The first `NUM_TEXTS` IMDB training reviews become int32 word ids
`[128, MAX_LENGTH]` (0 padding, 1 out-of-vocabulary), lower-cased, split at
whitespace, with one vocabulary: `WordTokenizer(max_tokens=20000)` adapted
on the texts (not timed), handed to both baselines:

- "tfcharnlp pipeline": `make_pipeline(texts, WordTokenizer(...), 128)`.
- "Keras TextVectorization": `keras.layers.TextVectorization(vocabulary=...,
  standardize=Unicode lower, split="whitespace", output_sequence_length=...)`
  in the same `make_pipeline` (a batched, parallel `tf.data` map, as Keras
  recommends for preprocessing layers); its int64 ids are cast to int32
  in the map.
- "str.split + dict": `bench.python_encoders.WordDictEncoder`
  (`text.lower().split()`, `dict.get(word, 1)`) in this process and in as
  many spawned worker processes as there are usable cores.

The baselines' ids are compared with WordTokenizer's on every text; the
share of identical rows is reported (whitespace is not quite the same
thing everywhere: tensorflow-text splits at Unicode whitespace,
`tf.strings.split` at ASCII whitespace). The methods take turns for
`REPEATS` rounds; medians count.
"""

import os
import statistics

import numpy as np

from bench import measure, python_encoders
from bench.bench_pipeline import data_dir, read_texts, time_pipeline

NUM_TEXTS = 10000
MAX_LENGTH = 256
MAX_TOKENS = 20000
BATCH_SIZE = 128
REPEATS = int(os.environ.get("BENCH_WORD_PIPELINE_REPEATS", 5))
TARGET_RATIO = 2.0
OURS = "tfcharnlp pipeline (WordTokenizer)"
KERAS = "Keras TextVectorization in the same tf.data pipeline"
SPLIT = "str.split + dict, 1 process"


def run():
    threads = measure.usable_cores()
    measure.set_tensorflow_threads(threads)
    import keras
    import tensorflow as tf

    from tfcharnlp.preprocessing import WordTokenizer, make_pipeline

    texts = read_texts(data_dir() / "imdb" / "train.csv", NUM_TEXTS)
    dataset = tf.data.Dataset.from_tensor_slices(texts)
    tokenizer = WordTokenizer(max_tokens=MAX_TOKENS, max_length=MAX_LENGTH, split="whitespace")
    tokenizer.adapt(texts)
    vocabulary = tokenizer.vocabulary
    vectorizer = keras.layers.TextVectorization(
        standardize=lambda text: tf.strings.lower(text, encoding="utf-8"),
        split="whitespace",
        output_mode="int",
        output_sequence_length=MAX_LENGTH,
        vocabulary=vocabulary[2:],  # It adds its own mask (0) and OOV (1) in front.
    )
    assert vectorizer.get_vocabulary()[2:] == vocabulary[2:]
    split_dict = python_encoders.WordDictEncoder(vocabulary, MAX_LENGTH, lowercase=True)

    def vectorize(text):
        return tf.cast(vectorizer(text), tf.int32)

    ids = tokenizer(texts).numpy()
    same_rows = {
        KERAS: float((vectorize(texts).numpy() == ids).all(axis=1).mean()),
        SPLIT: float((split_dict.ids(texts) == ids).all(axis=1).mean()),
    }
    for name, share in same_rows.items():
        # A few rows may split differently; many would mean a broken comparison.
        assert share >= 0.99, (name, share)

    workers = f"str.split + dict, {threads} processes"
    methods = {
        OURS: lambda: time_pipeline(make_pipeline(dataset, tokenizer, BATCH_SIZE)),
        KERAS: lambda: time_pipeline(make_pipeline(dataset, vectorize, BATCH_SIZE)),
        SPLIT: lambda: python_encoders.rate(split_dict.ids, texts, BATCH_SIZE),
        workers: lambda: python_encoders.run_in_processes(
            split_dict, "ids", texts, BATCH_SIZE, threads
        ),
    }
    rates = {name: [] for name in methods}
    for repeat in range(REPEATS):
        names = list(methods)
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            rates[name].append(methods[name]())
    medians = {name: statistics.median(values) for name, values in rates.items()}
    keras_ratio = medians[OURS] / medians[KERAS]
    split_ratio = medians[OURS] / threads / max(medians[SPLIT], medians[workers] / threads)
    words = [len(text.split()) for text in texts]

    lines = [
        "## Word pipeline throughput (IMDB, max_length 256, batch 128)",
        "",
        f"{len(texts):,} IMDB training reviews (mean {np.mean(words):.0f} words; "
        f"{np.mean(np.array(words) > MAX_LENGTH):.0%} longer than {MAX_LENGTH}), lower-cased, "
        f"split at whitespace, one vocabulary of {len(vocabulary):,} ids (WordTokenizer adapted "
        f"on the texts, max_tokens {MAX_TOKENS:,}) given to every method. tf.data runs on "
        f"{threads} threads (the usable cores); `str.split` in 1 process and in {threads} "
        "spawned worker processes (texts handed over before timing, every batch received). "
        f"Median of {REPEATS} rounds taking turns; the first batch of each tf.data pass is a "
        "warm-up. Rows identical to WordTokenizer's, on all texts: "
        + ", ".join(f"{name} {share:.2%}" for name, share in same_rows.items())
        + ".",
        "",
        "| method | texts/s: median (slowest-fastest) | WordTokenizer / method |",
        "| --- | ---: | ---: |",
    ]
    for name, values in rates.items():
        lines.append(
            f"| {name} | {medians[name]:,.0f} ({min(values):,.0f}-{max(values):,.0f}) | "
            f"{medians[OURS] / medians[name]:.2f}x |"
        )

    def verdict(ratio):
        return "met" if ratio >= TARGET_RATIO else "**missed**"

    lines += [
        "",
        f"**Target: >= {TARGET_RATIO:g}x Keras TextVectorization: {keras_ratio:.2f}x** "
        f"({verdict(keras_ratio)}). Against `str.split` + dict per core (our rate / {threads} "
        f"cores against the larger of its 1-process rate and its {threads}-process rate / "
        f"{threads}): {split_ratio:.2f}x (no target; for scale).",
    ]
    return "\n".join(lines)
