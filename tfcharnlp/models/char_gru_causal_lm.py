"""A character language model with an in-graph generation loop."""

import weakref

import keras
import numpy as np
import tensorflow as tf

from tfcharnlp.errors import ConfigError
from tfcharnlp.models.samplers import per_row, sample_next
from tfcharnlp.models.task import Task
from tfcharnlp.per_prompt import per_prompt

# Compiled generation functions, kept outside the model so that saving the
# model (Keras or SavedModel) does not trace them as part of its object graph.
_GENERATE_FUNCTIONS = weakref.WeakKeyDictionary()


@keras.saving.register_keras_serializable(package="tfcharnlp")
class CharGRUCausalLM(Task):
    """Next-character logits over a `CharGRUBackbone`, and text generation.

    Training: `model(ids)` gives float32 logits `[batch, sequence,
    vocabulary_size]`; fit on `(ids[:, :-1], ids[:, 1:])` windows with
    sparse cross-entropy from logits.

    Generation is built from one step function, `next_token_logits(ids,
    states) -> (logits of the last position, new states)`, made of plain
    TensorFlow ops; `generate_ids` runs it in a `tf.while_loop` (prompt
    first, then sampled characters) so the whole loop can be exported. The
    state layout is the backbone's: a flat list of float32 `[batch,
    hidden_units]` tensors, `[h_1, ..., h_L]` for GRU and `[h_1, c_1, ...,
    h_L, c_L]` for LSTM; `flatten_states` / `unflatten_states` convert to
    and from one `[batch, state_size]` tensor.

    Args:
        backbone: a `CharGRUBackbone`.
        preprocessor: optional Keras layer mapping raw strings to ids (0 =
            padding at the end); lets `generate` take and return strings
            (decoding with its `detokenize`, or its tokenizer's).

    Call arguments:
        token_ids: int32 `[batch, sequence]`.

    Returns:
        float32 logits `[batch, sequence, vocabulary_size]`.

    Example:
    ```python
    backbone = CharGRUBackbone(vocabulary_size=68, hidden_units=256, num_layers=2)
    lm = CharGRUCausalLM(backbone)
    lm.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    lm.fit(inputs, targets, epochs=1)
    ids = lm.generate(prompt_ids, length=100, temperature=0.8, top_k=5, seed=42)
    ```
    """

    def __init__(self, backbone, preprocessor=None, **kwargs):
        # === Layers ===
        self.lm_head = keras.layers.Dense(
            backbone.vocabulary_size, dtype="float32", name="next_token_logits"
        )

        # === Functional Model ===
        token_ids = backbone.input
        logits = self.lm_head(backbone(token_ids))
        super().__init__(inputs=token_ids, outputs=logits, **kwargs)
        self.attach(backbone, preprocessor)

    @property
    def vocabulary_size(self):
        return self.backbone.vocabulary_size

    @property
    def state_size(self):
        return self.backbone.state_size

    def initial_states(self, batch_size):
        """Zero states for `batch_size` sequences."""
        return self.backbone.initial_states(batch_size)

    def flatten_states(self, states):
        """The list of states -> one float32 `[batch, state_size]` tensor."""
        return self.backbone.flatten_states(states)

    def unflatten_states(self, flat_states):
        """One `[batch, state_size]` tensor -> the list of states."""
        return self.backbone.unflatten_states(flat_states)

    def next_token_logits(self, token_ids, states):
        """Feed `token_ids` `[batch, t]` (or `[batch]`) from `states` (inference mode).

        Returns:
            `(logits [batch, vocabulary_size] float32 at the last position,
            new_states)`.
        """
        features, states = self.backbone.step(token_ids, states)
        return self.lm_head(features[:, -1, :]), states

    def generate_ids(self, prompt_ids, length, temperature=1.0, top_k=0, seed=0, sampler=None):
        """Continue each row of `prompt_ids` by its `length` ids, in-graph (`tf.while_loop`).

        Each row's prompt is its ids up to the first padding (0); rows may
        differ in length. An empty prompt starts from the padding id. The
        padding (0) and unknown (1) ids are never generated. The controls
        are scalars or one value per row, so rows of one call may ask for
        different lengths, temperatures, top-k and seeds. The `k`-th id
        generated for a row is drawn with the stateless seed `(row's seed,
        k)`: a row's ids depend only on its prompt, controls and seed, not
        on the other rows of the batch (nor on its position in it).

        Args:
            prompt_ids: int `[batch, prompt_length]`, 0 = padding at the end.
            length: int >= 0, scalar or `[batch]`: the ids to generate per row.
            temperature: float, scalar or `[batch]`; <= 0 means greedy.
            top_k: int, scalar or `[batch]`; > 0 samples among the k most likely ids.
            seed: int, scalar or `[batch]` (int64 range).
            sampler: optional `Sampler` overriding temperature and top_k; it
                receives one seed pair per row, `[batch, 2]`.

        Returns:
            int32 `[batch, max(length)]`: the generated ids only; row `r`
            holds `length[r]` ids followed by padding (0).
        """
        prompt_ids = tf.cast(tf.convert_to_tensor(prompt_ids), tf.int32)
        batch_size = tf.shape(prompt_ids)[0]
        length = per_row(length, batch_size, tf.int32)
        temperature = per_row(temperature, batch_size, tf.float32)
        top_k = per_row(top_k, batch_size, tf.int32)
        seed = per_row(seed, batch_size, tf.int64)
        # (The extra 0 and 1 keep an empty batch's sizes defined.)
        max_length = tf.reduce_max(tf.concat([length, [0]], axis=0))
        prompt_lengths = tf.reduce_sum(tf.cast(prompt_ids != 0, tf.int32), axis=1)
        prompt_lengths = tf.maximum(prompt_lengths, 1)
        # Step i feeds position i and decides position i + 1: the prompt's id
        # while the row is still in its prompt, else the sampled one. At
        # least one step, so the TensorArray below is never empty.
        padded_length = tf.maximum(max_length, 1)
        steps = tf.reduce_max(tf.concat([prompt_lengths, [1]], axis=0)) + padded_length - 1
        # One column more than the steps read: a batch of empty ragged prompts
        # has ids of width 0, while its prompt length counts as 1.
        known = tf.concat(
            [prompt_ids, tf.zeros(tf.stack([batch_size, padded_length + 1]), tf.int32)], axis=1
        )

        def choose(logits, step):
            # Row r draws its character number step + 1 - prompt_lengths[r].
            draw = tf.cast(step + 1 - prompt_lengths, tf.int64)
            seeds = tf.stack([seed, draw], axis=1)
            # Padding and "unknown" are not characters: never generate them.
            logits = tf.concat([tf.fill([batch_size, 2], -1e9), logits[:, 2:]], axis=1)
            if sampler is not None:
                return sampler(logits, seeds)
            return sample_next(logits, seeds, temperature, top_k)

        def body(step, token, states, decided):
            logits, states = self.next_token_logits(token[:, None], states)
            sampled = tf.cast(choose(logits, step), tf.int32)
            forced = tf.gather(known, step + 1, axis=1)
            token = tf.where(step + 1 < prompt_lengths, forced, sampled)
            return step + 1, token, states, decided.write(step, token)

        _, _, _, decided = tf.while_loop(
            lambda step, *_: step < steps,
            body,
            (
                tf.constant(0),
                known[:, 0],
                self.initial_states(batch_size),
                tf.TensorArray(tf.int32, size=steps, element_shape=tf.TensorShape([None])),
            ),
        )
        # decided[i] holds position i + 1; row r's continuation starts at
        # position prompt_length[r] and is cut to its own length.
        decided = tf.transpose(decided.stack())
        offsets = tf.range(max_length)
        positions = prompt_lengths[:, None] - 1 + offsets[None, :]
        generated = tf.gather(decided, positions, batch_dims=1)
        return tf.where(offsets[None, :] < length[:, None], generated, 0)

    def generate_function(self):
        """`generate_ids` as a `tf.function` with a fixed signature (cached).

        Signature: `(prompt_ids int32 [None, None], length int32 [None],
        temperature float32 [None], top_k int32 [None], seed int64 [None])`,
        one control value per row.
        """
        function = _GENERATE_FUNCTIONS.get(self)
        if function is None:
            function = tf.function(
                self.generate_ids,
                input_signature=[
                    tf.TensorSpec([None, None], tf.int32),
                    tf.TensorSpec([None], tf.int32),
                    tf.TensorSpec([None], tf.float32),
                    tf.TensorSpec([None], tf.int32),
                    tf.TensorSpec([None], tf.int64),
                ],
            )
            _GENERATE_FUNCTIONS[self] = function
        return function

    def generate(self, prompt, length=100, temperature=1.0, top_k=0, seed=0, sampler=None):
        """Generate `length` ids (or characters) after each prompt.

        Every control is one value for all prompts or a list with one value
        per prompt. The same prompt, controls and seed give the same output,
        whatever else is in the batch.

        Args:
            prompt: int ids `[batch, prompt_length]` (0 = padding at the
                end), or a string / list of strings when a preprocessor is set.
            length: int >= 1.
            temperature: float; <= 0 is greedy.
            top_k: int; > 0 samples among the k most likely.
            seed: int (int64 range). Same seed, same output.
            sampler: optional `Sampler` instance overriding temperature/top_k.

        Returns:
            int32 numpy `[batch, max(length)]` for id prompts (a row shorter
            than the longest is padded with 0); a list of strings (the
            continuations) for string prompts.
        """
        texts = isinstance(prompt, str) or (
            isinstance(prompt, (list, tuple)) and len(prompt) > 0 and isinstance(prompt[0], str)
        )
        prompt_ids = self.preprocess(prompt) if texts else np.asarray(prompt)
        if isinstance(prompt_ids, tf.RaggedTensor):
            # A tokenizer without max_length: rows as long as their prompts.
            prompt_ids = prompt_ids.to_tensor(default_value=0)
        prompt_ids = tf.cast(tf.convert_to_tensor(prompt_ids), tf.int32)
        if prompt_ids.shape.rank != 2:
            raise ConfigError(
                "prompt", f"expected ids [batch, length], received shape {prompt_ids.shape}"
            )
        batch_size = int(prompt_ids.shape[0])
        length = per_prompt("length", length, batch_size, np.int32)
        if (length < 1).any():
            raise ConfigError("length", f"expected positive integers, received {length.tolist()}")
        temperature = per_prompt("temperature", temperature, batch_size, np.float32)
        top_k = per_prompt("top_k", top_k, batch_size, np.int32)
        seed = per_prompt("seed", seed, batch_size, np.int64)
        if sampler is None:
            ids = self.generate_function()(prompt_ids, length, temperature, top_k, seed)
        else:
            ids = tf.function(self.generate_ids)(prompt_ids, length, seed=seed, sampler=sampler)
        if not texts:
            return ids.numpy()
        # Positions past a row's length are padding, which detokenize drops.
        return self.detokenize(ids)

    def detokenize(self, ids):
        """Ids `[batch, length]` -> list of strings, via the preprocessor."""
        detokenize = getattr(self.preprocessor, "detokenize", None)
        if detokenize is None:
            detokenize = getattr(getattr(self.preprocessor, "tokenizer", None), "detokenize", None)
        if detokenize is None:
            raise ConfigError("preprocessor", "has no detokenize() to turn ids back into text")
        texts = detokenize(ids)
        texts = texts.numpy() if hasattr(texts, "numpy") else np.asarray(texts)
        return [text.decode("utf-8") if isinstance(text, bytes) else str(text) for text in texts]

    def get_config(self):
        return super().get_config()
