import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.models.toy_preprocessor import ToyCharPreprocessor
from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.models import CharGRUBackbone, CharGRUCausalLM, GreedySampler, TopKSampler
from tfcharnlp.models.char_gru_causal_lm import GENERATION_CHUNK


def backbone(cell="gru"):
    return CharGRUBackbone(
        vocabulary_size=11, embedding_dim=4, hidden_units=8, num_layers=2, cell=cell
    )


def language_model(cell="gru", preprocessor=None):
    model = CharGRUCausalLM(backbone(cell), preprocessor=preprocessor)
    # Sharper logits than fresh weights give, so sampling differs from greedy.
    kernel, bias = model.lm_head.get_weights()
    model.lm_head.set_weights([kernel * 20.0, bias])
    return model


class TestCharGRUCausalLM(TestCase):
    def setup_method(self):
        self.ids = np.random.randint(2, 11, size=(3, 9)).astype("int32")

    def test_task_basics(self):
        self.run_layer_test(
            CharGRUCausalLM,
            init_kwargs=lambda: {"backbone": backbone()},
            input_data=self.ids[:, :-1],
            expected_output_shape=(3, 8, 11),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            targets=self.ids[:, 1:],
        )

    def test_saving_with_preprocessor(self):
        model = language_model("lstm", ToyCharPreprocessor())
        restored = self.run_model_saving_test(CharGRUCausalLM, None, self.ids, model=model)
        assert restored.generate("bad", length=5, temperature=0) == model.generate(
            "bad", length=5, temperature=0
        )

    @pytest.mark.parametrize("cell", ["gru", "lstm"])
    def test_step_logits_equal_full_sequence_logits(self, cell):
        model = language_model(cell)
        full = model(self.ids)
        logits, states = model.next_token_logits(self.ids, model.initial_states(3))
        assert logits.dtype == tf.float32
        self.assertAllClose(logits, full[:, -1], atol=1e-5)
        # The same through a flattened state, one id at a time, in a tf.function.
        step = tf.function(
            lambda ids, flat: [
                model.flatten_states(part) if index else part
                for index, part in enumerate(
                    model.next_token_logits(ids, model.unflatten_states(flat))
                )
            ]
        )
        flat = model.flatten_states(model.initial_states(3))
        assert flat.shape == (3, model.state_size)
        for position in range(9):
            logits, flat = step(self.ids[:, position], flat)
            self.assertAllClose(logits, full[:, position], atol=1e-5)

    def test_same_seed_same_text(self):
        model = language_model()
        first = model.generate(self.ids, length=12, temperature=1.0, top_k=5, seed=11)
        assert first.shape == (3, 12) and first.dtype == np.int32
        self.assertAllEqual(first, model.generate(self.ids, 12, 1.0, 5, seed=11))
        assert not np.array_equal(first, model.generate(self.ids, 12, 1.0, 5, seed=12))
        assert first.min() >= 2  # never padding or unknown

    def test_greedy_is_deterministic_and_follows_the_step_function(self):
        model = language_model("lstm")
        prompts = self.ids.copy()
        prompts[1, 4:] = 0  # rows of different prompt lengths
        generated = model.generate(prompts, length=6, temperature=0.0, seed=1)
        self.assertAllEqual(generated, model.generate(prompts, 6, temperature=0.0, seed=2))
        self.assertAllEqual(generated, model.generate(prompts, 6, sampler=GreedySampler()))
        for row in range(3):
            prompt = prompts[row][prompts[row] > 0][None, :]
            logits, states = model.next_token_logits(prompt, model.initial_states(1))
            expected = []
            for _ in range(6):
                token = int(np.argmax(logits[0, 2:])) + 2
                expected.append(token)
                logits, states = model.next_token_logits(np.array([[token]]), states)
            self.assertAllEqual(generated[row], expected)

    def test_greedy_across_chunks_follows_the_step_function(self):
        # Prompts and continuations that cross several of the loop's chunks,
        # with rows whose prompts end in different chunks.
        model = language_model()
        chunk = GENERATION_CHUNK
        prompts = np.random.randint(2, 11, size=(3, chunk + 5)).astype("int32")
        prompts[1, 3:] = 0
        prompts[2, chunk - 1 :] = 0
        length = 2 * chunk + 7
        generated = model.generate(prompts, length=length, temperature=0.0)
        for row in range(3):
            prompt = prompts[row][prompts[row] > 0][None, :]
            logits, states = model.next_token_logits(prompt, model.initial_states(1))
            expected = []
            for _ in range(length):
                token = int(np.argmax(logits[0, 2:])) + 2
                expected.append(token)
                logits, states = model.next_token_logits(np.array([[token]]), states)
            self.assertAllEqual(generated[row], expected)

    @pytest.mark.parametrize("cell", ["gru", "lstm"])
    def test_xla_loop_writes_the_same_ids(self, cell):
        model = language_model(cell)
        prompts = np.random.randint(2, 11, size=(5, 12)).astype("int32")
        prompts[1, 2:] = 0
        prompts[3, 7:] = 0
        controls = {
            "length": [40, 3, 70, 1, 33],
            "temperature": [1.0, 0.0, 2.0, 0.7, 1.3],
            "top_k": [0, 0, 3, 1, 5],
            "seed": [1, 2, 3, 4, 2**40],
        }
        plain = model.generate(prompts, **controls)
        self.assertAllEqual(plain, model.generate(prompts, **controls, jit_compile=True))
        # Any batch size (the XLA loop pads rows to a power of two), a row alone too.
        alone = model.generate(prompts[2:3], 70, 2.0, 3, seed=3, jit_compile=True)
        self.assertAllEqual(alone[0], plain[2])

    def test_generation_loop_is_one_graph(self):
        model = language_model()
        function = model.generate_function()
        assert function is model.generate_function()
        graph = function.get_concrete_function().graph
        assert any(op.type in ("While", "StatelessWhile") for op in graph.get_operations())
        # One control value per row.
        specs = function.input_signature
        assert [spec.shape.as_list() for spec in specs[1:]] == [[None]] * 4
        assert specs[4].dtype == tf.int64
        ids = function(self.ids, [4, 4, 4], [0.0, 0.0, 0.0], [0, 0, 0], [0, 0, 0])
        self.assertAllEqual(ids, model.generate(self.ids, 4, temperature=0.0))
        empty = function(tf.zeros((0, 3), tf.int32), [], [], [], [])
        assert empty.shape == (0, 0)

    def test_custom_sampler_is_reproducible(self):
        model = language_model()
        sampler = TopKSampler(k=3, temperature=1.5)
        first = model.generate(self.ids, 8, seed=5, sampler=sampler)
        self.assertAllEqual(first, model.generate(self.ids, 8, seed=5, sampler=sampler))

    def test_string_prompts_through_the_preprocessor(self):
        model = language_model(preprocessor=ToyCharPreprocessor())
        texts = model.generate(["bad", "a"], length=7, temperature=0.8, seed=3)
        assert len(texts) == 2 and all(len(text) == 7 for text in texts)
        assert set("".join(texts)) <= set("abcdefgh ")
        assert texts == model.generate(["bad", "a"], length=7, temperature=0.8, seed=3)

    def test_a_row_does_not_depend_on_the_rest_of_the_batch(self):
        model = language_model(preprocessor=ToyCharPreprocessor())
        controls = {"length": 15, "temperature": 1.3, "top_k": 4, "seed": 2**40 + 7}
        alone = model.generate(["bad cafe"], **{k: [v] for k, v in controls.items()})
        batch = model.generate(
            ["a", "hhh", "", "bad cafe", "fed a bag"],
            length=[3, 9, 20, controls["length"], 1],
            temperature=[0.0, 2.0, 1.0, controls["temperature"], 0.5],
            top_k=[0, 1, 7, controls["top_k"], 0],
            seed=[1, 2, 3, controls["seed"], 5],
        )
        assert batch[3] == alone[0] and len(alone[0]) == 15
        assert [len(text) for text in batch] == [3, 9, 20, 15, 1]
        # Scalar controls are shared by the rows: the same as repeating them.
        assert model.generate(["bad cafe"], **controls) == alone
        # Ids in, ids out: rows padded with 0 past their own length.
        ids = model.generate(self.ids, length=[2, 5, 3], temperature=1.0, seed=[4, 5, 6])
        assert ids.shape == (3, 5)
        self.assertAllEqual(ids[0, 2:], [0, 0, 0])
        self.assertAllEqual(ids[2, 3:], [0, 0])
        assert ids[:, :2].min() >= 2
        self.assertAllEqual(ids[1], model.generate(self.ids[1:2], 5, 1.0, seed=5)[0])

    def test_top_k_1_and_zero_temperature_are_greedy(self):
        model = language_model()
        greedy = model.generate(self.ids, 8, temperature=0.0)
        for seed in (1, 2):
            self.assertAllEqual(greedy, model.generate(self.ids, 8, 2.0, top_k=1, seed=seed))
        mixed = model.generate(self.ids, 8, temperature=[0.0, 1.5, -1.0], top_k=[5, 1, 0], seed=9)
        self.assertAllEqual(mixed, greedy)

    def test_string_prompts_with_a_ragged_tokenizer(self):
        # A tokenizer without max_length gives ragged ids; prompts longer
        # than the dense tokenizer's 16 characters are read whole.
        model = language_model(preprocessor=ToyCharPreprocessor(max_length=None))
        prompts = ["bad", "a bad cafe faced a bad deed, a bag", ""]
        texts = model.generate(prompts, length=6, temperature=0.0)
        assert [len(text) for text in texts] == [6, 6, 6]
        dense = language_model(preprocessor=ToyCharPreprocessor(max_length=16))
        dense.set_weights(model.get_weights())
        assert dense.generate(prompts, 6, temperature=0.0)[0] == texts[0]
        long_ids = model.preprocessor(tf.constant(prompts[1:2])).to_tensor().numpy()
        assert long_ids.shape[1] > 16
        assert texts[1:2] == model.detokenize(model.generate(long_ids, 6, temperature=0.0))

    def test_bad_requests(self):
        model = language_model()
        with pytest.raises(ConfigError, match="length"):
            model.generate(self.ids, length=0)
        with pytest.raises(ConfigError, match="length"):
            model.generate(self.ids, length=[3, 0, 2])
        with pytest.raises(ConfigError, match="seed"):
            model.generate(self.ids, length=3, seed=[1, 2])
        with pytest.raises(ConfigError, match="preprocessor"):
            model.generate("abc", length=3)
