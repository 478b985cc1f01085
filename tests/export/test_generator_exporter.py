import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from tests.export.tiny_models import tiny_char_lm
from tests.test_case import TestCase
from tfcharnlp import constants
from tfcharnlp.errors import ExportError
from tfcharnlp.export import GeneratorExporter, read_saved_model_proto, read_warmup_requests
from tfcharnlp.export.export_assets import read_vocabulary_file

MAX_LENGTH = 300


@pytest.fixture(scope="module")
def language_model():
    return tiny_char_lm()


@pytest.fixture(scope="module")
def exported(language_model, tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("generator") / "1"
    GeneratorExporter(
        language_model,
        training_config={"family": "char_gru"},
        max_generation_length=MAX_LENGTH,
        model_name="shakespeare",
    ).write(str(export_dir))
    return export_dir


@pytest.fixture(scope="module")
def generate(exported):
    return generator(exported)


def generator(export_dir):
    """A call of the SavedModel's generation signature with Python values."""
    signature = tf.saved_model.load(str(export_dir)).signatures[constants.SERVING_SIGNATURE]

    def call(prompts, length=20, temperature=1.0, top_k=0, seed=0):
        """One value per prompt for each control; a single value is repeated."""

        def per_prompt(value, dtype):
            values = np.broadcast_to(np.asarray(value), [len(prompts)])
            return tf.constant(values, dtype, shape=[len(prompts)])

        outputs = signature(
            **{
                constants.GENERATOR_PROMPT: tf.constant(prompts, tf.string, shape=[len(prompts)]),
                constants.GENERATOR_LENGTH: per_prompt(length, tf.int32),
                constants.GENERATOR_TEMPERATURE: per_prompt(temperature, tf.float32),
                constants.GENERATOR_TOP_K: per_prompt(top_k, tf.int32),
                constants.GENERATOR_SEED: per_prompt(seed, tf.int64),
            }
        )
        return [text.decode("utf-8") for text in outputs[constants.GENERATOR_OUTPUT].numpy()]

    call._signature = signature
    return call


def python_greedy(model, prompt, length):
    """The reference: the in-memory model stepped from Python, argmax each time."""
    ids = model.preprocessor(tf.constant([prompt]))[0].numpy().tolist()
    states = model.initial_states(1)
    for token in ids:
        logits, states = model.next_token_logits(tf.constant([token], tf.int32), states)
    out = []
    for _ in range(length):
        logits = logits.numpy()[0]
        logits[:2] = -np.inf  # Padding and unknown are never generated.
        token = int(np.argmax(logits))
        out.append(token)
        logits, states = model.next_token_logits(tf.constant([token], tf.int32), states)
    return prompt + "".join(model.preprocessor.vocabulary[token] for token in out)


def first_character_counts(generate, prompt, samples, **controls):
    # One seed per row: rows with the same prompt and seed draw the same text.
    texts = generate([prompt] * samples, length=1, seed=np.arange(samples), **controls)
    return {
        character: sum(t[-1] == character for t in texts) for character in {t[-1] for t in texts}
    }


def entropy(counts):
    p = np.array(list(counts.values()), dtype=np.float64)
    p /= p.sum()
    return float(-(p * np.log(p)).sum())


class TestGeneratorExporter(TestCase):
    def test_signature_contract(self, exported, language_model):
        meta_graph = read_saved_model_proto(exported).meta_graphs[0]
        serving = meta_graph.signature_def[constants.SERVING_SIGNATURE]
        assert serving.method_name == constants.PREDICT_METHOD_NAME
        # Every input has the batch dimension, as TF Serving's batching needs.
        expected_inputs = {
            constants.GENERATOR_PROMPT: (tf.string, [-1]),
            constants.GENERATOR_LENGTH: (tf.int32, [-1]),
            constants.GENERATOR_TEMPERATURE: (tf.float32, [-1]),
            constants.GENERATOR_TOP_K: (tf.int32, [-1]),
            constants.GENERATOR_SEED: (tf.int64, [-1]),
        }
        assert set(serving.inputs) == set(expected_inputs)
        for name, (dtype, shape) in expected_inputs.items():
            assert serving.inputs[name].dtype == dtype.as_datatype_enum, name
            assert [d.size for d in serving.inputs[name].tensor_shape.dim] == shape, name
        assert list(serving.outputs) == [constants.GENERATOR_OUTPUT]
        step = meta_graph.signature_def[constants.NEXT_CHAR_SIGNATURE]
        assert set(step.inputs) == {constants.STEP_IDS, constants.STEP_STATE}
        assert set(step.outputs) == {constants.STEP_LOGITS, constants.STEP_STATE}
        vocabulary_size = language_model.vocabulary_size
        logits_shape = [d.size for d in step.outputs[constants.STEP_LOGITS].tensor_shape.dim]
        assert logits_shape == [-1, vocabulary_size]
        assets = sorted(asset.filename for asset in meta_graph.asset_file_def)
        assert assets == [constants.TRAINING_CONFIG_ASSET, constants.TOKEN_VOCABULARY_ASSET]

    def test_same_seed_same_text_other_seed_other_text(self, generate):
        prompts = ["to be or not", "the king"]
        first = generate(prompts, length=40, seed=7)
        assert generate(prompts, length=40, seed=7) == first
        assert generate(prompts, length=40, seed=8) != first
        for prompt, text in zip(prompts, first, strict=True):
            assert text.startswith(prompt) and len(text) == len(prompt) + 40

    def test_a_prompt_does_not_depend_on_the_rest_of_the_batch(self, generate):
        # The same prompt, controls and seed: alone, and at row 3 of a batch
        # of 5 with other prompts, lengths, temperatures, top-k and seeds.
        alone = generate(["o romeo"], length=30, temperature=0.9, top_k=6, seed=2**40 + 3)
        batch = generate(
            ["the king", "", "zz", "o romeo", "and so we go"],
            length=[5, 40, 1, 30, 12],
            temperature=[1.0, 2.0, 0.0, 0.9, 0.5],
            top_k=[0, 3, 0, 6, 1],
            seed=[1, 2, 3, 2**40 + 3, 4],
        )
        assert batch[3] == alone[0]
        lengths = [
            len(text) - len(prompt)
            for text, prompt in zip(
                batch, ["the king", "", "zz", "o romeo", "and so we go"], strict=True
            )
        ]
        assert lengths == [5, 40, 1, 30, 12]
        # Repeating the prompt in one batch with one seed gives one text.
        assert generate(["o romeo"] * 3, 30, 0.9, 6, seed=2**40 + 3) == alone * 3

    def test_greedy_matches_the_in_memory_model(self, generate, language_model):
        prompts = ["hello", "a much longer prompt, with punctuation!"]
        expected = [python_greedy(language_model, prompt, 25) for prompt in prompts]
        # Rows of different prompt lengths in one batch give each row's own result.
        assert generate(prompts, length=25, temperature=0.0) == expected
        assert generate(prompts[1:], length=25, temperature=0.0, seed=3) == expected[1:]
        # top_k=1 keeps only the most likely character: it is greedy at any temperature.
        for seed in (1, 2):
            assert generate(prompts, length=25, temperature=1.5, top_k=1, seed=seed) == expected

    def test_top_k_restricts_the_choice(self, generate, language_model):
        prompt = "the "
        logits, states = None, language_model.initial_states(1)
        for token in language_model.preprocessor(tf.constant([prompt]))[0].numpy():
            logits, states = language_model.next_token_logits(tf.constant([token]), states)
        logits = logits.numpy()[0]
        logits[:2] = -np.inf
        top_two = {language_model.preprocessor.vocabulary[i] for i in np.argsort(logits)[-2:]}
        counts = first_character_counts(generate, prompt, 400, temperature=3.0, top_k=2)
        assert set(counts) == top_two
        unrestricted = first_character_counts(generate, prompt, 400, temperature=3.0, top_k=0)
        assert len(unrestricted) > 2

    def test_higher_temperature_spreads_the_distribution(self, generate):
        cold = first_character_counts(generate, "and ", 500, temperature=0.3)
        warm = first_character_counts(generate, "and ", 500, temperature=1.0)
        hot = first_character_counts(generate, "and ", 500, temperature=3.0)
        assert entropy(cold) < entropy(warm) < entropy(hot)
        assert len(cold) <= len(warm) <= len(hot)
        assert len(hot) > len(cold)

    def test_prompt_characters_outside_the_vocabulary(self, generate):
        # "ü", "é" and "☃" are not in the alphabet: all read as the unknown id,
        # so with one seed the continuations are equal, and the prompt is
        # returned verbatim.
        prompts = ["zürich ☃", "zérich é", "zurich u"]
        texts = generate(prompts, length=30, seed=5)
        continuations = [text[len(prompt) :] for prompt, text in zip(prompts, texts, strict=True)]
        assert [text[: len(prompt)] for prompt, text in zip(prompts, texts, strict=True)] == prompts
        assert continuations[0] == continuations[1]
        assert continuations[0] != continuations[2]
        for text in texts:
            assert "\ufffd" not in text  # The unknown id is never generated.

    def test_edge_cases(self, generate):
        assert generate(["abc", ""], length=0) == ["abc", ""]
        assert generate([], length=10) == []
        empty_prompt = generate([""], length=12, seed=1)[0]
        assert len(empty_prompt) == 12
        with pytest.raises(tf.errors.InvalidArgumentError, match="length"):
            generate(["abc"], length=MAX_LENGTH + 1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="length"):
            generate(["abc"], length=-1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="length"):
            generate(["abc", "d"], length=[3, MAX_LENGTH + 1])
        # Rows of length 0 next to others keep their prompt only.
        assert generate(["abc", "d"], length=[0, 4], seed=1)[0] == "abc"
        # A single value, as a vector of one, is used for every prompt; a
        # scalar is refused in-graph (the signature takes vectors, as TF
        # Serving's batching needs).
        controls = {
            constants.GENERATOR_PROMPT: tf.constant(["ab", "cd"]),
            constants.GENERATOR_LENGTH: tf.constant([6]),
            constants.GENERATOR_TEMPERATURE: tf.constant([0.8]),
            constants.GENERATOR_TOP_K: tf.constant([0]),
            constants.GENERATOR_SEED: tf.constant([3], tf.int64),
        }
        single = generate._signature(**controls)[constants.GENERATOR_OUTPUT].numpy()
        assert [t.decode() for t in single] == generate(["ab", "cd"], 6, 0.8, 0, 3)
        with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible"):
            generate._signature(**{**controls, constants.GENERATOR_LENGTH: tf.constant(6)})
        # One value per prompt (or a single one), else a clear error.
        with pytest.raises(tf.errors.InvalidArgumentError, match="one value per prompt"):
            generate._signature(
                **{
                    constants.GENERATOR_PROMPT: tf.constant(["a", "b"]),
                    constants.GENERATOR_LENGTH: tf.constant([3, 4, 5], tf.int32),
                    constants.GENERATOR_TEMPERATURE: tf.constant([1.0, 1.0]),
                    constants.GENERATOR_TOP_K: tf.constant([0, 0], tf.int32),
                    constants.GENERATOR_SEED: tf.constant([1, 2], tf.int64),
                }
            )

    def test_next_char_logits_matches_the_model_step(self, exported, language_model):
        step = tf.saved_model.load(str(exported)).signatures[constants.NEXT_CHAR_SIGNATURE]
        ids = tf.constant([3, 10, 1], tf.int32)
        state = tf.zeros([3, language_model.state_size])
        outputs = step(**{constants.STEP_IDS: ids, constants.STEP_STATE: state})
        logits, states = language_model.next_token_logits(
            ids, language_model.unflatten_states(state)
        )
        self.assertAllClose(outputs[constants.STEP_LOGITS], logits, atol=1e-5)
        flat = language_model.flatten_states(states)
        self.assertAllClose(outputs[constants.STEP_STATE], flat, atol=1e-5)

    def test_vocabulary_asset_and_warmup(self, exported, language_model):
        loaded = tf.saved_model.load(str(exported))
        path = loaded.token_vocabulary.asset_path.numpy().decode()
        assert read_vocabulary_file(path) == language_model.preprocessor.vocabulary
        logs = read_warmup_requests(exported)
        assert len(logs) == 2
        for log in logs:
            request = log.predict_log.request
            assert request.model_spec.name == "shakespeare"
            inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
            outputs = loaded.signatures[request.model_spec.signature_name](**inputs)
            assert outputs  # Runs, and answers.
        inputs = logs[0].predict_log.request.inputs
        prompts = tf.make_ndarray(inputs[constants.GENERATOR_PROMPT])
        assert len(prompts) >= 1
        # The warmup request batches as traffic does: every control per prompt.
        for key in inputs:
            assert tf.make_ndarray(inputs[key]).shape == prompts.shape, key

    def test_same_text_in_a_process_without_tfcharnlp(self, exported, generate):
        expected = generate(["o romeo"], length=30, temperature=0.8, top_k=5, seed=11)
        script = textwrap.dedent(
            f"""
            import json, sys
            import tensorflow as tf
            import tensorflow_text  # noqa: F401
            model = tf.saved_model.load({str(exported)!r})
            out = model.signatures["serving_default"](
                prompt=tf.constant(["o romeo"]), length=tf.constant([30]),
                temperature=tf.constant([0.8]), top_k=tf.constant([5]),
                seed=tf.constant([11], tf.int64))["text"]
            assert "tfcharnlp" not in sys.modules and "tests" not in sys.modules
            print(json.dumps([t.decode("utf-8") for t in out.numpy()]))
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd="/"
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout.strip().splitlines()[-1]) == expected

    def test_xla_export_writes_the_same_text(self, language_model, exported, generate, tmp_path):
        xla_dir = tmp_path / "1"
        GeneratorExporter(language_model, max_generation_length=MAX_LENGTH, jit_compile=True).write(
            str(xla_dir)
        )

        def xla_functions(export_dir):
            library = read_saved_model_proto(export_dir).meta_graphs[0].graph_def.library
            return [f for f in library.function if f.attr["_XlaMustCompile"].b]

        # The default export runs on any TensorFlow Serving; only the opt-in one needs XLA.
        assert not xla_functions(exported) and xla_functions(xla_dir)
        prompts = ["the king", "", "o romeo, romeo", "zz"]
        controls = {
            "length": [70, 5, 40, 1],
            "temperature": [1.0, 0.0, 0.8, 2.0],
            "top_k": [0, 0, 5, 3],
            "seed": [1, 2, 3, 2**40],
        }
        assert generator(xla_dir)(prompts, **controls) == generate(prompts, **controls)

    def test_models_without_a_step_function_are_refused(self, language_model):
        classifier_like = tf.keras.Sequential([tf.keras.layers.Dense(2)])
        with pytest.raises(ExportError, match="generate_ids"):
            GeneratorExporter(classifier_like)
