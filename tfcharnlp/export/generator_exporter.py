"""`GeneratorExporter`: a character language model as a SavedModel that generates in-graph."""

import tempfile

from tfcharnlp.alphabets import PADDING_ID, UNKNOWN_ID
from tfcharnlp.constants import (
    GENERATOR_LENGTH,
    GENERATOR_OUTPUT,
    GENERATOR_PROMPT,
    GENERATOR_SEED,
    GENERATOR_TEMPERATURE,
    GENERATOR_TOP_K,
    NEXT_CHAR_SIGNATURE,
    SERVING_SIGNATURE,
    STEP_IDS,
    STEP_LOGITS,
    STEP_STATE,
)
from tfcharnlp.errors import ExportError
from tfcharnlp.export.export_assets import attach_assets, find_vocabulary, write_asset_files
from tfcharnlp.export.signature_inputs import checked_shape, checked_vector
from tfcharnlp.export.warmup_requests import predict_log, write_warmup_requests

DEFAULT_WARMUP_PROMPTS = ("First Citizen:\nBefore we proceed", "ROMEO:")


class GeneratorExporter:
    """Writes a char language model with its sampling loop inside the graph.

    Signatures (names from `tfcharnlp.constants`):

    - `serving_default` (Predict): inputs `prompt` string `[None]` and one
      sampling control value per prompt, each `[None]` with the prompt's
      batch size: `length` int32 (characters to generate,
      0..`max_generation_length`), `temperature` float32 (<= 0 means
      greedy; finite), `top_k` int32 (<= 0 means the whole vocabulary; 1 is
      greedy) and `seed` int64 -> output `text` string `[None]`: each prompt
      followed by its own `length` generated characters. Every input has the
      batch dimension, as TF Serving's batching (`--enable_batching`)
      requires, so requests from different clients with different controls
      merge into one call; in the REST API both the row form (`"instances"`,
      one object per prompt with its controls) and the columnar form
      (`"inputs"`) work. A control is a vector with one value per prompt,
      or a vector of one value used for every prompt; any other size, any
      other rank (a scalar included), a `length` out of range or a
      temperature that is not finite is refused in-graph
      (INVALID_ARGUMENT), on any server.
    - `next_char_logits` (Predict): inputs `ids` int32 `[None]` (one
      character id per row) and `state` float32 `[None, S]` (zeros to start)
      -> outputs `logits` float32 `[None, V]` and the next `state`; ids
      outside `0..V-1`, other ranks, or batch sizes that differ are refused
      in-graph.

    Sampling is per row and stateless (Gumbel-max over FarmHash uniforms,
    see `tfcharnlp.models.samplers`): the `k`-th character generated for a
    prompt is drawn with `(its seed, k)`. So the same prompt, controls and
    seed give the same text in any process, alone or in any batch, at any
    row: a server may batch requests together without changing their text.
    (Two rows with the same prompt and seed therefore get the same text;
    give them different seeds for different samples.) The padding and
    unknown ids are never sampled. Prompts are
    tokenized by the model's own preprocessor, so a character outside the
    vocabulary becomes the unknown id (1), which the model reads as any other
    input; it is kept verbatim in the output's prompt part. A dense
    preprocessor (`max_length` set) keeps the prompt's first `max_length`
    characters. An empty prompt starts by feeding the padding id. The loop
    runs `max(length)` steps after the longest prompt and each row is cut
    to its own length (positions past it are padding, which the
    preprocessor's `detokenize` drops).

    The loop is the model's own `generate_ids`, so the SavedModel writes
    what `model.generate` writes for the same seed.

    Assets: `vocabulary.txt` (id -> character, for `next_char_logits`
    clients) and `training_config.json`; no `labels.txt` (there are no classes).

    Args:
        model: a causal LM with `generate_ids(prompt_ids, length,
            temperature, top_k, seed, jit_compile=...)` (the in-graph loop), and for the
            single-step signature `next_token_logits(ids, states) -> (logits,
            states)`, `initial_states(batch_size)`, `flatten_states(states)`,
            `unflatten_states(flat)`: a `CharGRUCausalLM`.
        preprocessor: strings -> ids (dense, 0-padded at the end, or ragged);
            defaults to `model.preprocessor`. Its `detokenize(ids)` turns
            generated ids back into text.
        training_config: JSON-serializable dict stored as an asset.
        max_generation_length: the largest `length` a request may ask for,
            so one request cannot occupy a server indefinitely.
        model_name: the servable name written into the warmup requests.
        jit_compile: XLA-compile the sampling loop's chunks (see
            `CharGRUCausalLM.generate_ids`): several times faster for a few
            prompts, compiled once per batch size. TensorFlow Serving refuses
            such a graph unless started with `--xla_cpu_compilation_enabled=true`,
            so it is off by default; `tfcharnlp serve` runs it either way.

    Example:

    ```python
    GeneratorExporter(language_model).write("/tmp/shakespeare/1")
    loaded = tf.saved_model.load("/tmp/shakespeare/1")
    loaded.signatures["serving_default"](
        prompt=tf.constant(["ROMEO:", "JULIET:"]), length=tf.constant([100, 20]),
        temperature=tf.constant([0.8, 0.0]), top_k=tf.constant([0, 0]),
        seed=tf.constant([7, 7], tf.int64))["text"]
    ```
    """

    def __init__(
        self,
        model,
        preprocessor=None,
        training_config=None,
        max_generation_length=10000,
        warmup_prompts=DEFAULT_WARMUP_PROMPTS,
        model_name="model",
        jit_compile=False,
    ):
        for method in (
            "generate_ids",
            "next_token_logits",
            "initial_states",
            "flatten_states",
            "unflatten_states",
        ):
            if not callable(getattr(model, method, None)):
                raise ExportError(
                    f"the language model has no {method}(): cannot export its generation "
                    "signatures (a CharGRUCausalLM has them all)"
                )
        self.model = model
        self.preprocessor = (
            preprocessor if preprocessor is not None else getattr(model, "preprocessor", None)
        )
        if self.preprocessor is None:
            raise ExportError("the language model has no preprocessor: pass preprocessor=")
        if not callable(getattr(self.preprocessor, "detokenize", None)):
            raise ExportError(
                "the preprocessor has no detokenize(ids): cannot turn samples into text"
            )
        if getattr(self.preprocessor, "reverse", False) or getattr(
            getattr(self.preprocessor, "tokenizer", None), "reverse", False
        ):
            raise ExportError(
                "a language model's tokenizer cannot read text backwards (reverse=True)"
            )
        self.training_config = training_config
        self.max_generation_length = int(max_generation_length)
        self.warmup_prompts = list(warmup_prompts)
        self.model_name = model_name
        self.jit_compile = bool(jit_compile)
        self.vocabulary_size, self.state_size = self._probe()

    def _probe(self):
        """The vocabulary size V and flattened state size S, from one eager step."""
        import tensorflow as tf

        states = self.model.initial_states(1)
        logits, states = self.model.next_token_logits(tf.constant([UNKNOWN_ID], tf.int32), states)
        flat = self.model.flatten_states(states)
        if logits.shape.rank != 2 or flat.shape.rank != 2:
            raise ExportError(
                f"next_token_logits must give logits [batch, V] and states, got {logits.shape}"
            )
        return int(logits.shape[-1]), int(flat.shape[-1])

    # The step and sampling functions below are traced into the SavedModel.

    def _step(self, ids, flat_states):
        import tensorflow as tf

        logits, states = self.model.next_token_logits(ids, self.model.unflatten_states(flat_states))
        return tf.cast(logits, tf.float32), tf.cast(self.model.flatten_states(states), tf.float32)

    def _checked_controls(self, prompt, length, temperature, top_k, seed):
        """The controls once their ranks, sizes and ranges are checked (in-graph).

        Each control is a vector with one value per prompt, or a vector of
        one value used for every prompt (`generate_ids` broadcasts it).
        """
        import tensorflow as tf

        batch = tf.shape(prompt)[0]
        checked = []
        for name, control in (
            (GENERATOR_LENGTH, length),
            (GENERATOR_TEMPERATURE, temperature),
            (GENERATOR_TOP_K, top_k),
            (GENERATOR_SEED, seed),
        ):
            control = checked_vector(control, name)
            size = tf.size(control)
            fits = tf.debugging.Assert(
                (size == batch) | (size == 1),
                [
                    f"{name} must have one value per {GENERATOR_PROMPT} (the same batch size) "
                    "or a single value; sizes:",
                    size,
                    batch,
                ],
            )
            checked.append(fits)
        checks = [
            *checked,
            tf.debugging.assert_non_negative(length, message=f"{GENERATOR_LENGTH} must be >= 0"),
            tf.debugging.assert_less_equal(
                length,
                self.max_generation_length,
                message=f"{GENERATOR_LENGTH} must be <= {self.max_generation_length}",
            ),
            tf.debugging.assert_all_finite(
                temperature, message=f"{GENERATOR_TEMPERATURE} must be finite"
            ),
        ]
        with tf.control_dependencies(checks):
            return [tf.identity(control) for control in (length, temperature, top_k, seed)]

    def _generate(self, prompt, length, temperature, top_k, seed):
        import tensorflow as tf

        prompt = checked_vector(prompt, GENERATOR_PROMPT)
        length, temperature, top_k, seed = self._checked_controls(
            prompt, length, temperature, top_k, seed
        )
        ids = self.preprocessor(prompt)
        if isinstance(ids, tf.RaggedTensor):
            ids = ids.to_tensor(default_value=PADDING_ID)
        ids = tf.cast(ids, tf.int32)
        batch = tf.shape(ids)[0]
        max_length = tf.reduce_max(tf.concat([length, [0]], axis=0))

        def continuation():
            # The model's own loop and samplers: the SavedModel writes exactly
            # what `model.generate` writes for the same seed.
            generated = self.model.generate_ids(
                ids, length, temperature, top_k, seed, jit_compile=self.jit_compile
            )
            return tf.reshape(self.preprocessor.detokenize(generated), [batch])

        # Nothing to run for an empty batch or all lengths 0 (and detokenize
        # reshapes to [-1, length], which has no answer for length 0).
        text = tf.cond((max_length > 0) & (batch > 0), continuation, lambda: tf.fill([batch], ""))
        return {GENERATOR_OUTPUT: tf.strings.join([prompt, text])}

    def build_archive(self, asset_paths):
        import keras
        import tensorflow as tf

        def generate(prompt, length, temperature, top_k, seed):
            return self._generate(prompt, length, temperature, top_k, seed)

        def next_char_logits(ids, state):
            ids = checked_vector(ids, STEP_IDS)
            state = checked_shape(state, [None, self.state_size], STEP_STATE)
            checks = [
                tf.debugging.assert_equal(
                    tf.shape(ids)[0],
                    tf.shape(state)[0],
                    message=f"{STEP_IDS} and {STEP_STATE} must have the same batch size",
                ),
                tf.debugging.assert_non_negative(ids, message=f"{STEP_IDS} must be >= 0"),
                tf.debugging.assert_less(
                    ids,
                    self.vocabulary_size,
                    message=f"{STEP_IDS} must be < the vocabulary size {self.vocabulary_size}",
                ),
            ]
            with tf.control_dependencies(checks):
                logits, state = self._step(tf.identity(ids), tf.identity(state))
            return {STEP_LOGITS: logits, STEP_STATE: state}

        archive = keras.export.ExportArchive()
        archive.track(self.model)
        archive.track(self.preprocessor)
        # The TensorSpec names become the signature's input keys.
        archive.add_endpoint(
            SERVING_SIGNATURE,
            generate,
            input_signature=[
                tf.TensorSpec([None], tf.string, name=GENERATOR_PROMPT),
                tf.TensorSpec([None], tf.int32, name=GENERATOR_LENGTH),
                tf.TensorSpec([None], tf.float32, name=GENERATOR_TEMPERATURE),
                tf.TensorSpec([None], tf.int32, name=GENERATOR_TOP_K),
                tf.TensorSpec([None], tf.int64, name=GENERATOR_SEED),
            ],
        )
        archive.add_endpoint(
            NEXT_CHAR_SIGNATURE,
            next_char_logits,
            input_signature=[
                tf.TensorSpec([None], tf.int32, name=STEP_IDS),
                tf.TensorSpec([None, self.state_size], tf.float32, name=STEP_STATE),
            ],
        )
        attach_assets(archive, asset_paths)
        return archive

    def warmup_logs(self):
        import numpy as np

        prompts = np.array([prompt.encode("utf-8") for prompt in self.warmup_prompts], dtype=object)
        count = len(prompts)
        # One value per prompt, as the signature takes them; rows differ so
        # warmup runs the per-row paths (lengths, greedy and sampled, top-k).
        controls = {
            GENERATOR_LENGTH: np.minimum(8 - np.arange(count) % 2, self.max_generation_length)
            .clip(0)
            .astype(np.int32),
            GENERATOR_TEMPERATURE: np.where(np.arange(count) % 2, 0.0, 1.0).astype(np.float32),
            GENERATOR_TOP_K: np.where(np.arange(count) % 2, 0, 5).astype(np.int32),
            GENERATOR_SEED: np.arange(count, dtype=np.int64),
        }
        step_inputs = {
            STEP_IDS: np.full([len(prompts)], UNKNOWN_ID, np.int32),
            STEP_STATE: np.zeros([len(prompts), self.state_size], np.float32),
        }
        return [
            predict_log(
                self.model_name, SERVING_SIGNATURE, {GENERATOR_PROMPT: prompts, **controls}
            ),
            predict_log(self.model_name, NEXT_CHAR_SIGNATURE, step_inputs),
        ]

    def write(self, export_dir):
        """Writes the complete SavedModel (assets, warmup) into `export_dir`."""
        with tempfile.TemporaryDirectory(prefix="tfcharnlp-assets-") as scratch:
            asset_paths = write_asset_files(
                scratch,
                vocabulary=find_vocabulary(self.preprocessor),
                training_config=self.training_config,
            )
            archive = self.build_archive(asset_paths)
            archive.write_out(str(export_dir), verbose=False)
        write_warmup_requests(export_dir, self.warmup_logs())
        return export_dir
