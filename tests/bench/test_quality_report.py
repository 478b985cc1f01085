"""The quality rows' store, its merge of a subset run, and the Markdown written from it."""

import math

import pytest

from bench import quality_report

RUN_A = {"date": "2026-12-01 12:00 UTC", "machine": "2 CPU cores", "load_at_start": 1.0}
RUN_B = {"date": "2026-12-01 13:00 UTC", "machine": "2 CPU cores", "load_at_start": 3.5}


def _row(task, row, family, accuracy, **values):
    return {"task": task, "row": row, "name": f"{row} model", "family": family,
            "accuracy": accuracy, **values}  # fmt: skip


def _store():
    rows = [
        _row("imdb", "cnn", "multi_width_cnn", 0.8784, train_seconds=610.0, budget=600),
        _row("imdb", "ngram_bag", "ngram_bag", 0.8977, train_seconds=65.0, vs_fasttext=2.61),
        _row("trec", "char_cnn", "char_cnn", 0.574, total_seconds=530.0),
    ]
    return quality_report.merge(
        {"runs": {}, "rows": []}, "a", {**RUN_A, "command": "python -m bench quality"}, rows
    )


def test_a_subset_run_replaces_only_the_rows_it_measured():
    store = _store()
    rerun = [_row("imdb", "ngram_bag", "ngram_bag", 0.9019, train_seconds=60.0)]
    command = "python -m bench quality --tasks imdb --models ngram_bag"
    merged = quality_report.merge(store, "b", {**RUN_B, "command": command}, rerun)
    by_model = {(row["task"], row["row"]): row for row in merged["rows"]}
    assert len(merged["rows"]) == 3
    assert by_model["imdb", "ngram_bag"]["accuracy"] == 0.9019
    assert by_model["imdb", "ngram_bag"]["run"] == "b"
    # The others keep their figures and the run that measured them.
    assert by_model["imdb", "cnn"] == {**store["rows"][0], "run": "a"}
    assert by_model["trec", "char_cnn"]["run"] == "a"
    assert set(merged["runs"]) == {"a", "b"}
    # A run no row refers to any more is dropped.
    everything = [{**row, "accuracy": 0.5} for row in merged["rows"]]
    latest = quality_report.merge(merged, "c", {**RUN_B, "command": "x"}, everything)
    assert set(latest["runs"]) == {"c"}


def test_each_row_names_its_run_and_the_run_its_command():
    store = quality_report.merge(
        _store(),
        "b",
        {**RUN_B, "command": "python -m bench quality --tasks imdb --models ngram_bag"},
        [_row("imdb", "ngram_bag", "ngram_bag", 0.9019, train_seconds=60.0)],
    )
    text = quality_report.render_section(store, ["## Quality", ""], ("cnn", "ngram_bag"))
    imdb = text.split("### ")[1]
    table = [line for line in imdb.splitlines() if line.startswith("| ")]
    assert table[0].endswith("| target | run |") and "dev accuracy" not in table[0]
    assert all(line.count("|") == table[0].count("|") for line in table)
    assert table[2].startswith("| cnn model | multi_width_cnn | 87.84% |")
    assert table[2].endswith("| 1 |") and table[3].endswith("| 2 |")
    assert "| 600 s |" in table[2]  # the row's own budget
    assert "1. 2026-12-01 12:00 UTC, 2 CPU cores, 1-minute load average 1.0 at the start: " in imdb
    assert (
        "2. 2026-12-01 13:00 UTC, 2 CPU cores, 1-minute load average 3.5 at the start: "
        "`python -m bench quality --tasks imdb --models ngram_bag`." in imdb
    )
    # A data set no row has gets no subsection.
    assert "SST-2" not in text and text.startswith("## Quality\n")


def test_a_dev_column_only_where_a_row_has_dev_accuracy():
    rows = [_row("sst2", "ngram_bag", "ngram_bag", 0.84, dev_accuracy=0.81)]
    store = quality_report.merge({"runs": {}, "rows": []}, "a", {**RUN_A, "command": "c"}, rows)
    text = quality_report.render_section(store, [], ())
    header = next(line for line in text.splitlines() if line.startswith("| model"))
    assert "dev accuracy (early stopping's)" in header
    assert "| 84.00% |  | 81.00% |" in text


def test_cells_of_what_was_not_measured_are_empty():
    values = {"accuracy": float("nan"), "epochs": 3, "budget_hit": True}
    row = _row("trec", "fasttext_unigrams", "fastText", **values)
    store = quality_report.merge({"runs": {}, "rows": []}, "a", {**RUN_A, "command": "c"}, [row])
    lines = quality_report.render_section(store, [], ()).splitlines()
    line = next(line for line in lines if line.startswith("| fasttext_unigrams"))
    assert (
        line
        == "| fasttext_unigrams model | fastText | diverged |  | 3 (budget) |"
        + ("  |" * 7)
        + " 1 |"
    )


def test_target_cells_say_what_was_required():
    assert quality_report.target_cell(0.9, 0.889) == "yes (>= 88.9%)"
    assert quality_report.target_cell(0.88, 0.889) == "no (>= 88.9%)"
    assert quality_report.target_cell(0.9, 0.888, (False, "<= 3x")) == "no (>= 88.8%, <= 3x)"
    assert quality_report.target_cell(0.9, None, (True, "<= 3x")) == "yes (<= 3x)"
    assert quality_report.target_cell(math.nan, 0.5) == "no (>= 50.0%)"
    assert quality_report.target_cell(0.5, None) == ""


def test_the_family_table_takes_each_familys_best_row():
    store = _store()
    extra = [_row("imdb", "cnn_glove", "multi_width_cnn", 0.885, train_seconds=450.0)]
    store = quality_report.merge(store, "b", {**RUN_B, "command": "c"}, extra)
    missing = {"lstm": "not run yet"}
    table = quality_report.family_table(store, missing=missing).splitlines()
    assert table[0] == "| family | IMDB | TREC-6 |"
    rows = {line.split(" | ")[0][2:]: line for line in table[2:]}
    assert list(rows) == list(quality_report.TABLE_FAMILIES)
    assert rows["multi_width_cnn"] == "| multi_width_cnn | 88.5% in 450 s |  |"
    assert rows["ngram_bag"] == "| ngram_bag | 89.8% in 65.0 s |  |"
    # Only the train + eval time was recorded for this row: the cell says so.
    assert rows["char_cnn"] == "| char_cnn |  | 57.4% in 530 s with evaluation |"
    assert rows["lstm"] == "| lstm | not run yet | not run yet |"


def test_the_readme_table_is_written_between_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    start, end = quality_report.README_MARKERS
    readme.write_text(f"# Title\n\n{start}\nold\n{end}\n\nAfter.\n")
    quality_report.write_readme_table("| new |", readme)
    assert readme.read_text() == f"# Title\n\n{start}\n| new |\n{end}\n\nAfter.\n"
    assert quality_report.readme_table(readme) == "| new |"
    readme.write_text("# No markers\n")
    with pytest.raises(ValueError, match="markers"):
        quality_report.write_readme_table("| new |", readme)


def test_the_store_round_trips(tmp_path):
    path = tmp_path / "rows.json"
    assert quality_report.load_rows(path) == {"runs": {}, "rows": []}
    quality_report.save_rows(_store(), path)
    assert quality_report.load_rows(path) == _store()
