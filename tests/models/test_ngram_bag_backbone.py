import keras
import numpy as np
import pytest

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import NGramBagBackbone, TextClassifier
from tfcharnlp.preprocessing import NGramTokenizer, TextNormalizer, TextPreprocessor

TINY = {"vocabulary_size": 50, "embedding_dim": 4}


def ngram_classifier():
    preprocessor = TextPreprocessor(
        tokenizer=NGramTokenizer(num_buckets=48, char_ngrams=(2, 3), max_length=12),
        normalizer=TextNormalizer(steps=("lower",)),
    )
    backbone = NGramBagBackbone(vocabulary_size=50, max_length=12, embedding_dim=4)
    return TextClassifier(backbone, num_classes=3, preprocessor=preprocessor)


class TestNGramBagBackbone(TestCase):
    def setup_method(self):
        self.ids = np.random.randint(0, 50, size=(3, 10)).astype("int32")
        self.ids[1] = 0  # an empty text

    def test_backbone_basics(self):
        self.run_layer_test(
            NGramBagBackbone,
            init_kwargs=TINY,
            input_data=self.ids,
            expected_output_shape=(3, 4),
            expected_num_trainable_weights=1,
        )

    def test_hidden_layers(self):
        self.run_layer_test(
            NGramBagBackbone,
            init_kwargs={**TINY, "hidden_units": (8, 6), "dropout": 0.1},
            input_data=self.ids,
            expected_output_shape=(3, 6),
            expected_num_trainable_weights=5,
        )

    def test_features_are_the_mean_embedding(self):
        backbone = NGramBagBackbone(**TINY)
        table = backbone.token_embedding.embeddings.numpy()
        ids = np.array([[4, 9, 0, 0]], dtype="int32")
        self.assertAllClose(backbone(ids), [(table[4] + table[9]) / 2])

    def test_saving(self):
        self.run_model_saving_test(NGramBagBackbone, {**TINY, "hidden_units": (5,)}, self.ids)

    def test_classifier_with_its_preprocessor_saves_as_keras(self):
        classifier = ngram_classifier()
        texts = ["Hello wörld", "", "a b c d e f g h i j k l m"]
        ids = classifier.preprocess(texts)
        restored = self.run_model_saving_test(TextClassifier, None, ids, model=classifier)
        assert isinstance(restored.preprocessor.tokenizer, NGramTokenizer)
        self.assertAllEqual(restored.preprocess(texts), ids)

    def test_classifier_exports_a_saved_model_taking_raw_text(self, tmp_path):
        classifier = ngram_classifier()
        texts = ["Great film!", "", "dull, dull, dull", "ünïcödé text"]
        self.run_export_test(classifier, texts, tmp_path / "1")

    def test_classifier_learns(self):
        # Two classes told apart only by a bigram, never by a word alone.
        texts = ["good not bad", "not good bad"] * 32
        labels = np.array([0, 1] * 32)
        preprocessor = TextPreprocessor(tokenizer=NGramTokenizer(num_buckets=1000, max_length=8))
        backbone = NGramBagBackbone(vocabulary_size=preprocessor.vocabulary_size, embedding_dim=8)
        classifier = TextClassifier(backbone, num_classes=2, preprocessor=preprocessor)
        classifier.compile(
            optimizer=keras.optimizers.SGD(2.0),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        classifier.fit(classifier.preprocess(texts), labels, batch_size=16, epochs=30, verbose=0)
        predicted = classifier.predict_texts(texts[:2]).argmax(axis=-1)
        self.assertAllEqual(predicted, [0, 1])

    @pytest.mark.parametrize(
        "kwargs, field",
        [
            ({"vocabulary_size": 0}, "vocabulary_size"),
            ({"embedding_dim": 0}, "embedding_dim"),
            ({"hidden_units": (4, 0)}, "hidden_units"),
            ({"dropout": 1.0}, "dropout"),
            ({"max_length": 0}, "max_length"),
        ],
    )
    def test_bad_configs(self, kwargs, field):
        with pytest.raises(ConfigError, match=field):
            NGramBagBackbone(**{**TINY, **kwargs})
