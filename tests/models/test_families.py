"""The family registry: entries, recipes, and the config -> model mapping."""

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import tfcharnlp.models
from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import families
from tfcharnlp.models.backbone import Backbone
from tfcharnlp.training.model_setup import ModelInputs, build_model
from tfcharnlp.training.train_config import TrainConfig

# Small sizes per family, so every family builds in a moment.
TINY = {
    "char_cnn": {"max_length": 128, "model_options": {"filters": 4, "dense_units": 8}},
    "multi_width_cnn": {"max_length": 16, "embedding_dim": 4},
    "lstm": {"max_length": 16, "embedding_dim": 4, "hidden_units": 4},
    "cnn_lstm": {"max_length": 16, "embedding_dim": 4, "hidden_units": 4},
    "ngram_bag": {"max_length": 16, "embedding_dim": 4, "buckets": 10},
    "char_gru": {"embedding_dim": 4, "hidden_units": 4, "num_layers": 1},
}


class TestFamilies(TestCase):
    def test_the_registry_lists_every_family_once(self):
        assert families.FAMILY_NAMES == tuple(TINY)
        assert families.family_names(families.LANGUAGE_MODEL) == ("char_gru",)
        for name, family in families.FAMILIES.items():
            assert family.name == name
            assert issubclass(family.backbone_class(), Backbone)
            assert family.task in (families.CLASSIFIER, families.LANGUAGE_MODEL)

    @pytest.mark.parametrize("family", sorted(TINY))
    def test_each_family_builds_from_a_config(self, family):
        config = TrainConfig.from_dict(
            {"data": {"path": "x.csv"}, "family": family, "dropout": 0.25, **TINY[family]}
        ).resolve()
        spec = families.get_family(family)
        num_classes = None if spec.is_language_model else 3
        model = build_model(config, ModelInputs(vocabulary_size=12, num_classes=num_classes))
        assert isinstance(model.backbone, spec.backbone_class())
        length = config.max_length if family != "char_gru" else 9
        outputs = model(np.random.randint(0, 12, size=(2, length)).astype("int32"))
        assert outputs.shape[-1] == (12 if spec.is_language_model else 3)
        backbone = model.backbone.get_config()
        # Where the config's dropout goes is the family's rule, stated in the registry.
        if family in ("char_cnn", "char_gru"):
            assert backbone["dropout"] == 0.25
        else:
            assert model.get_config()["dropout"] == 0.25 and backbone["dropout"] == 0.0
        keras.backend.clear_session()

    @pytest.mark.parametrize("family", sorted(TINY))
    def test_every_recipe_sets_the_fields_of_the_default(self, family):
        spec = families.get_family(family)
        assert set(spec.fields) <= set(families.RECIPE_FIELDS)
        for name in spec.recipes:
            assert tuple(spec.recipe(name)) == spec.fields, name
            config = TrainConfig.from_dict(
                {"data": {"path": "x.csv"}, "family": family, "recipe": name}
            ).resolve()
            for field, value in spec.recipe(name).items():
                assert getattr(config, field) == value, (name, field)

    def test_unknown_names_are_config_errors(self):
        with pytest.raises(ConfigError) as raised:
            families.get_family("transformer")
        assert raised.value.field == "family"
        with pytest.raises(ConfigError) as raised:
            families.get_family("lstm").recipe("paper")
        assert raised.value.field == "recipe"
        assert "'default'" in str(raised.value)

    def test_help_texts(self):
        assert families.recipe_defaults("monitor") == (
            "char_cnn val_accuracy, multi_width_cnn val_accuracy, lstm val_accuracy, "
            "cnn_lstm val_accuracy, ngram_bag val_accuracy, char_gru val_loss"
        )
        assert "ngram_bag sparse_adam" in families.recipe_defaults("optimizer")
        assert families.recipe_defaults("patience").startswith("char_cnn 24, multi_width_cnn 3")
        assert families.recipe_defaults("seq_length") == "char_gru 100"
        assert families.recipe_defaults("embedding_dim").startswith("char_cnn none, ")
        lines = families.describe_recipes().splitlines()
        assert len(lines) == sum(len(f.recipes) for f in families.FAMILIES.values())
        assert any(line.startswith("  char_cnn --recipe paper: ") for line in lines)

    def test_the_readme_states_every_default_recipe(self):
        readme = (Path(__file__).parents[2] / "README.md").read_text()
        start = readme.index("<!-- recipes:")
        block = readme[start : readme.index("<!-- /recipes -->")]
        assert f"```text\n{families.describe_recipes()}\n```" in block

    def test_exports_are_the_named_objects_not_modules(self):
        tfcharnlp.models.register_all()  # every submodule imported: none may shadow a name
        for name in tfcharnlp.models.__all__:
            assert not isinstance(getattr(tfcharnlp.models, name), type(sys)), name


def test_the_registry_imports_without_tensorflow():
    code = (
        "import sys, tfcharnlp.models.families as f; f.get_family('lstm').recipe(); "
        "sys.exit(1 if 'tensorflow' in sys.modules or 'keras' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
