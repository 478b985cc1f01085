"""The blessing: candidate and served model scored on the same rows, and the rule applied."""

import json

import pytest

from tests.training.length_classifiers import save_candidates, write_length_data
from tfcharnlp.data.config import DataConfig
from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.training.blessing import BLESSING_FILE, bless


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return save_candidates(tmp_path_factory.mktemp("length_classifiers"))


@pytest.fixture
def data(tmp_path):
    return DataConfig(path=str(write_length_data(tmp_path / "lengths.csv")))


def test_a_better_candidate_is_blessed_and_a_worse_one_not(models, data):
    better = bless(models["exact"], models["rough"], data)
    assert better.blessed and better.reason == ""
    assert better.candidate.accuracy == 1.0 and better.baseline.accuracy == 0.75
    assert better.improvement == pytest.approx(0.25)
    assert better.candidate.examples == better.baseline.examples == 8
    assert better.warnings == []
    worse = bless(models["rough"], models["exact"], data, metric="macro_f1")
    assert not worse.blessed
    assert worse.reason.startswith("macro_f1 0.")
    assert "against the served version's 1.0000; it needs >= +0.0000" in worse.reason
    assert worse.verdict().startswith("NOT blessed: macro_f1 ")


def test_equal_is_enough_by_default_and_the_margin_is_configurable(models, data):
    assert bless(models["exact"], models["exact"], data).blessed
    stricter = bless(models["exact"], models["exact"], data, min_improvement=0.01)
    assert not stricter.blessed and "needs >= +0.0100" in stricter.reason
    # A negative margin accepts a small loss.
    assert bless(models["rough"], models["exact"], data, min_improvement=-0.3).blessed


def test_without_a_served_version_the_candidate_is_blessed_on_its_own(models, data, tmp_path):
    blessing = bless(models["rough"], None, data)
    assert blessing.blessed and blessing.baseline is None and blessing.improvement is None
    assert "no served version to compare with" in blessing.summary()
    path = blessing.save(tmp_path / "version")
    assert path == tmp_path / "version" / "assets.extra" / BLESSING_FILE
    written = json.loads(path.read_text())
    assert written["blessed"] is True and written["candidate"]["accuracy"] == 0.75
    assert written["rows"] == {
        "read": 8,
        "skipped_by_reader": 0,
        "unknown_label": 0,
        "unknown_labels": {},
    }


def test_another_family_signature_or_label_set_is_a_warning(models, data):
    (family,) = bless(models["lstm"], models["exact"], data).warnings
    assert family == "the candidate is a lstm, the served version a char_cnn"
    (signature,) = bless(models["logits"], models["exact"], data).warnings
    assert signature.startswith("the candidate's serving_default outputs differ")
    assert "'logits'" in signature and "its clients may break" in signature
    labels = bless(models["relabelled"], models["exact"], data)
    assert any(w.startswith("the labels differ") for w in labels.warnings)
    assert labels.blessed  # scored on the shared labels, it is as good


def test_rows_left_out_are_counted_and_most_left_out_is_an_error(models, tmp_path):
    extra = ["mid,medium", "other,medium"]
    data = DataConfig(path=str(write_length_data(tmp_path / "extra.csv", extra_rows=extra)))
    blessing = bless(models["exact"], models["rough"], data)
    assert blessing.rows["unknown_labels"] == {"medium": 2}
    assert any("2 of 10 rows read are not in these numbers" in w for w in blessing.warnings)
    mostly = DataConfig(path=str(tmp_path / "mostly.csv"))
    (tmp_path / "mostly.csv").write_text("text,label\na,short\nb,x\nc,y\n")
    with pytest.raises(DataError, match="most rows cannot be scored"):
        bless(models["exact"], models["rough"], mostly)


def test_an_unknown_metric_is_a_config_error(models, data):
    with pytest.raises(ConfigError, match="metric"):
        bless(models["exact"], None, data, metric="recall")
