"""The exporters with the project's own layers and models (TextPreprocessor, TextClassifier, CharGRUCausalLM)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from tests.serving import exported_families
from tests.test_case import TestCase
from tfcharnlp import constants
from tfcharnlp.export import ModelRepository, export_model, read_warmup_requests
from tfcharnlp.models import (
    CharGRUCausalLM,
    LSTMBackbone,
    TextClassifier,
)
from tfcharnlp.preprocessing import CharTokenizer, TextPreprocessor, WordTokenizer

LABELS = ["World", "Sports", "Business", "Sci/Tech"]
SHAKESPEARE = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n"
)


@pytest.fixture(scope="module")
def classifier():
    return exported_families.char_classifier()


@pytest.fixture(scope="module")
def language_model():
    return exported_families.generator()


def generator_inputs(prompts, length, temperature, top_k, seed):
    """The generator signature's inputs: each control one value per prompt."""

    def per_prompt(value, dtype):
        return tf.constant(np.broadcast_to(np.asarray(value), [len(prompts)]), dtype)

    return {
        constants.GENERATOR_PROMPT: tf.constant(prompts),
        constants.GENERATOR_LENGTH: per_prompt(length, tf.int32),
        constants.GENERATOR_TEMPERATURE: per_prompt(temperature, tf.float32),
        constants.GENERATOR_TOP_K: per_prompt(top_k, tf.int32),
        constants.GENERATOR_SEED: per_prompt(seed, tf.int64),
    }


class TestTfcharnlpModelsExport(TestCase):
    def test_text_classifier_has_no_skew(self, classifier, real_texts, tmp_path):
        self.run_export_test(classifier, real_texts, tmp_path / "1", labels=LABELS)

    def test_word_level_classifier_lookup_table_travels_with_the_model(self, real_texts, tmp_path):
        tokenizer = WordTokenizer(max_tokens=500, max_length=24, lowercase=True)
        tokenizer.adapt(real_texts)
        preprocessor = TextPreprocessor(tokenizer=tokenizer)
        backbone = LSTMBackbone(
            vocabulary_size=preprocessor.vocabulary_size, embedding_dim=8, hidden_units=8
        )
        classifier = TextClassifier(backbone, num_classes=len(LABELS), preprocessor=preprocessor)
        self.run_export_test(classifier, real_texts, tmp_path / "1", labels=LABELS)

    def test_language_model_with_a_ragged_tokenizer(self, language_model, tmp_path):
        tokenizer = CharTokenizer.from_text(SHAKESPEARE, max_length=None)
        ragged_lm = CharGRUCausalLM(
            language_model.backbone, preprocessor=TextPreprocessor(tokenizer=tokenizer)
        )
        path = export_model(ragged_lm, tmp_path, "shakespeare")
        serve = tf.saved_model.load(str(path)).signatures[constants.SERVING_SIGNATURE]
        prompts = ["First Citizen:\nBefore we proceed any further, hear me", "All:"]
        outputs = serve(**generator_inputs(prompts, 20, 0.9, 4, 5))
        ids = tokenizer(tf.constant(prompts)).to_tensor()
        assert ids.shape[1] > 32  # Longer than the dense tokenizer's max_length.
        # String prompts straight into generate (ragged ids inside).
        expected = ragged_lm.generate(prompts, length=20, temperature=0.9, top_k=4, seed=5)
        assert expected == ragged_lm.detokenize(
            ragged_lm.generate(ids, length=20, temperature=0.9, top_k=4, seed=5)
        )
        texts = [t.decode("utf-8") for t in outputs[constants.GENERATOR_OUTPUT].numpy()]
        assert texts == [p + c for p, c in zip(prompts, expected, strict=True)]

    def test_text_classifier_answers_in_a_process_without_tfcharnlp(self, classifier, tmp_path):
        path = export_model(classifier, tmp_path, "news", labels=LABELS)
        texts = ["Ｓｔｏｃｋｓ RALLY", "Zürich café"]
        expected = tf.nn.softmax(classifier(classifier.preprocess(texts))).numpy().tolist()
        script = textwrap.dedent(
            f"""
            import json, sys
            import tensorflow as tf
            import tensorflow_text  # noqa: F401  (the normalizer's NFKC op)
            model = tf.saved_model.load({str(path)!r})
            out = model.signatures["serving_default"](text=tf.constant({texts!r}))
            assert "tfcharnlp" not in sys.modules
            print(json.dumps(out["probabilities"].numpy().tolist()))
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd="/"
        )
        assert result.returncode == 0, result.stderr[-2000:]
        self.assertAllClose(json.loads(result.stdout.strip().splitlines()[-1]), expected, atol=1e-5)

    def test_export_model_versions_and_warmup_name(self, classifier, tmp_path):
        first = export_model(classifier, tmp_path, "news", labels=LABELS)
        second = export_model(classifier, tmp_path, "news", labels=LABELS)
        assert (first.name, second.name) == ("1", "2")
        assert ModelRepository(tmp_path).versions("news") == [1, 2]
        logs = read_warmup_requests(second)
        assert {log.WhichOneof("log_type") for log in logs} == {"predict_log", "classify_log"}
        assert all(
            getattr(log, log.WhichOneof("log_type")).request.model_spec.name == "news"
            for log in logs
        )

    def test_char_gru_saved_model_writes_what_generate_writes(self, language_model, tmp_path):
        path = export_model(language_model, tmp_path, "shakespeare")
        loaded = tf.saved_model.load(str(path))
        serve = loaded.signatures[constants.SERVING_SIGNATURE]
        prompts = ["First Citizen:\n", "All:"]
        for temperature, top_k, seed in [(0.0, 0, 0), (1.0, 0, 3), (0.7, 5, 9)]:
            outputs = serve(**generator_inputs(prompts, 30, temperature, top_k, seed))
            texts = [t.decode("utf-8") for t in outputs[constants.GENERATOR_OUTPUT].numpy()]
            continuations = language_model.generate(
                prompts, length=30, temperature=temperature, top_k=top_k, seed=seed
            )
            assert texts == [p + c for p, c in zip(prompts, continuations, strict=True)]
        # Different controls per row, a seed beyond int32; and the row alone
        # writes what it writes at row 3 of the batch of 5.
        prompts = ["All:", "", "Speak", "First Citizen:\nYou", "hear me"]
        controls = ([3, 12, 1, 25, 7], [0.0, 1.5, 1.0, 0.8, 0.5], [0, 3, 1, 6, 0])
        seeds = [1, 2, 3, 2**40 + 5, 4]
        outputs = serve(**generator_inputs(prompts, *controls, seeds))
        texts = [t.decode("utf-8") for t in outputs[constants.GENERATOR_OUTPUT].numpy()]
        continuations = language_model.generate(prompts, *controls, seed=seeds)
        assert texts == [p + c for p, c in zip(prompts, continuations, strict=True)]
        assert [len(c) for c in continuations] == controls[0]
        alone = serve(**generator_inputs(prompts[3:4], 25, 0.8, 6, 2**40 + 5))
        assert alone[constants.GENERATOR_OUTPUT].numpy()[0].decode("utf-8") == texts[3]

    def test_char_gru_step_signature(self, language_model, tmp_path):
        path = export_model(language_model, tmp_path, "shakespeare")
        step = tf.saved_model.load(str(path)).signatures[constants.NEXT_CHAR_SIGNATURE]
        ids = tf.constant([2, 5], tf.int32)
        state = tf.random.normal([2, language_model.state_size])
        outputs = step(**{constants.STEP_IDS: ids, constants.STEP_STATE: state})
        logits, states = language_model.next_token_logits(
            ids, language_model.unflatten_states(state)
        )
        self.assertAllClose(outputs[constants.STEP_LOGITS], logits, atol=1e-5)
        self.assertAllClose(
            outputs[constants.STEP_STATE], language_model.flatten_states(states), atol=1e-5
        )
