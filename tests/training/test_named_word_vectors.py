"""`--word-vectors glove-6b-50d` in training, for every family with a word embedding.

The named source is read from a fake package with the real one's file
layout (`tests/models/fake_glove.py`), so no 76 MB wheel is needed: the
embedding starts from its vectors (words looked up lower-cased), and the
share of the vocabulary it covered is logged and recorded in
`train_config.json`.
"""

import json
import logging

import pytest

from tests.models.fake_glove import install_fake_glove
from tests.test_case import TestCase
from tfcharnlp.models import families
from tfcharnlp.training.train_config import TrainConfig
from tfcharnlp.training.trainer import train

pytestmark = pytest.mark.integration

WORD_FAMILIES = [name for name, family in families.FAMILIES.items() if family.word_vectors]
# Frequent words of the SMS slice, and one the slice does not hold.
WORDS = ["you", "to", "call", "free", "zzqxw"]


class TestNamedWordVectors(TestCase):
    def test_every_word_family_can_start_from_glove(self):
        assert set(WORD_FAMILIES) == {"multi_width_cnn", "lstm", "cnn_lstm"}

    @pytest.mark.timeout(300)
    @pytest.mark.parametrize("family", WORD_FAMILIES)
    def test_the_embedding_starts_from_the_named_vectors(
        self, family, tmp_path, shared_data, monkeypatch, caplog
    ):
        vectors = install_fake_glove(tmp_path, monkeypatch, WORDS)
        config = TrainConfig.from_dict(
            {
                "data": {
                    "preset": "sms_spam",
                    "max_rows": 200,
                    "validation_split": 0.25,
                    "data_dir": str(shared_data),
                },
                "family": family,
                "tokenizer": "word",
                "max_tokens": 300,
                "max_length": 16,
                "word_vectors": "glove-6b-50d",
                "freeze_embedding": True,
                "epochs": 1,
                "batch_size": 32,
                "patience": 0,
                "output_dir": str(tmp_path / "models"),
                "model_name": family,
            }
        )
        with caplog.at_level(logging.INFO, logger="tfcharnlp.models.word_vectors"):
            result = train(config)
        vocabulary = result.model.preprocessor.tokenizer.vocabulary
        table = result.model.backbone.token_embedding.embeddings.numpy()
        assert table.shape == (len(vocabulary), 3)  # the vectors' width
        for row, word in enumerate(WORDS[:4]):
            self.assertAllClose(table[vocabulary.index(word)], vectors[row])
        found = sum(word in vocabulary for word in WORDS)
        assert found == 4
        recorded = json.loads((config.model_dir / "train_config.json").read_text())
        coverage = recorded["word_vectors_coverage"]
        assert coverage == {
            "found": found,
            "total": len(vocabulary) - 1,
            "share": round(found / (len(vocabulary) - 1), 4),
        }
        assert result.recorded_config["word_vectors_coverage"] == coverage
        assert f"glove-6b-50d: {found} of {len(vocabulary) - 1} words found" in caplog.text
