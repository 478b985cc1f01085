"""A character language model with an in-graph generation loop."""

import functools
import weakref

import keras
import numpy as np
import tensorflow as tf

from tfcharnlp.errors import ConfigError
from tfcharnlp.models.samplers import gumbel_noise, per_row, sample_next
from tfcharnlp.models.task import Task
from tfcharnlp.per_prompt import per_prompt

# Compiled generation functions, kept outside the model so that saving the
# model (Keras or SavedModel) does not trace them as part of its object graph.
_GENERATE_FUNCTIONS = weakref.WeakKeyDictionary()
# Steps per XLA computation of the jit-compiled generation loop (see `generate_ids`).
GENERATION_CHUNK = 32


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

    def generate_ids(
        self,
        prompt_ids,
        length,
        temperature=1.0,
        top_k=0,
        seed=0,
        sampler=None,
        jit_compile=False,
    ):
        """Continue each row of `prompt_ids` by its `length` ids, in-graph (`tf.while_loop`).

        Each row's prompt is its ids up to the first padding (0); rows may
        differ in length. An empty prompt starts from the padding id. The
        padding (0) and unknown (1) ids are never generated. The controls
        are scalars or one value per row, so rows of one call may ask for
        different lengths, temperatures, top-k and seeds. The `k`-th id
        generated for a row is drawn with the stateless seed `(row's seed,
        k)`: a row's ids depend only on its prompt, controls and seed, not
        on the other rows of the batch (nor on its position in it).

        With `jit_compile=True` (and no `sampler`) the loop runs in chunks
        of `GENERATION_CHUNK` steps, each one XLA computation, compiled
        once per batch size rounded up to a power of two; the sampling
        noise of a chunk is drawn before it in one op (the fingerprint op
        has no XLA kernel). Several times faster for a few rows, but a
        SavedModel holding it needs a server with XLA's CPU JIT (TensorFlow
        Serving: `--xla_cpu_compilation_enabled=true`). XLA computes the
        activations with its own kernels, so a sample could differ from the
        unjitted loop's only where two candidates score within rounding of
        each other.

        Args:
            prompt_ids: int `[batch, prompt_length]`, 0 = padding at the end.
            length: int >= 0, scalar or `[batch]`: the ids to generate per row.
            temperature: float, scalar or `[batch]`; <= 0 means greedy.
            top_k: int, scalar or `[batch]`; > 0 samples among the k most likely ids.
            seed: int, scalar or `[batch]` (int64 range).
            sampler: optional `Sampler` overriding temperature and top_k; it
                receives one seed pair per row, `[batch, 2]` (and is never
                XLA-compiled: it draws its own noise).
            jit_compile: bool, XLA-compile the loop (see above).

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
        # least one step, so the loop's outputs are never empty.
        padded_length = tf.maximum(max_length, 1)
        steps = tf.reduce_max(tf.concat([prompt_lengths, [1]], axis=0)) + padded_length - 1
        # Columns up to the last step + 1, and the last chunk's. (A batch of
        # empty ragged prompts has ids of width 0, while its prompt length counts as 1.)
        known = tf.concat(
            [
                prompt_ids,
                tf.zeros(tf.stack([batch_size, padded_length + GENERATION_CHUNK + 1]), tf.int32),
            ],
            axis=1,
        )

        def seeds_at(step):
            """Seed pairs `[steps, batch, 2]` of `step` `[steps]`: (row's seed, character drawn)."""
            draw = tf.cast(step[:, None] + 1 - prompt_lengths[None, :], tf.int64)
            return tf.stack([tf.broadcast_to(seed[None, :], tf.shape(draw)), draw], axis=-1)

        loop = self._chunk_loop if jit_compile and sampler is None else self._step_loop
        # decided[:, i] holds position i + 1; row r's continuation starts at
        # position prompt_length[r] and is cut to its own length.
        decided = loop(steps, known, prompt_lengths, seeds_at, temperature, top_k, sampler)
        offsets = tf.range(max_length)
        positions = prompt_lengths[:, None] - 1 + offsets[None, :]
        generated = tf.gather(decided, positions, batch_dims=1)
        return tf.where(offsets[None, :] < length[:, None], generated, 0)

    def _decode_step(self, token, states, forced, in_prompt, choose):
        """Feeds `token` `[batch]`; the next token: `forced` in the prompt, else `choose(logits)`."""
        logits, states = self.next_token_logits(token[:, None], states)
        # Padding and "unknown" are not characters: never generate them.
        logits = tf.concat([tf.fill([tf.shape(token)[0], 2], -1e9), logits[:, 2:]], axis=1)
        return tf.where(in_prompt, forced, tf.cast(choose(logits), tf.int32)), states

    def _step_loop(self, steps, known, prompt_lengths, seeds_at, temperature, top_k, sampler):
        """`generate_ids`' loop, one step per iteration: decided ids `[batch, steps]`."""

        def body(step, token, states, decided):
            seeds = seeds_at(step[None])[0]
            if sampler is None:

                def choose(logits):
                    return sample_next(logits, seeds, temperature, top_k)

            else:

                def choose(logits):
                    return sampler(logits, seeds)

            forced = tf.gather(known, step + 1, axis=1)
            token, states = self._decode_step(
                token, states, forced, step + 1 < prompt_lengths, choose
            )
            return step + 1, token, states, decided.write(step, token)

        _, _, _, decided = tf.while_loop(
            lambda step, *_: step < steps,
            body,
            (
                tf.constant(0),
                known[:, 0],
                self.initial_states(tf.shape(known)[0]),
                tf.TensorArray(tf.int32, size=steps, element_shape=tf.TensorShape([None])),
            ),
        )
        return tf.transpose(decided.stack())

    def _chunk_loop(self, steps, known, prompt_lengths, seeds_at, temperature, top_k, sampler):
        """`generate_ids`' XLA loop: chunks of `GENERATION_CHUNK` steps, decided ids
        `[batch, >= steps]`."""
        del sampler  # The XLA loop samples with `sample_next` only.
        batch_size = tf.shape(known)[0]
        vocabulary_size = self.vocabulary_size
        decode = self._xla_chunk()
        chunks = (steps + GENERATION_CHUNK - 1) // GENERATION_CHUNK

        def body(index, token, states, decided):
            first = index * GENERATION_CHUNK
            step = first + tf.range(GENERATION_CHUNK)
            # Time-major [chunk, batch]: the ids of the rows still in their
            # prompt, and the Gumbel noise of the characters drawn.
            forced = tf.transpose(tf.gather(known, step + 1, axis=1))
            in_prompt = step[:, None] + 1 < prompt_lengths[None, :]
            noise = gumbel_noise(tf.reshape(seeds_at(step), [-1, 2]), vocabulary_size)
            noise = tf.reshape(noise, tf.stack([GENERATION_CHUNK, batch_size, vocabulary_size]))
            count = tf.minimum(GENERATION_CHUNK, steps - first)
            token, states, ids = decode(
                count, token, states, forced, in_prompt, noise, temperature, top_k
            )
            return index + 1, token, states, decided.write(index, ids)

        _, _, _, decided = tf.while_loop(
            lambda index, *_: index < chunks,
            body,
            (
                tf.constant(0),
                known[:, 0],
                self.initial_states(batch_size),
                tf.TensorArray(
                    tf.int32, size=chunks, element_shape=tf.TensorShape([GENERATION_CHUNK, None])
                ),
            ),
        )
        return tf.transpose(decided.concat())

    def _xla_chunk(self):
        """One chunk of steps as an XLA computation: `(count, token, states, forced,
        in_prompt, noise, temperature, top_k) -> (token, states, ids [chunk, batch])`.

        Only the first `count` steps run (the last chunk of a loop is cut
        short); the ids of the others are 0.
        """

        @tf.function(jit_compile=True)
        def decode(count, token, states, forced, in_prompt, noise, temperature, top_k):
            rows = tf.range(GENERATION_CHUNK)[:, None]

            def body(index, token, states, ids):
                def choose(logits):
                    return sample_next(logits, None, temperature, top_k, noise=noise[index])

                token, states = self._decode_step(
                    token, states, forced[index], in_prompt[index], choose
                )
                return index + 1, token, states, tf.where(rows == index, token[None, :], ids)

            _, token, states, ids = tf.while_loop(
                lambda index, *_: index < count,
                body,
                (tf.constant(0), token, states, tf.zeros_like(forced)),
            )
            return token, states, ids

        def padded(count, token, states, forced, in_prompt, noise, temperature, top_k):
            # XLA compiles once per shape: rows padded to a power of two bound
            # the compilations to a handful whatever the batch sizes a server sees.
            batch_size = tf.shape(token)[0]
            powers = tf.constant([2**exponent for exponent in range(31)], tf.int32)
            extra = tf.gather(powers, tf.searchsorted(powers, [batch_size]))[0] - batch_size

            def pad(value, axis, fill=0):
                paddings = [[0, 0]] * value.shape.rank
                paddings[axis] = [0, extra]
                return tf.pad(value, paddings, constant_values=fill)

            token, states, ids = decode(
                count,
                pad(token, 0),
                [pad(state, 0) for state in states],
                pad(forced, 1),
                pad(in_prompt, 1, True),
                pad(noise, 1),
                pad(temperature, 0, 1.0),
                pad(top_k, 0),
            )
            return token[:batch_size], [state[:batch_size] for state in states], ids[:, :batch_size]

        return padded

    def generate_function(self, jit_compile=False):
        """`generate_ids` as a `tf.function` with a fixed signature (cached).

        Signature: `(prompt_ids int32 [None, None], length int32 [None],
        temperature float32 [None], top_k int32 [None], seed int64 [None])`,
        one control value per row. `jit_compile`: XLA-compile the loop
        (see `generate_ids`).
        """
        functions = _GENERATE_FUNCTIONS.setdefault(self, {})
        function = functions.get(jit_compile)
        if function is None:
            function = tf.function(
                functools.partial(self.generate_ids, jit_compile=jit_compile),
                input_signature=[
                    tf.TensorSpec([None, None], tf.int32),
                    tf.TensorSpec([None], tf.int32),
                    tf.TensorSpec([None], tf.float32),
                    tf.TensorSpec([None], tf.int32),
                    tf.TensorSpec([None], tf.int64),
                ],
            )
            functions[jit_compile] = function
        return function

    def generate(
        self,
        prompt,
        length=100,
        temperature=1.0,
        top_k=0,
        seed=0,
        sampler=None,
        jit_compile=False,
    ):
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
            jit_compile: XLA-compile the loop (see `generate_ids`).

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
            ids = self.generate_function(jit_compile)(prompt_ids, length, temperature, top_k, seed)
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
