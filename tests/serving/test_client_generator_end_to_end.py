"""End to end for generation: export a tiny character LM, serve it with batching, generate.

The server runs with dynamic batching on (as docker-compose's TF Serving
does), so requests from different clients merge into one model call. The
client learns the sampling controls' dtypes and shapes from GetModelMetadata,
so this checks it against what the real exporter declares, and that each
text equals the SavedModel's own answer for that prompt alone, whatever else
was batched with it (gRPC and REST).
"""

import asyncio

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_service_pb2_grpc

from serving.client import AsyncServingClient, ServingClient
from serving.server import BatchingOptions
from tests.export.tiny_models import tiny_char_lm
from tests.serving.conftest import predict_request, rest_call
from tfcharnlp import cli, constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MODEL = "tiny_lm"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from tfcharnlp.export import GeneratorExporter

    version_dir = tmp_path_factory.mktemp("repository") / MODEL / "1"
    GeneratorExporter(
        tiny_char_lm(),
        training_config={"family": "char_gru"},
        max_generation_length=64,
        model_name=MODEL,
    ).write(str(version_dir))
    return version_dir


@pytest.fixture(scope="module")
def server(exported, serve_module):
    # A long batch timeout makes merging concurrent requests certain even on
    # a loaded machine.
    options = BatchingOptions(
        max_batch_size=64, batch_timeout_micros=150_000, max_enqueued_batches=8, num_batch_threads=1
    )
    return serve_module(
        model_name=MODEL, model_base_path=str(exported.parent), rest_api_port=0, batching=options
    )


def _inputs(prompts, length, temperature, top_k, seed):
    def per_prompt(value, dtype):
        return tf.constant(np.broadcast_to(np.asarray(value), [len(prompts)]), dtype)

    return {
        constants.GENERATOR_PROMPT: tf.constant(prompts, tf.string, shape=[len(prompts)]),
        constants.GENERATOR_LENGTH: per_prompt(length, tf.int32),
        constants.GENERATOR_TEMPERATURE: per_prompt(temperature, tf.float32),
        constants.GENERATOR_TOP_K: per_prompt(top_k, tf.int32),
        constants.GENERATOR_SEED: per_prompt(seed, tf.int64),
    }


def _reference(exported, prompts, length, temperature, top_k, seed):
    """The SavedModel's answer, in process, each control one value or one per prompt."""
    signature = tf.saved_model.load(str(exported)).signatures[constants.SERVING_SIGNATURE]
    outputs = signature(**_inputs(prompts, length, temperature, top_k, seed))
    return [text.decode("utf-8") for text in outputs[constants.GENERATOR_OUTPUT].numpy()]


def _batch_stats(server):
    with server.manager.servable_handle(predict_request(MODEL).model_spec) as servable:
        return servable.batch_stats()[constants.SERVING_SIGNATURE]


def test_generated_text_equals_the_saved_models_answer(server, exported):
    prompts = ["to be", "or not"]
    with ServingClient(server.target, MODEL) as client:
        client.wait_until_available(timeout=60)
        texts = client.generate(prompts, length=12, temperature=0.8, top_k=5, seed=11)
        again = client.generate(prompts, length=12, temperature=0.8, top_k=5, seed=11)
        specs = client.metadata().signatures[constants.SERVING_SIGNATURE].inputs
    assert texts == again == _reference(exported, prompts, 12, 0.8, 5, 11)
    assert all(text.startswith(prompt) for text, prompt in zip(texts, prompts, strict=True))
    # Each prompt draws from its own seed: chunking cannot change the text.
    with ServingClient(server.target, MODEL, chunk_size=1) as client:
        assert client.generate(prompts, length=12, temperature=0.8, top_k=5, seed=11) == texts
        greedy = client.generate(prompts, length=12, temperature=0.0, seed=1)
    assert greedy == _reference(exported, prompts, 12, 0.0, 0, 1)
    # Every input has the batch dimension, as batching needs.
    assert specs[constants.GENERATOR_SEED].dtype == "int64"
    for key in (constants.GENERATOR_LENGTH, constants.GENERATOR_SEED, constants.GENERATOR_TOP_K):
        assert specs[key].shape == (None,)


def test_a_prompt_gives_the_same_text_alone_and_batched_with_other_clients(server, exported):
    # The prompt alone, and at row 3 of a 5-prompt request, sent at the same
    # time as other clients' one-prompt requests with other controls: the
    # server merges them into few model calls.
    controls = {"length": 20, "temperature": 0.9, "top_k": 6, "seed": 2**40 + 3}
    alone = _inputs(["o romeo"], *controls.values())
    batch_prompts = ["the king", "", "zz", "o romeo", "and so we go"]
    batch = _inputs(
        batch_prompts,
        [5, 30, 1, 20, 12],
        [1.0, 2.0, 0.0, 0.9, 0.5],
        [0, 3, 0, 6, 1],
        [1, 2, 3, 2**40 + 3, 4],
    )
    others = [_inputs([f"client {i}"], 3 + i, 1.5, 0, 100 + i) for i in range(6)]
    calls_before, rows_before = _batch_stats(server)
    with grpc.insecure_channel(server.target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        pending = []
        for inputs in [alone, batch, *others]:
            pending.append(stub.Predict.future(predict_request(MODEL, inputs), timeout=60))
        texts = [
            [t.decode() for t in future.result().outputs[constants.GENERATOR_OUTPUT].string_val]
            for future in pending
        ]
    calls, rows = _batch_stats(server)
    assert rows - rows_before == 1 + 5 + 6
    assert calls - calls_before < 8  # Requests were merged.
    expected_alone = _reference(exported, ["o romeo"], *controls.values())
    assert texts[0] == expected_alone
    assert texts[1][3] == expected_alone[0]
    for i, text in enumerate(texts[2:]):
        assert text == _reference(exported, [f"client {i}"], 3 + i, 1.5, 0, 100 + i)
    # The client's per-prompt controls reach the same answer.
    with ServingClient(server.target, MODEL) as client:
        generated = client.generate(
            batch_prompts,
            length=[5, 30, 1, 20, 12],
            temperature=[1.0, 2.0, 0.0, 0.9, 0.5],
            top_k=[0, 3, 0, 6, 1],
            seed=[1, 2, 3, 2**40 + 3, 4],
        )
    assert generated == texts[1]


def _rest_predict(server, document):
    return rest_call(server, "POST", f"/v1/models/{MODEL}:predict", document)


def test_rest_row_and_columnar_forms(server, exported):
    prompts = ["to be", "o romeo", ""]
    lengths, seeds = [4, 10, 6], [5, 6, 7]
    expected = _reference(exported, prompts, lengths, 0.7, 3, seeds)
    # Row form: one object per prompt, with its own controls.
    instances = [
        {"prompt": p, "length": n, "temperature": 0.7, "top_k": 3, "seed": s}
        for p, n, s in zip(prompts, lengths, seeds, strict=True)
    ]
    code, body = _rest_predict(server, {"instances": instances})
    assert code == 200, body
    assert body == {"predictions": expected}
    # Columnar form: one list per input.
    columns = {"prompt": prompts, "length": lengths, "temperature": [0.7] * 3}
    columns.update({"top_k": [3, 3, 3], "seed": seeds})
    code, body = _rest_predict(server, {"inputs": columns})
    assert code == 200, body
    assert body == {"outputs": expected}
    # A control that is not one value per prompt is refused, not guessed
    # (here by the batcher, as TF Serving's; unbatched, by the graph).
    columns["seed"] = [5, 6]
    code, body = _rest_predict(server, {"inputs": columns})
    assert code == 400
    assert "0th-dimension" in body["error"] or "one value per prompt" in body["error"]


def test_async_and_query_generate_the_same(server, exported, capsys):
    async def main():
        async with AsyncServingClient(server.target, MODEL) as client:
            return await client.generate(["to be", "to be"], length=8, temperature=0.5, seed=[4, 5])

    expected = _reference(exported, ["to be", "to be"], 8, 0.5, 0, [4, 5])
    assert asyncio.run(main()) == expected
    argv = ["query", "--target", server.target, "--model", MODEL, "--generate"]
    argv += ["--length", "8", "--temperature", "0.5", "--seed", "4", "to be"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == expected[0] + "\n"
