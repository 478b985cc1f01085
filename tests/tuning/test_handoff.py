import json

import keras_tuner
import pytest

from tests.test_case import TestCase
from tfcharnlp.constants import SAVED_MODEL_FILE, TRAINING_CONFIG_ASSET
from tfcharnlp.export.export_model import export_trained
from tfcharnlp.training.run_data import read_language_model_data
from tfcharnlp.training.train_config import TrainConfig
from tuning import handoff, search_space

TEXT = "to be, or not to be, that is the question:\nwhether 'tis nobler in the mind to suffer\n" * 8


@pytest.mark.integration
class TestHandoff(TestCase):
    def test_the_best_values_retrain_through_train_and_export(self, tmp_path):
        path = tmp_path / "play.txt"
        path.write_text(TEXT)
        config = TrainConfig.from_dict(
            {
                "data": {"path": str(path), "format": "text", "validation_split": 0.2},
                "family": "char_gru",
                "seq_length": 12,
                "batch_size": 8,
                "embedding_dim": 8,
                "hidden_units": 16,
                "num_layers": 1,
                "dropout": 0.0,
                "epochs": 1,
                "sample_length": 10,
                "output_dir": str(tmp_path / "runs"),
                "model_name": "bard",
            }
        ).resolve()
        data = read_language_model_data(config)
        hypermodel = search_space.get_hypermodel(config, data.inputs)
        hp = keras_tuner.HyperParameters.from_config(
            search_space.search_space_of(hypermodel).get_config()
        )
        hp.values.update(embedding_dim=32, hidden_units=128, cell="lstm")
        best_path = tmp_path / "best_hyperparameters.json"
        search_space.save_hyperparameters(hp, best_path)

        retrain = handoff.best_config(hypermodel, best_path, epochs=2)
        assert (retrain.hidden_units, retrain.embedding_dim, retrain.cell) == (128, 32, "lstm")
        assert retrain.epochs == 2 and retrain.seq_length == 12  # the rest is the run's config

        result = handoff.retrain_best(hypermodel, best_path, epochs=1)
        # `train()`'s whole path: model folder, report, sample, the recorded config.
        folder = tmp_path / "runs" / "bard"
        assert result.model_dir == folder
        for name in ("model.keras", "train_config.json", "report.json", "sample.txt"):
            assert (folder / name).is_file(), name
        recorded = json.loads((folder / "train_config.json").read_text())
        assert (recorded["hidden_units"], recorded["cell"]) == (128, "lstm")
        assert result.model.backbone.hidden_units == 128
        assert result.model.backbone.cell == "lstm"

        version = export_trained(result, base=tmp_path / "models", extra_config={"tuned_by": "t"})
        assert version == tmp_path / "models" / "bard" / "1"
        assert (version / SAVED_MODEL_FILE).is_file()
        exported = json.loads((version / "assets" / TRAINING_CONFIG_ASSET).read_text())
        assert exported["hidden_units"] == 128 and exported["tuned_by"] == "t"
