"""The quality benchmark's rows: stored, merged, and written as Markdown.

Every row `python -m bench quality` measures is kept in `quality_rows.json`
beside RESULTS.md, with the run it came from (date, command, load average at
the start) and its own budget. A run replaces only the rows it measured, so
running a few data sets or models leaves the other rows as they were, each
still naming the run that measured it. The quality section of RESULTS.md and
the README's "which family should I pick" table are both rendered from the
rows, never edited by hand, so neither holds a figure no run measured.

This module imports no TensorFlow: it only formats what was measured.
"""

import json
import math
import os
import pathlib
import re

BENCH_DIR = pathlib.Path(__file__).resolve().parent
ROWS_FILE = BENCH_DIR / "quality_rows.json"
README = BENCH_DIR.parent / "README.md"
README_MARKERS = ("<!-- bench:family-table -->", "<!-- /bench:family-table -->")

# The data sets: their subsection titles and references, in the section's order.
TASK_TITLES = {
    "ag_news": "AG News (the shared 7,600 rows, 20% held out by text hash)",
    "imdb": "IMDB (25,000 train / 25,000 test reviews)",
    "sst2": "SST-2 (67,349 train phrases / 1,821 test sentences)",
    "trec": "TREC-6 (5,452 train / 500 test questions)",
    "imdb_ratings": "Long multi-class documents: IMDB ratings (8 classes, 25,000 / 25,000 reviews)",
    "tinyshakespeare": "Tiny Shakespeare (character language model, last 10% held out)",
}
SHORT_TITLES = {
    "ag_news": "AG News",
    "imdb": "IMDB",
    "sst2": "SST-2",
    "trec": "TREC-6",
    "imdb_ratings": "IMDB ratings (8 classes)",
}
# The README table's rows, in order; the baselines close it.
TABLE_FAMILIES = (
    "char_cnn",
    "multi_width_cnn",
    "lstm",
    "cnn_lstm",
    "ngram_bag",
    "fastText",
    "TF-IDF + LR",
)

CLASSIFIER_COLUMNS = (
    ("model", lambda r: r["name"]),
    ("family", lambda r: r["family"]),
    ("test accuracy", lambda r: _accuracy(r.get("accuracy"))),
    ("macro F1", lambda r: _number(r.get("macro_f1"), "{:.4f}")),
    ("dev accuracy (early stopping's)", lambda r: _accuracy(r.get("dev_accuracy"))),
    ("epochs", lambda r: _epochs(r)),
    ("s / epoch", lambda r: seconds(r.get("epoch_seconds"))),
    ("train time", lambda r: seconds(r.get("train_seconds"))),
    ("train + eval time", lambda r: seconds(r.get("total_seconds"))),
    ("budget", lambda r: seconds(r.get("budget"))),
    ("vs fastText", lambda r: _number(r.get("vs_fasttext"), "{:.2f}x")),
    ("load", lambda r: _number(r.get("load"), "{:.1f}")),
    ("target", lambda r: r.get("target", "")),
)
DEV_COLUMN = "dev accuracy (early stopping's)"
LANGUAGE_MODEL_COLUMNS = (
    ("model", lambda r: r["name"]),
    ("family", lambda r: r["family"]),
    ("validation loss (nats/char)", lambda r: _number(r.get("loss"), "{:.4f}")),
    ("bits/char", lambda r: _number(r.get("loss") and r["loss"] / math.log(2), "{:.4f}")),
    ("epochs", lambda r: _epochs(r)),
    ("train + eval time", lambda r: seconds(r.get("total_seconds"))),
    ("budget", lambda r: seconds(r.get("budget"))),
    ("load", lambda r: _number(r.get("load"), "{:.1f}")),
    ("target", lambda r: r.get("target", "")),
)


# ---------------------------------------------------------------- storing
def load_rows(path=ROWS_FILE):
    """`{"runs": {run id: run}, "rows": [row, ...]}` as stored (empty when there is none)."""
    path = pathlib.Path(path)
    if not path.exists():
        return {"runs": {}, "rows": []}
    return json.loads(path.read_text(encoding="utf-8"))


def save_rows(store, path=ROWS_FILE):
    pathlib.Path(path).write_text(json.dumps(store, indent=1, sort_keys=True) + "\n")


def merge(store, run_id, run, rows):
    """`store` with `rows` (of the run `run_id`) replacing the stored rows of the same model.

    A row is the same model when its `task` and `row` (its id within the
    task) match. Rows of other models stay; runs no row refers to any more
    are dropped.
    """
    fresh = {(row["task"], row["row"]) for row in rows}
    kept = [row for row in store["rows"] if (row["task"], row["row"]) not in fresh]
    merged_rows = kept + [{**row, "run": run_id} for row in rows]
    runs = {**store["runs"], run_id: run}
    used = {row["run"] for row in merged_rows}
    return {"runs": {key: value for key, value in runs.items() if key in used}, "rows": merged_rows}


# ---------------------------------------------------------------- the section
def render_section(store, intro, row_order):
    """The Markdown of the quality section: `intro`, then one subsection per data set with rows.

    `row_order`: the row ids in the order the tables list them.
    """
    lines = list(intro)
    for task, title in TASK_TITLES.items():
        rows = [row for row in store["rows"] if row["task"] == task]
        if not rows:
            continue
        rows.sort(key=lambda row: _order(row_order, row["row"]))
        lines += render_task(title, rows, store["runs"])
    return "\n".join(lines).rstrip() + "\n"


def render_task(title, rows, runs):
    """One data set's subsection: its table, the runs its rows came from, the rows' notes."""
    run_ids = sorted({row["run"] for row in rows}, key=lambda key: runs[key]["date"])
    labels = {run_id: str(number) for number, run_id in enumerate(run_ids, start=1)}
    lines = [f"### {title}", ""]
    references = sorted({row["reference"] for row in rows if row.get("reference")})
    lines += [f"Reference: {reference}." for reference in references]
    lines += [""] if references else []
    if any("loss" in row for row in rows):
        columns = LANGUAGE_MODEL_COLUMNS
    else:
        columns = tuple(
            column
            for column in CLASSIFIER_COLUMNS
            if column[0] != DEV_COLUMN or any("dev_accuracy" in row for row in rows)
        )
    lines.append("| " + " | ".join(name for name, _ in columns) + " | run |")
    lines.append("| --- " * (len(columns) + 1) + "|")
    for row in rows:
        cells = [cell(row) for _, cell in columns] + [labels[row["run"]]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Runs:", ""]
    for run_id in run_ids:
        run = runs[run_id]
        load = run.get("load_at_start")
        load_text = "" if load is None else f", 1-minute load average {load:.1f} at the start"
        note = f" {run['note']}" if run.get("note") else ""
        lines.append(
            f"{labels[run_id]}. {run['date']}, {run['machine']}{load_text}: "
            f"`{run['command']}`.{note}"
        )
    lines.append("")
    for row in rows:
        for note in row.get("notes", []):
            lines += [f"{row['name']} (run {labels[row['run']]}): {note}", ""]
    for row in rows:
        if row.get("sample"):
            lines += [
                f"Sample of {row['name']} (run {labels[row['run']]}):",
                "",
                "```",
                row["sample"],
                "```",
                "",
            ]
    return lines


def _order(row_order, row_id):
    return row_order.index(row_id) if row_id in row_order else len(row_order)


def seconds(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


def _number(value, form):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return form.format(value)


def _accuracy(value):
    if value is None:
        return ""
    return "diverged" if math.isnan(value) else f"{value:.2%}"


def _epochs(row):
    if row.get("epochs") is None:
        return ""
    return f"{row['epochs']}{' (budget)' if row.get('budget_hit') else ''}"


def target_cell(accuracy, target, extra=None):
    """`yes (>= 85.0%)` / `no (>= 85.0%)`, with a further condition `(met, text)` when given."""
    if target is None and extra is None:
        return ""
    parts, met = [], True
    if target is not None:
        met = accuracy is not None and not math.isnan(accuracy) and accuracy >= target
        parts.append(f">= {target:.1%}")
    if extra is not None:
        condition_met, text = extra
        met = met and condition_met
        parts.append(text)
    return f"{'yes' if met else 'no'} ({', '.join(parts)})"


# ------------------------------------------------------------ the README table
def family_table(store, missing=None):
    """The README's "which family should I pick" table, from the stored rows.

    Per family and classification data set: the best test accuracy among
    the family's rows and that row's train time (its train + eval time
    where only that was recorded). `missing` maps a family to the text of
    its cells that no run measured yet (e.g. the command that measures them).
    """
    missing = missing or {}
    tasks = [task for task in SHORT_TITLES if any(r["task"] == task for r in store["rows"])]
    lines = [
        "| family | " + " | ".join(SHORT_TITLES[task] for task in tasks) + " |",
        "| --- " * (len(tasks) + 1) + "|",
    ]
    for family in TABLE_FAMILIES:
        cells = []
        for task in tasks:
            rows = [
                row
                for row in store["rows"]
                if row["task"] == task
                and row["family"] == family
                and row.get("accuracy") is not None
                and not math.isnan(row["accuracy"])
            ]
            if not rows:
                cells.append(missing.get(family, ""))
                continue
            best = max(rows, key=lambda row: row["accuracy"])
            if best.get("train_seconds") is not None:
                time_text = seconds(best["train_seconds"])
            else:
                time_text = f"{seconds(best.get('total_seconds'))} with evaluation"
            cells.append(f"{best['accuracy']:.1%} in {time_text}")
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_readme_table(table, readme=README):
    """Puts `table` between the README's family-table markers (an error if they are missing)."""
    readme = pathlib.Path(readme)
    text = readme.read_text(encoding="utf-8")
    start, end = README_MARKERS
    if start not in text or end not in text:
        raise ValueError(f"{readme} has no {start} ... {end} markers for the family table")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")


def readme_table(readme=README):
    """The table now between the README's markers."""
    text = pathlib.Path(readme).read_text(encoding="utf-8")
    start, end = README_MARKERS
    found = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.DOTALL)
    return found.group(1) if found else None


def machine():
    return f"{os.cpu_count()} CPU cores"
