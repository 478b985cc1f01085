"""AsyncServingClient (grpc.aio) against the in-process fake TF Serving."""

import asyncio

import grpc
import pytest

from serving.client import (
    AsyncServingClient,
    InvalidInputError,
    ModelNotFoundError,
    ModelVersionStatus,
    ServingTimeoutError,
    ServingUnavailableError,
)
from tests.serving import client_fakes
from tests.serving.client_fakes import CLASSIFIER, GENERATOR, expected_class, expected_generation
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(params=[True, False], ids=["typed-fields", "tensor-content"])
def fake(request):
    yield from client_fakes.serve_fake(client_fakes.FakeServing(typed_outputs=request.param))


def _run(fake, body, model=CLASSIFIER, **kwargs):
    async def main():
        async with AsyncServingClient(fake.target, model, **kwargs) as client:
            return await body(client)

    return asyncio.run(main())


def test_classify_concurrent_chunks_in_order(fake):
    texts = [("y" * (i % 40)) for i in range(11)]
    predictions = _run(fake, lambda client: client.classify(texts), chunk_size=4)
    assert sorted(fake.batch_sizes) == [3, 4, 4]
    assert [p.class_id for p in predictions] == [expected_class(t) for t in texts]
    assert predictions[0].probability == pytest.approx(0.8)


def test_generate_same_as_the_blocking_client(fake):
    texts = _run(
        fake,
        lambda client: client.generate(["ab", "c"], length=6, seed=3),
        model=GENERATOR,
    )
    assert texts == [expected_generation("ab", 6, 3), expected_generation("c", 6, 3)]


def test_predict_metadata_and_status(fake):
    async def body(client):
        outputs = await client.predict(
            {constants.CLASSIFIER_INPUT: ["tiny"]}, output_filter=[constants.LABELS]
        )
        metadata = await client.metadata()
        statuses = await client.status()
        return outputs, metadata, statuses

    outputs, metadata, statuses = _run(fake, body, version=1)
    assert outputs[constants.LABELS].tolist() == [b"short"]
    assert metadata.version == 1
    assert constants.CLASSIFIER_INPUT in metadata.signatures[constants.SERVING_SIGNATURE].inputs
    assert statuses[-1] == ModelVersionStatus(2, "AVAILABLE")


def test_retries_unavailable_then_answers(fake):
    fake.fail_first = 2
    predictions = _run(fake, lambda client: client.classify(["x"]), retries=2)
    assert predictions[0].label == "short" and fake.calls == 3


def test_gives_up_after_the_retries(fake):
    fake.fail_first = 100
    with pytest.raises(ServingUnavailableError) as caught:
        _run(fake, lambda client: client.classify(["x"]), retries=1)
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE and fake.calls == 2


def test_errors_are_typed(fake):
    with pytest.raises(ModelNotFoundError, match=r"Latest\(nope\)"):
        _run(fake, lambda client: client.classify(["x"]), model="nope")
    with pytest.raises(InvalidInputError):
        _run(fake, lambda client: client.predict({"bad": ["x"]}))
    fake.delay = 1.0
    with pytest.raises(ServingTimeoutError) as caught:
        _run(fake, lambda client: client.classify(["x"]), timeout=0.2)
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_wait_until_available(fake):
    fake.status_script = [(grpc.StatusCode.NOT_FOUND, "not yet"), {2: "LOADING"}, {2: "AVAILABLE"}]
    status = _run(fake, lambda client: client.wait_until_available(timeout=10, poll_interval=0.01))
    assert status == ModelVersionStatus(2, "AVAILABLE")


def test_chunks_in_flight_are_bounded(fake):
    fake.delay = 0.05
    texts = ["t"] * 12
    _run(fake, lambda client: client.classify(texts), chunk_size=1, max_concurrency=3)
    assert fake.max_in_flight <= 3
    assert fake.batch_sizes == [1] * 12


def test_a_failing_chunk_fails_the_call(fake):
    texts = ["a", "b", "boom", "c", "d", "e"]
    with pytest.raises(InvalidInputError, match="boom"):
        _run(fake, lambda client: client.classify(texts), chunk_size=1, max_concurrency=2)
