import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models.character_dropout import CharacterDropout


class TestCharacterDropout(TestCase):
    def setup_method(self):
        self.ids = np.random.randint(1, 50, size=(64, 200)).astype("int32")

    def test_drops_to_padding_in_training_only(self):
        layer = CharacterDropout(0.25, seed=1)
        self.assertAllEqual(layer(self.ids), self.ids)
        dropped = np.asarray(layer(self.ids, training=True))
        changed = dropped != self.ids
        # Every change is to padding, and about a quarter of the ids change.
        assert (dropped[changed] == 0).all()
        assert 0.22 < changed.mean() < 0.28

    def test_new_drops_each_call(self):
        layer = CharacterDropout(0.25, seed=1)
        first = np.asarray(layer(self.ids, training=True))
        assert (first != np.asarray(layer(self.ids, training=True))).any()

    def test_saving(self):
        restored = CharacterDropout.from_config(CharacterDropout(0.1, seed=3).get_config())
        assert (restored.rate, restored.seed) == (0.1, 3)

    def test_bad_rate(self):
        with pytest.raises(ConfigError, match="rate"):
            CharacterDropout(1.0)
