"""Tuning benchmark: a bounded KerasTuner search against the untuned defaults, on SST-2.

For CharCNN and the CNN-LSTM hybrids (variant searched, so the search finds
"the best hybrid"): train the family's untuned defaults and run a bounded
RandomSearch on the same data in the same run, then report the best
validation accuracy and the test accuracy of the winning checkpoint. Then
run 10 one-epoch trials of a small model and report the process's resident
memory after each one (trial isolation: it must not grow).

Data: SST-2 (../shared/data/sst2), a subsample of train.tsv for training,
dev.tsv for validation (the tuner's objective), test_labeled.tsv for test.
Sizes are set by the constants below (or TFCHARNLP_BENCH_TUNING_* env vars)
to fit about 10 minutes per family on this 2-core shared machine.
"""

import os
import tempfile
import time

TRAIN_ROWS = int(os.environ.get("TFCHARNLP_BENCH_TUNING_TRAIN_ROWS", 4000))
MAX_LENGTH = int(os.environ.get("TFCHARNLP_BENCH_TUNING_MAX_LENGTH", 128))
EPOCHS = int(os.environ.get("TFCHARNLP_BENCH_TUNING_EPOCHS", 3))
MAX_TRIALS = int(os.environ.get("TFCHARNLP_BENCH_TUNING_TRIALS", 6))
BATCH_SIZE = 64
PATIENCE = 1
SEED = 1337
FAMILIES = ("char_cnn", "cnn_lstm")
RSS_TRIALS = 10


def _labels(split, max_rows=None):
    from tfcharnlp.data import preset, read_examples

    return read_examples(preset("sst2", split=split, max_rows=max_rows)).labels


def task_config(family):
    """The run's `TrainConfig`: what `tfcharnlp train` / `tune` would read from the flags."""
    from tfcharnlp.training.train_config import TrainConfig

    return TrainConfig.from_dict(
        {
            "data": {"preset": "sst2", "split": "train", "max_rows": TRAIN_ROWS},
            "dev_data": {"preset": "sst2", "split": "dev"},
            "test_data": {"preset": "sst2", "split": "test_labeled"},
            "family": family,
            "max_length": MAX_LENGTH,
            "batch_size": BATCH_SIZE,
            "epochs": EPOCHS,
            "patience": PATIENCE,
            "monitor": "val_accuracy",
            "seed": SEED,
        }
    ).resolve()


def load_sst2():
    """The tuning data, read as `train()` and every trial read it (characters, lower-cased)."""
    from tfcharnlp.training.run_data import read_classifier_data

    # The data does not depend on the family (the same character preprocessor for all).
    data = read_classifier_data(task_config(FAMILIES[0]))
    train_labels, dev_labels, test_labels = (
        _labels("train", TRAIN_ROWS), _labels("dev"), _labels("test_labeled")
    )  # fmt: skip
    sizes = (data.train_size, data.validation_size, len(test_labels))
    # A model that always answers the training set's majority label scores this.
    majority = max(set(train_labels), key=train_labels.count)
    baseline = tuple(
        sum(label == majority for label in labels) / len(labels)
        for labels in (dev_labels, test_labels)
    )
    return data, data.evaluation, sizes, baseline


class _Clock:
    def __enter__(self):
        self.wall, self.cpu = time.monotonic(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.wall
        self.cpu = time.process_time() - self.cpu


def _accuracy(model, dataset):
    return float(model.evaluate(dataset, verbose=0, return_dict=True)["accuracy"])


def run_defaults(family, data, test):
    import keras
    import keras_tuner

    from tuning import search_space

    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    hypermodel = search_space.get_hypermodel(task_config(family), data.inputs)
    with _Clock() as clock:
        model = hypermodel.build(keras_tuner.HyperParameters())
        model.fit(
            data.train,
            validation_data=data.validation,
            epochs=EPOCHS,
            shuffle=False,
            verbose=0,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    "val_accuracy", mode="max", patience=PATIENCE, restore_best_weights=True
                )
            ],
        )
        val, test_acc = _accuracy(model, data.validation), _accuracy(model, test)
    return {"val": val, "test": test_acc, "wall": clock.wall, "cpu": clock.cpu}


def run_search(family, data, test, directory):
    from tuning import search_space, tuner_factory

    hypermodel = search_space.get_hypermodel(task_config(family), data.inputs)
    with _Clock() as clock:
        tuner = tuner_factory.build_tuner(
            hypermodel,
            "random",
            directory=directory,
            project_name=family,
            max_trials=MAX_TRIALS,
            max_epochs=EPOCHS,
            overwrite=True,
            seed=SEED,
        )
        tuner_factory.search(tuner, data.train, data.validation, epochs=EPOCHS, patience=PATIENCE)
        best_model = tuner.get_best_models(1)[0]
        val, test_acc = _accuracy(best_model, data.validation), _accuracy(best_model, test)
    best = tuner.get_best_hyperparameters(1)[0]
    completed = [t for t in tuner.oracle.trials.values() if t.status == "COMPLETED"]
    return {
        "val": val,
        "test": test_acc,
        "wall": clock.wall,
        "cpu": clock.cpu,
        "trials": len(completed),
        "best": {k: v for k, v in best.values.items() if not k.startswith("tuner/")},
    }


def run_rss(data, directory):
    """RSS after each of 10 one-epoch trials of the multi-width CNN."""
    from tuning import search_space, tuner_factory

    hypermodel = search_space.get_hypermodel(task_config("multi_width_cnn"), data.inputs)
    tuner = tuner_factory.build_tuner(
        hypermodel,
        "random",
        directory=directory,
        project_name="rss",
        max_trials=RSS_TRIALS,
        max_epochs=1,
        overwrite=True,
        seed=SEED,
    )
    small = data.train.take(10)  # 640 rows: memory, not accuracy, is measured here.
    tuner_factory.search(tuner, small, data.validation, epochs=1)
    return list(tuner.trial_rss_mb)


def run():
    from tuning.trial_resources import peak_rss_mb

    data, test, sizes, baseline = load_sst2()
    lines = [
        "## Tuning (KerasTuner) on SST-2",
        "",
        f"Train: first {sizes[0]} rows of sst2/train.tsv; validation (objective): dev.tsv "
        f"({sizes[1]}); test: test_labeled.tsv ({sizes[2]}). Characters, max_length "
        f"{MAX_LENGTH}, batch {BATCH_SIZE}, the family's recipe otherwise (the data, model and "
        f"optimizer of `train()`). Each model: up to {EPOCHS} epochs with early stopping "
        f"(patience {PATIENCE}) on val_accuracy, best epoch kept. Search: RandomSearch, "
        f"{MAX_TRIALS} trials, same data, same process. Accuracy of the search = the best "
        "trial's best checkpoint. Answering the training majority label everywhere scores "
        f"{baseline[0]:.4f} (dev) / {baseline[1]:.4f} (test). Wall seconds include waiting "
        "for the cores whenever other processes used them (the load, read at the start and end "
        "of the run, is below); CPU seconds are this process's.",
        "",
        "| family | run | trials | val acc | test acc | wall s | CPU s | best hyperparameters |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as directory:
        for family in FAMILIES:
            defaults = run_defaults(family, data, test)
            print(family, "defaults", defaults, flush=True)
            lines.append(
                f"| {family} | untuned defaults | 1 | {defaults['val']:.4f} | "
                f"{defaults['test']:.4f} | {defaults['wall']:.0f} | {defaults['cpu']:.0f} | - |"
            )
            searched = run_search(family, data, test, directory)
            print(family, "search", searched, flush=True)
            best = ", ".join(f"{k}={v}" for k, v in searched["best"].items())
            lines.append(
                f"| {family} | RandomSearch | {searched['trials']} | {searched['val']:.4f} | "
                f"{searched['test']:.4f} | {searched['wall']:.0f} | {searched['cpu']:.0f} | "
                f"{best} |"
            )
        rss = run_rss(data, directory)
    lines += [
        "",
        f"Resident memory (RSS, MiB) after each of {len(rss)} one-epoch trials of the "
        "multi-width CNN in one process (Keras session cleared around every trial):",
        "",
        "| trial | " + " | ".join(str(i) for i in range(len(rss))) + " |",
        "| --- | " + " | ".join("---" for _ in rss) + " |",
        "| RSS MiB | " + " | ".join(f"{v:.0f}" for v in rss) + " |",
        "",
        f"Growth from trial 1 to trial {len(rss) - 1}: {rss[-1] - rss[1]:+.0f} MiB "
        f"(trial 0 includes the first-use allocations); peak RSS of the whole run "
        f"{peak_rss_mb():.0f} MiB.",
    ]
    return "\n".join(lines)
