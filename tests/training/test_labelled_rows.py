"""Rows a model can be scored on: every row read is scored, or counted and listed as left out."""

import pytest

from tfcharnlp.data.config import DataConfig
from tfcharnlp.errors import DataError
from tfcharnlp.training.labelled_rows import read_labelled_rows

MODEL_LABELS = ["neg", "pos"]


def write(tmp_path, body, name="rows.csv"):
    path = tmp_path / name
    path.write_bytes(b"text,label\n" + body)
    return DataConfig(path=str(path))


def test_unknown_labels_are_counted_not_scored(tmp_path):
    data = write(
        tmp_path,
        b"great film,pos\ndull film,neg\nit was ok,neutral\nmeh,neutral\nso so,mixed\nfine,pos\n",
    )
    rows = read_labelled_rows(data, MODEL_LABELS)
    assert rows.texts == ["great film", "dull film", "fine"]
    assert rows.class_ids() == [1, 0, 1]
    assert rows.unknown_counts == {"neutral": 2, "mixed": 1}
    assert rows.not_evaluated == 3
    summary = rows.summary()
    assert "rows read: 6, kept: 6, skipped: 0" in summary
    assert (
        "labels the model does not know: 3 rows ('neutral' 2, 'mixed' 1); "
        "the model's labels: neg, pos"
    ) in summary
    assert "not scored" not in summary  # the rows themselves only under -v
    verbose = rows.summary(verbose=True)
    assert "  not scored [neutral]: it was ok" in verbose
    assert "  not scored [mixed]: so so" in verbose
    assert rows.warning() == (
        "warning: 3 of 6 rows read are not in these numbers (0 skipped by the reader, "
        "3 with a label the model does not know); the read summary lists them (-v: all of them)"
    )
    assert rows.details() == {
        "rows": {
            "read": 6,
            "skipped_by_reader": 0,
            "unknown_label": 3,
            "unknown_labels": {"neutral": 2, "mixed": 1},
        }
    }
    rows.check_coverage()  # half scored: a warning, not an error


def test_reader_skips_are_in_the_count_and_listed_under_verbose(tmp_path):
    bad = b"".join(b'"bad \xff %d",neg\n' % i for i in range(7))
    data = write(tmp_path, b"great film,pos\n" * 10 + bad)
    rows = read_labelled_rows(data, MODEL_LABELS)
    assert (rows.report.rows_read, rows.report.rows_skipped, rows.not_evaluated) == (17, 7, 7)
    assert "7 of 17 rows read" in rows.warning() and "7 skipped by the reader" in rows.warning()
    assert "... and 2 more skipped rows" in rows.summary()
    verbose = rows.summary(verbose=True)
    assert verbose.count("undecodable bytes") == 7 and "more skipped rows" not in verbose
    assert "--encoding latin-1" in verbose  # the reader's hint comes along


def test_nothing_left_out_means_no_warning(tmp_path):
    rows = read_labelled_rows(write(tmp_path, b"a,pos\nb,neg\n"), MODEL_LABELS)
    assert rows.warning() is None and rows.not_evaluated == 0
    assert "does not know" not in rows.summary()


def test_most_rows_left_out_is_an_error(tmp_path):
    rows = read_labelled_rows(write(tmp_path, b"a,pos\nb,x\nc,y\n"), MODEL_LABELS)
    with pytest.raises(DataError, match=r"most rows cannot be scored \(2 of 3: 0 skipped"):
        rows.check_coverage()
    none = read_labelled_rows(write(tmp_path, b"a,x\n", "none.csv"), MODEL_LABELS)
    with pytest.raises(DataError, match="no row has a label the model knows"):
        none.check_coverage()


def test_strict_mode_stops_at_the_line_of_an_unknown_label(tmp_path):
    data = write(tmp_path, b"a,pos\nb,neutral\n")
    data.strict = True
    with pytest.raises(DataError, match=r"rows.csv:3: label 'neutral' not in the configured"):
        read_labelled_rows(data, MODEL_LABELS)


def test_subset_keeps_the_account(tmp_path):
    rows = read_labelled_rows(write(tmp_path, b"a,pos\nb,neg\nc,x\n"), MODEL_LABELS)
    part = rows.subset(["b"], ["neg"])
    assert part.class_ids() == [0]
    assert part.unknown_counts == {"x": 1} and part.report is rows.report
