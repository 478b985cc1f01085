"""Quality: held-out accuracy on IMDB, SST-2 and TREC-6, and Tiny Shakespeare loss, on a CPU budget.

Every model is trained by the real workflow (`tfcharnlp.training.train`,
what `tfcharnlp train` runs) on the shared data, with a wall-clock budget
per training run (`TFCHARNLP_BENCH_BUDGET` seconds, default 600;
`TFCHARNLP_BENCH_LM_BUDGET` for the language model, default twice that;
the training stops at the first batch past it, then the model is evaluated
on the test file). `TFCHARNLP_BENCH_TASKS` (imdb,sst2,trec,tinyshakespeare)
and `TFCHARNLP_BENCH_MODELS` (char_cnn,cnn,cnn_vectors,lstm,lstm_vectors,hybrid) select
parts of a run; what is not selected keeps its figures from RESULTS.md,
marked as carried over, so the section can be made in pieces that fit the
machine. The published figures are for full training on GPUs, so a
budgeted CPU run shows where the models stand on this machine, not their
ceiling. `cnn_vectors` and `lstm_vectors` (IMDB and SST-2) are the Kim CNN
and the LSTM started from word vectors trained in the same run on IMDB's
training reviews (see `_in_domain_vectors`), as the published "non-static"
CNN starts from word2vec.

Splits: IMDB train.csv (5% held out by text hash for early stopping) ->
test.csv; SST-2 train.tsv (all phrases; early stopping on dev.tsv) ->
test_labeled.tsv; TREC train_5500.label (10% held out) -> TREC_10.label. The
fastText baseline (PyPI `fasttext-numpy2`) trains on exactly the same
training rows in the same run, lower-cased with punctuation split off (the
in-domain-vector models' tokens), as fastText's own examples prepare text. Tiny Shakespeare: the last 10% of the text
is the validation set.
"""

import logging
import math
import os
import random
import re
import tempfile
import time

BUDGET = float(os.environ.get("TFCHARNLP_BENCH_BUDGET", "600"))
LM_BUDGET = float(os.environ.get("TFCHARNLP_BENCH_LM_BUDGET", str(2 * BUDGET)))
# A comma-separated subset of imdb,sst2,trec,tinyshakespeare (default: all).
ONLY = set(filter(None, os.environ.get("TFCHARNLP_BENCH_TASKS", "").split(",")))

# Kim 2014's CNN-rand settings (widths 3/4/5 x 100, dropout 0.5, batch 50),
# used as they are for IMDB and SST-2; TREC-6 overrides the widths below.
KIM_CNN = {
    "embedding_dim": 128,
    "model_options": {"filters": 100, "kernel_sizes": [3, 4, 5]},
    "batch_size": 50,
    "learning_rate": 0.001,
    "dropout": 0.5,
}

# In-domain word vectors: fastText skipgram (word2vec: no subword n-grams) on the
# IMDB *training* reviews' text, labels unused (no test review is seen). They
# stand in for the GloVe / word2vec downloads of the published "static" and
# "non-static" results, which ../shared/data does not hold. The corpus is
# tokenized exactly as the models tokenize (VECTOR_WORDS), so tokens match.
VECTOR_WORDS = {"normalize": ["strip_html", "lower"], "word_split": "unicode_script"}
VECTOR_SETTINGS = {
    "model": "skipgram",
    "dim": 100,
    "epoch": 5,
    # fastText's default 0.05 diverged (NaN) on this corpus, and 0.025 did in two of
    # three runs (its threads update without locks): a NaN retries at half the rate.
    "lr": 0.025,
    "minCount": 3,
    "maxn": 0,
    "thread": 2,
}

TASKS = {
    "imdb": {
        "title": "IMDB (25,000 train / 25,000 test reviews)",
        "data": {"preset": "imdb", "split": "train", "validation_split": 0.05},
        "test": {"preset": "imdb", "split": "test"},
        "char_length": 1014,
        "word_length": 400,
        "max_tokens": 30000,
        "cnn": KIM_CNN,
        "reference": "Maas et al. 2011: 88.89%; NBSVM-bi (Wang & Manning 2012): 91.2%",
        "target": 0.889,
        "vectors": True,
    },
    "sst2": {
        "title": "SST-2 (67,349 train phrases / 1,821 test sentences)",
        # Every training phrase trains; early stopping watches the dev sentences
        # (held-out phrases are far easier than sentences: 93% vs 83%).
        "data": {"preset": "sst2", "split": "train"},
        "test": {"preset": "sst2", "split": "test_labeled"},
        "dev": {"preset": "sst2", "split": "dev"},
        "dev_early_stopping": True,
        "char_length": 256,
        "word_length": 56,
        "max_tokens": 20000,
        "cnn": KIM_CNN,
        "reference": "Kim 2014 CNN: 82.7 (rand), 86.8 (static), 87.2 (non-static), 88.1 (multichannel)",
        "target": 0.85,
        "vectors": True,
    },
    "trec": {
        "title": "TREC-6 (5,452 train / 500 test questions)",
        "data": {"preset": "trec", "split": "train", "validation_split": 0.1},
        "test": {"preset": "trec", "split": "test"},
        "char_length": 128,
        "word_length": 32,
        "max_tokens": 10000,
        "cnn": {
            "embedding_dim": 128,
            "model_options": {"filters": 200, "kernel_sizes": [1, 2, 3]},
            "batch_size": 32,
            "learning_rate": 0.001,
            "dropout": 0.5,
        },
        "reference": "Kim 2014 CNN: 91.2 (rand), 92.8 (static), 93.6 (non-static)",
        "target": 0.90,
    },
}


# Which configurations run (a comma-separated subset of MODEL_KEYS; default: all;
# the *_vectors ones only on the tasks with `"vectors": True`).
MODEL_KEYS = ("char_cnn", "cnn", "cnn_vectors", "lstm", "lstm_vectors", "hybrid")
ONLY_MODELS = set(filter(None, os.environ.get("TFCHARNLP_BENCH_MODELS", "").split(",")))


def _models(task, vectors=None):
    """The configurations run on `task` (TrainConfig fields), by key.

    `vectors`: the in-domain word-vector file, for the tasks that use one.
    """
    common = {"optimizer": "adam", "epochs": 100, "patience": 3, "monitor": "val_accuracy"}
    words = {
        "tokenizer": "word",
        "max_tokens": task["max_tokens"],
        "max_length": task["word_length"],
    }
    models = {
        "char_cnn": (
            "CharCNN-small (Zhang et al., one-hot chars)",
            {
                **common,
                "family": "char_cnn",
                "size": "small",
                "max_length": task["char_length"],
                "batch_size": 128,
                "learning_rate": 0.001,
                "dropout": 0.5,
            },
        ),
        "cnn": (
            "Kim CNN (words, multi-width conv + max-over-time pooling)",
            {**common, **words, "family": "multi_width_cnn", **task["cnn"]},
        ),
        "lstm": (
            "LSTM (words, bidirectional, 1 x 128)",
            {
                **common,
                **words,
                "family": "lstm",
                "embedding_dim": 128,
                "hidden_units": 128,
                "bidirectional": True,
                "batch_size": 64,
                "learning_rate": 0.002,
                "dropout": 0.3,
            },
        ),
        "hybrid": (
            "CNN-LSTM hybrid (words, conv + LSTM branches concatenated)",
            {
                **common,
                **words,
                "family": "cnn_lstm",
                "variant": "concatenated",
                "embedding_dim": 128,
                "hidden_units": 128,
                "batch_size": 64,
                "learning_rate": 0.002,
                "dropout": 0.3,
            },
        ),
    }
    if vectors:
        # The same models started from the in-domain vectors (trained on: Kim's non-static).
        for key in ("cnn", "lstm"):
            name, settings = models[key]
            models[f"{key}_vectors"] = (
                f"{name.split(' (')[0]}, from in-domain word vectors ({name.split(' (')[1]}",
                {**settings, **VECTOR_WORDS, "embedding_dim": None, "word_vectors": vectors},
            )
    return {key: models[key] for key in MODEL_KEYS if key in models}


# The generator: GRU 2 x 384 over characters. On 2 shared cores a 2 x 512 GRU gets
# too few updates in the budget; batches of 32 windows give twice the updates of
# 64, the learning rate decays by 0.85 per epoch, gradients are clipped (char-rnn).
LM_SETTINGS = {
    "seq_length": 100,
    "batch_size": 32,
    "embedding_dim": 64,
    "hidden_units": 384,
    "num_layers": 2,
    "dropout": 0.1,
    "learning_rate": 0.002,
    "schedule": "step",
    "decay_rate": 0.85,
    "decay_epochs": 1.0,
    "clipnorm": 5.0,
}
LM_NAME = "char GRU 2 x 384"
LM_DETAILS = (
    "char GRU 2 x 384, embedding 64, seq 100, batch 32, dropout 0.1, "
    "Adam 2e-3 x 0.85 per epoch, clipnorm 5"
)


def _budget_callback(seconds):
    import keras

    class TimeBudget(keras.callbacks.Callback):
        """Stops training at the first batch past the budget (the epoch's metrics are kept)."""

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()
            self.exhausted = False

        def on_train_batch_end(self, batch, logs=None):
            if time.perf_counter() - self.start > seconds:
                self.exhausted = True
                self.model.stop_training = True

    return TimeBudget()


def _train_one(task, settings, folder, name):
    from tfcharnlp.training import train

    budget = _budget_callback(BUDGET)
    config = {
        **settings,
        "data": task["data"],
        "test_data": task["test"],
        "dev_data": task["dev"] if task.get("dev_early_stopping") else None,
        "output_dir": str(folder),
        "model_name": name,
        "backup": False,
        "checkpoint": False,
    }
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    result = train(config, extra_callbacks=[budget])
    return {
        "accuracy": result.report.accuracy,
        "macro_f1": result.report.macro_f1,
        "epochs": len(result.history.get("loss", [])),
        "budget_hit": budget.exhausted,
        "wall": time.perf_counter() - start_wall,
        "cpu": time.process_time() - start_cpu,
        "result": result,
    }


def _dev_accuracy(result, task):
    from tfcharnlp.training.evaluate import evaluate_folder
    from tfcharnlp.training.model_folder import load_classifier
    from tfcharnlp.training.run_data import data_config

    classifier = load_classifier(result.model_dir)
    report = evaluate_folder(
        classifier,
        result.model_dir,
        data_config(task["dev"]),
        split="dev",
        output=result.model_dir / "dev",
    )
    return report.accuracy


def _fasttext_rows(task, folder):
    """fastText on the same training rows (the hash split's train part) and test file."""
    import fasttext

    from tfcharnlp.data import read_examples, split_examples
    from tfcharnlp.training.run_data import data_config

    # As `train` reads it: with a dev file for early stopping, every row trains.
    source = data_config(
        task["data"], **({"validation_split": 0.0} if task.get("dev_early_stopping") else {})
    )
    read = read_examples(source)
    (train_texts, train_labels), _ = split_examples(
        read.texts, read.labels, source.validation_split, source.split_seed
    )
    test = read_examples(data_config(task["test"], labels=tuple(read.label_vocabulary.labels)))

    # fastText's usual preparation: lower case, punctuation split off (and markup gone),
    # the tokens of the in-domain-vector models.
    train_lines = list(_tokenized_lines(train_texts))
    test_lines = list(_tokenized_lines(test.texts))
    # fastText reads its file in order and does not shuffle: IMDB's train.csv is sorted by
    # label, so the rows are shuffled (fixed seed) as our pipelines shuffle theirs.
    order = list(range(len(train_texts)))
    random.Random(0).shuffle(order)
    train_file = os.path.join(folder, f"fasttext_{id(task)}.txt")
    with open(train_file, "w", encoding="utf-8") as stream:
        for index in order:
            stream.write(f"__label__{train_labels[index]} {train_lines[index]}\n")
    rows = []
    for ngrams in (1, 2):
        name = f"fastText ({'uni' if ngrams == 1 else 'bi'}grams, 10 epochs, lr 0.1)"
        start = time.perf_counter()
        try:
            model = fasttext.train_supervised(
                train_file, epoch=10, lr=0.1, wordNgrams=ngrams, verbose=0, seed=0, thread=2
            )
        except RuntimeError as error:  # fastText stops with "Encountered NaN" when it diverges
            rows.append((f"{name}: failed ({error})", float("nan"), time.perf_counter() - start))
            continue
        seconds = time.perf_counter() - start
        predicted, _ = model.predict(test_lines)
        correct = sum(
            labels[0] == f"__label__{truth}"
            for labels, truth in zip(predicted, test.labels, strict=True)
        )
        rows.append((name, correct / len(test.texts), seconds))
    return rows


def _tokenized_lines(texts):
    """Each text as its VECTOR_WORDS tokens joined by spaces (the models' own tokens)."""
    import tensorflow as tf

    from tfcharnlp.preprocessing import TextNormalizer, WordTokenizer

    normalizer = TextNormalizer(steps=tuple(VECTOR_WORDS["normalize"]))
    splitter = WordTokenizer(split=VECTOR_WORDS["word_split"], lowercase=False)
    for begin in range(0, len(texts), 1000):
        batch = normalizer(tf.constant(list(texts[begin : begin + 1000])))
        for row in splitter.split_words(batch).to_list():
            yield " ".join(token.decode("utf-8", "replace") for token in row)


def _in_domain_vectors(folder):
    """Trains the in-domain word vectors; returns (GloVe-format file, description)."""
    import fasttext

    from tfcharnlp.data import preset, read_examples

    start = time.perf_counter()
    texts = read_examples(preset("imdb", split="train")).texts
    corpus = os.path.join(folder, "imdb_train_corpus.txt")
    tokens = 0
    with open(corpus, "w", encoding="utf-8") as stream:
        for line in _tokenized_lines(texts):
            tokens += line.count(" ") + 1
            stream.write(line + "\n")
    settings = dict(VECTOR_SETTINGS)
    for _ in range(4):
        try:
            model = fasttext.train_unsupervised(corpus, verbose=0, **settings)
            break
        except RuntimeError as error:  # "Encountered NaN": it diverged; halve the rate
            logging.warning("word vectors at lr %s: %s; retrying at half", settings["lr"], error)
            settings["lr"] /= 2
    else:
        raise RuntimeError(f"fastText diverged down to lr {settings['lr'] * 2}")
    path = os.path.join(folder, "imdb_train_vectors.txt")
    with open(path, "w", encoding="utf-8") as stream:
        for word in model.words:
            if word != "</s>":
                vector = " ".join(f"{value:.5f}" for value in model.get_word_vector(word))
                stream.write(f"{word} {vector}\n")
    seconds = time.perf_counter() - start
    used = ", ".join(
        f"{key} {value:g}" if key == "lr" else f"{key} {value}" for key, value in settings.items()
    )
    description = (
        f"In-domain word vectors: fastText skipgram on the {len(texts):,} IMDB training "
        f"reviews' text ({tokens:,} tokens, labels unused; no test review is seen), tokenized "
        f"as the models tokenize ({', '.join(VECTOR_WORDS['normalize'])}, "
        f"{VECTOR_WORDS['word_split']} split), {used}: {len(model.words) - 1:,} words in "
        f"{seconds:.0f} s. The models marked 'from in-domain word vectors' start their "
        "embedding from them and train it (Kim's non-static); words without a vector start "
        "random."
    )
    return path, description


def _language_model(folder):
    from tfcharnlp.training import train

    budget = _budget_callback(LM_BUDGET)
    config = {
        "data": {"preset": "tinyshakespeare", "validation_split": 0.1},
        "family": "char_gru",
        **LM_SETTINGS,
        "epochs": 100,
        "patience": 2,
        "sample_length": 400,
        "sample_prompt": "ROMEO:\n",
        "temperature": 0.8,
        "output_dir": str(folder),
        "model_name": "shakespeare",
        "backup": False,
        "checkpoint": False,
    }
    start = time.perf_counter()
    result = train(config, extra_callbacks=[budget])
    return result, time.perf_counter() - start, budget.exhausted


def _command(tasks, models=None):
    """The shell command that reruns one subsection (budgets and selections spelled out)."""
    env = f"TFCHARNLP_BENCH_BUDGET={BUDGET:.0f} TFCHARNLP_BENCH_LM_BUDGET={LM_BUDGET:.0f} "
    env += f"TFCHARNLP_BENCH_TASKS={tasks} "
    if models:
        env += f"TFCHARNLP_BENCH_MODELS={','.join(models)} "
    return f"`{env}python -m bench quality`"


def _previous_section():
    """The quality section now in RESULTS.md, split into its intro and `### ` subsections."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    if not os.path.exists(path):
        return {}
    text = open(path, encoding="utf-8").read()
    match = re.search(r"<!-- bench:quality -->(.*?)<!-- /bench:quality -->", text, re.DOTALL)
    if not match:
        return {}
    body = re.sub(r"\n_Command: .*?\._\n?", "\n", match.group(1))
    parts = re.split(r"^(?=### )", body, flags=re.MULTILINE)
    sections = {"intro": parts[0]}
    for part in parts[1:]:
        for key, task in TASKS.items():
            if part.startswith(f"### {task['title']}"):
                sections[key] = part
        if part.startswith("### Tiny Shakespeare"):
            sections["tinyshakespeare"] = part
    return sections


def _provenance(previous, key):
    """Where a carried-over subsection or row came from: its own run line, or the old intro's budget."""
    found = re.search(r"^_Run: (.*?)_$", previous.get(key, ""), re.MULTILINE)
    if found:
        return found.group(1)
    budget = re.search(
        r"at most (\d+) s of wall-clock time \((\d+) s for the language model\)",
        previous.get("intro", ""),
    )
    if budget:
        return (
            f"an earlier run with {budget.group(1)} s per model ({budget.group(2)} s for the "
            "language model), not rerun here"
        )
    return "an earlier run, not rerun here"


def _carried(previous, key):
    """A previous subsection kept as it was, marked as carried over when it has no run line."""
    lines = previous[key].rstrip().splitlines() + [""]
    if any(line.startswith(("_Run: ", "_Carried over ")) for line in lines):
        return lines
    return lines[:2] + [f"_Carried over from {_provenance(previous, key)}._", ""] + lines[2:]


CARRIED = "(carried over\u2020)"  # from the previous run of the subsection
CARRIED_TWICE = "(carried over\u2021)"  # that run had carried it over too
TWICE_NOTE = (
    "\u2021 Carried over by that run as well: from an earlier run (its figures and command "
    "are in this file's git history)."
)


def _carried_row(previous, key, name):
    """The previous row of model `name` in task `key`'s table (marked), or None."""
    for line in previous.get(key, "").splitlines():
        if line.startswith(f"| {name}") and "|" in line[2:]:
            cells = line.split(" | ", 1)
            if CARRIED in cells[0] or CARRIED_TWICE in cells[0]:
                model = cells[0].replace(CARRIED, "").replace(CARRIED_TWICE, "").rstrip()
                return f"{model} {CARRIED_TWICE} | {cells[1]}"
            return f"{cells[0]} {CARRIED} | {cells[1]}"
    return None


def run():
    import keras

    keras.utils.set_random_seed(0)
    previous = _previous_section()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "## Quality on the shared data (CPU, time-budgeted training)",
        "",
        "Each model trains through `tfcharnlp.training.train` for at most its wall-clock "
        "budget (stated under each data set with the command that made it; the machine "
        "has 2 cores, so wall-clock seconds bound CPU seconds at about twice that), then "
        "is scored on the test file. `epochs` counts epochs started; 'budget' marks runs "
        "stopped by the budget rather than by early stopping (patience 3 on validation "
        "accuracy, best weights restored). Published references are full GPU trainings. "
        "Targets from the issue: IMDB >= 88.9%, SST-2 >= 85%, TREC-6 >= 90%, Tiny "
        "Shakespeare validation loss <= 1.55 nats/char. A data set or model not selected "
        "in a run (`TFCHARNLP_BENCH_TASKS`, `TFCHARNLP_BENCH_MODELS`) keeps its previous "
        "figures, marked as carried over with where they came from.",
        "",
    ]
    models_run = [key for key in MODEL_KEYS if not ONLY_MODELS or key in ONLY_MODELS]
    wants_vectors = any(key.endswith("_vectors") for key in models_run)
    vectors = None
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as folder:
        for key, task in TASKS.items():
            if ONLY and key not in ONLY:
                lines.append(key)  # placeholder, filled in at the end (see below)
                continue
            print(f"-- {key}", flush=True)
            lines += [f"### {task['title']}", ""]
            lines += [
                f"_Run: {BUDGET:.0f} s wall-clock budget per model, {stamp}, "
                f"{_command(key, None if len(models_run) == len(MODEL_KEYS) else models_run)}_",
                "",
                f"Reference: {task['reference']}.",
                "",
            ]
            dev_column = "dev" in task
            header = "| model | test accuracy | macro F1 |"
            if dev_column:
                # A dev file that early stopping watched is no independent estimate: say so.
                selects = " (early stopping's)" if task.get("dev_early_stopping") else ""
                header += f" dev accuracy{selects} |"
            header += " epochs | train + eval time | target met |"
            lines += [header, "| --- " * (header.count("|") - 1) + "|"]
            carried_any = carried_twice = False
            if task.get("vectors") and wants_vectors and vectors is None:
                print("   training in-domain word vectors", flush=True)
                vectors = _in_domain_vectors(folder)
            task_vectors = vectors if task.get("vectors") else None
            for model_key, (name, settings) in _models(
                task, task_vectors and task_vectors[0]
            ).items():
                if model_key not in models_run:
                    row = _carried_row(previous, key, name)
                    if row:
                        lines.append(row)
                        carried_any = True
                        carried_twice = carried_twice or CARRIED_TWICE in row
                    continue
                print(f"   {name}", flush=True)
                outcome = _train_one(task, settings, folder, f"{key}-{settings['family']}")
                row = f"| {name} | {outcome['accuracy']:.2%} | {outcome['macro_f1']:.4f} |"
                if dev_column:
                    row += f" {_dev_accuracy(outcome['result'], task):.2%} |"
                epochs = f"{outcome['epochs']}{' (budget)' if outcome['budget_hit'] else ''}"
                met = "yes" if outcome["accuracy"] >= task["target"] else "no"
                row += f" {epochs} | {outcome['wall']:.0f} s | {met} |"
                lines.append(row)
                print(f"   {row}", flush=True)
                # Free the finished model's graph before the next one is built.
                del outcome
                keras.backend.clear_session()
            for name, accuracy, seconds in _fasttext_rows(task, folder):
                met = "yes" if accuracy >= task["target"] else "no"
                shown = "diverged" if math.isnan(accuracy) else f"{accuracy:.2%}"
                row = f"| {name} | {shown} | |{' |' if dev_column else ''} | {seconds:.1f} s | {met} |"
                lines.append(row)
                print(f"   {row}", flush=True)
            if carried_any:
                lines += ["", f"\u2020 From {_provenance(previous, key)}."]
                if carried_twice:
                    lines.append(TWICE_NOTE)
            if task_vectors and wants_vectors:
                lines += ["", task_vectors[1]]
            lines.append("")

        if ONLY and "tinyshakespeare" not in ONLY:
            lines.append("tinyshakespeare")
            return _fill_carried(lines)
        print("-- tinyshakespeare", flush=True)
        result, seconds, exhausted = _language_model(folder)
        loss = result.metrics["validation_loss_nats_per_char"]
        lines += [
            f"### Tiny Shakespeare ({LM_NAME}, last 10% held out)",
            "",
            f"_Run: {LM_BUDGET:.0f} s wall-clock budget, {stamp}, {_command('tinyshakespeare')}_",
            "",
            "Reference: nanoGPT's character-level GPT, 1.47 nats/char on a GPU, about 1.88 "
            "in its small CPU setting.",
            "",
            "| model | validation loss (nats/char) | bits/char | epochs | time | target met |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| {LM_DETAILS} | {loss:.4f} | "
            f"{loss / math.log(2):.4f} | {len(result.history.get('loss', []))}"
            f"{' (budget)' if exhausted else ''} | {seconds:.0f} s | "
            f"{'yes' if loss <= 1.55 else 'no'} |",
            "",
            "Sample (temperature 0.8, prompt `ROMEO:`):",
            "",
            "```",
            result.sample,
            "```",
        ]
    return _fill_carried(lines)


def _fill_carried(lines):
    """Replaces the placeholders of data sets not run by their subsections in RESULTS.md.

    RESULTS.md is read again here, at the end of the run, so that runs of
    different data sets made side by side keep each other's new figures.
    """
    latest = _previous_section()
    filled = []
    for line in lines:
        if line in TASKS or line == "tinyshakespeare":
            filled += _carried(latest, line) if line in latest else []
        else:
            filled.append(line)
    return "\n".join(filled)
