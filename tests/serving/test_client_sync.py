"""ServingClient against the in-process fake TF Serving (loopback, port 0)."""

import random

import grpc
import numpy as np
import pytest
import tensorflow as tf

from serving.client import (
    InvalidInputError,
    ModelNotFoundError,
    ModelVersionStatus,
    Prediction,
    ResourceExhaustedError,
    RetryPolicy,
    ServingClient,
    ServingError,
    ServingTimeoutError,
    ServingUnavailableError,
    TensorSpec,
)
from serving.client.request_builders import generator_controls, generator_inputs
from tests.serving import client_fakes
from tests.serving.client_fakes import (
    CLASSIFIER,
    GENERATOR,
    LABELS,
    FakeServing,
    expected_class,
    expected_generation,
)
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TEXTS = ["short", "a text of medium size", "a much longer text, well over thirty characters"]


@pytest.fixture(params=[True, False], ids=["typed-fields", "tensor-content"])
def fake(request):
    yield from client_fakes.serve_fake(client_fakes.FakeServing(typed_outputs=request.param))


@pytest.fixture
def typed_fake():
    yield from client_fakes.serve_fake(FakeServing(typed_outputs=True))


def _client(fake, model=CLASSIFIER, **kwargs):
    return ServingClient(fake.target, model, **kwargs)


def test_classify_returns_one_typed_prediction_per_text(fake):
    with _client(fake) as client:
        predictions = client.classify(TEXTS)
    assert [type(p) for p in predictions] == [Prediction] * 3
    assert [p.class_id for p in predictions] == [expected_class(t) for t in TEXTS] == [0, 1, 2]
    assert [p.label for p in predictions] == list(LABELS)
    for prediction in predictions:
        assert len(prediction.probabilities) == len(LABELS)
        assert prediction.probability == pytest.approx(0.8)
        assert sum(prediction.probabilities) == pytest.approx(1.0, abs=1e-6)


def test_classify_sends_strings_and_the_default_signature(typed_fake):
    with _client(typed_fake) as client:
        client.classify(["héllo wörld", b"raw bytes"])
    request = typed_fake.requests[-1]
    assert request.model_spec.name == CLASSIFIER
    assert request.model_spec.signature_name == constants.SERVING_SIGNATURE
    sent = request.inputs[constants.CLASSIFIER_INPUT]
    assert list(sent.string_val) == ["héllo wörld".encode(), b"raw bytes"]
    assert [d.size for d in sent.tensor_shape.dim] == [2]


def test_a_single_string_is_one_text_not_its_characters(typed_fake):
    with _client(typed_fake) as client:
        predictions = client.classify("a text of medium size")
    assert len(predictions) == 1 and predictions[0].label == "medium"


def test_empty_input_makes_no_call(typed_fake):
    with _client(typed_fake) as client:
        assert client.classify([]) == []
        assert client.generate([]) == []
    assert typed_fake.calls == 1  # generate asked for the signature once, nothing else


def test_large_inputs_are_split_into_chunks_and_joined_in_order(typed_fake):
    texts = [("x" * (i % 40)) for i in range(23)]
    with _client(typed_fake, chunk_size=5) as client:
        predictions = client.classify(texts)
    assert typed_fake.batch_sizes == [5, 5, 5, 5, 3]
    assert [p.class_id for p in predictions] == [expected_class(t) for t in texts]


def test_generate_casts_controls_to_the_signature_and_is_seeded(fake):
    with _client(fake, model=GENERATOR) as client:
        texts = client.generate(["ab", "xyz"], length=12, temperature=0.7, top_k=3, seed=42)
        again = client.generate(["ab"], length=12, seed=42)
    assert texts == [expected_generation("ab", 12, 42), expected_generation("xyz", 12, 42)]
    assert again[0] == texts[0]
    assert all(
        len(text) == len(prompt) + 12 for text, prompt in zip(texts, ["ab", "xyz"], strict=True)
    )


def test_generate_without_seed_draws_a_fresh_one(typed_fake):
    with _client(typed_fake, model=GENERATOR) as client:
        client.generate(["a"], length=3)
        client.generate(["a"], length=3)
    seeds = [r.inputs[constants.GENERATOR_SEED] for r in typed_fake.requests]
    assert len(seeds) == 2 and seeds[0] != seeds[1]
    # One fresh seed per prompt: equal prompts give independent samples.
    with _client(typed_fake, model=GENERATOR) as client:
        client.generate(["a", "a", "a"], length=3)
    fresh = tf.make_ndarray(typed_fake.requests[-1].inputs[constants.GENERATOR_SEED])
    assert len(set(fresh.tolist())) == 3


def test_generate_chunks_prompts(typed_fake):
    with _client(typed_fake, model=GENERATOR, chunk_size=2) as client:
        texts = client.generate(["p1", "p2", "p3"], length=4, seed=1)
        # Per-prompt controls travel with their prompt through the chunking.
        mixed = client.generate(["p1", "p2", "p3"], length=[1, 2, 3], seed=[7, 8, 9])
    assert typed_fake.batch_sizes == [2, 1, 2, 1]
    assert texts == [expected_generation(p, 4, 1) for p in ("p1", "p2", "p3")]
    assert mixed == [expected_generation(f"p{n}", n, 6 + n) for n in (1, 2, 3)]
    for request in typed_fake.requests[-2:]:
        prompts = tf.make_ndarray(request.inputs[constants.GENERATOR_PROMPT])
        for key in (constants.GENERATOR_LENGTH, constants.GENERATOR_SEED):
            assert tf.make_ndarray(request.inputs[key]).shape == prompts.shape


def test_generate_refuses_controls_not_one_per_prompt(typed_fake):
    with _client(typed_fake, model=GENERATOR) as client:
        with pytest.raises(InvalidInputError, match=r"expected one value or 2 \(one per prompt\)"):
            client.generate(["a", "b"], length=[1, 2, 3], seed=1)
    assert not any(constants.GENERATOR_PROMPT in r.inputs for r in typed_fake.requests)


def test_generate_refuses_a_model_without_prompt_input(typed_fake):
    with _client(typed_fake, model=CLASSIFIER) as client:
        with pytest.raises(InvalidInputError, match="prompt"):
            client.generate(["x"], length=3, seed=1)


def test_predict_is_raw_with_output_filter(fake):
    with _client(fake) as client:
        outputs = client.predict(
            {
                constants.CLASSIFIER_INPUT: np.array(
                    [b"tiny", b"somewhat longer text"], dtype=object
                )
            },
            output_filter=[constants.CLASS_IDS, constants.LABELS],
        )
    assert set(outputs) == {constants.CLASS_IDS, constants.LABELS}
    assert outputs[constants.CLASS_IDS].dtype == np.int64
    assert outputs[constants.CLASS_IDS].tolist() == [0, 1]
    assert outputs[constants.LABELS].tolist() == [b"short", b"medium"]


def test_metadata_reads_signatures(typed_fake):
    with _client(typed_fake, model=GENERATOR) as client:
        metadata = client.metadata()
    assert metadata.name == GENERATOR and metadata.version == 1
    signature = metadata.signatures[constants.SERVING_SIGNATURE]
    assert signature.method_name == constants.PREDICT_METHOD_NAME
    assert signature.inputs[constants.GENERATOR_PROMPT] == TensorSpec("string", (None,))
    assert signature.inputs[constants.GENERATOR_SEED] == TensorSpec("int64", (None,))
    assert signature.outputs[constants.GENERATOR_OUTPUT].dtype == "string"


def test_status_lists_versions(typed_fake):
    with _client(typed_fake) as client:
        statuses = client.status()
    assert statuses == [ModelVersionStatus(1, "AVAILABLE"), ModelVersionStatus(2, "AVAILABLE")]


def test_version_and_label_select_the_servable(typed_fake):
    with _client(typed_fake, version=1) as client:
        assert client.metadata().version == 1
        client.classify(["x"])
    with _client(typed_fake, version_label="stable") as client:
        assert client.metadata().version == 1
        client.classify(["x"])
    assert typed_fake.specs[0].version.value == 1
    assert typed_fake.specs[1].version_label == "stable"
    assert not typed_fake.specs[1].HasField("version")
    with _client(typed_fake) as client:
        assert client.metadata().version == 2


def test_version_and_label_together_are_refused():
    with pytest.raises(InvalidInputError, match="not both"):
        ServingClient("127.0.0.1:1", CLASSIFIER, version=1, version_label="stable")


def test_unknown_model_and_version_raise_not_found_with_tf_serving_wording(typed_fake):
    with _client(typed_fake, model="nope") as client:
        with pytest.raises(ModelNotFoundError) as caught:
            client.classify(["x"])
    assert caught.value.code == grpc.StatusCode.NOT_FOUND
    assert caught.value.details == "Servable not found for request: Latest(nope)"
    with _client(typed_fake, version=7) as client:
        with pytest.raises(ModelNotFoundError, match=r"Specific\(clf, 7\)"):
            client.classify(["x"])


def test_server_invalid_argument_is_an_invalid_input_error(typed_fake):
    with _client(typed_fake) as client:
        with pytest.raises(InvalidInputError) as caught:
            client.predict({"wrong": ["x"]})
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "wrong" in caught.value.details
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ServingError)


def test_bad_client_input_is_refused_before_sending(typed_fake):
    with _client(typed_fake) as client:
        with pytest.raises(InvalidInputError, match=r"texts\[1\]"):
            client.classify(["ok", 3])
        with pytest.raises(InvalidInputError, match="input 'x'"):
            client.predict({"x": [object()]})
    assert typed_fake.calls == 0


def test_unavailable_is_retried_with_backoff_until_it_answers(typed_fake):
    typed_fake.fail_first = 2
    with _client(typed_fake, retries=3) as client:
        predictions = client.classify(["short"])
    assert predictions[0].label == "short"
    assert typed_fake.calls == 3


def test_unavailable_after_the_retries_is_raised_with_its_code(typed_fake):
    typed_fake.fail_first = 10
    with _client(typed_fake, retries=2) as client:
        with pytest.raises(ServingUnavailableError) as caught:
            client.classify(["short"])
    assert typed_fake.calls == 3  # one call and two retries
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.details == "fake: not ready yet"


def test_other_errors_are_not_retried(typed_fake):
    with _client(typed_fake, model="nope", retries=5) as client:
        with pytest.raises(ModelNotFoundError):
            client.classify(["x"])
    assert typed_fake.calls == 1


def test_deadline_exceeded_is_a_typed_timeout(typed_fake):
    typed_fake.delay = 1.0
    with _client(typed_fake, timeout=0.2) as client:
        with pytest.raises(ServingTimeoutError) as caught:
            client.classify(["x"])
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert isinstance(caught.value, TimeoutError)


def test_per_call_timeout_overrides_the_client_default(typed_fake):
    typed_fake.delay = 0.5
    with _client(typed_fake, timeout=0.1) as client:
        assert client.classify(["x"], timeout=5.0)[0].label == "short"


def test_no_server_is_unavailable_within_the_timeout():
    # Port 1 on loopback: nothing listens, so every attempt is UNAVAILABLE.
    with ServingClient("127.0.0.1:1", CLASSIFIER, timeout=2.0, retries=2) as client:
        with pytest.raises((ServingUnavailableError, ServingTimeoutError)):
            client.classify(["x"])


def test_wait_until_available_waits_through_not_found_and_loading(typed_fake):
    typed_fake.status_script = [
        (grpc.StatusCode.UNAVAILABLE, "starting"),
        (grpc.StatusCode.NOT_FOUND, "Could not find any versions of model clf"),
        {1: "LOADING"},
        {1: "AVAILABLE"},
    ]
    with _client(typed_fake) as client:
        status = client.wait_until_available(timeout=10, poll_interval=0.01)
    assert status == ModelVersionStatus(1, "AVAILABLE")
    assert typed_fake.status_script == []


def test_wait_until_available_times_out_with_the_last_state(typed_fake):
    typed_fake.status_script = [{3: "END"}] * 1000
    with _client(typed_fake) as client:
        with pytest.raises(ServingTimeoutError, match="version 3 END.*load failed"):
            client.wait_until_available(timeout=0.3, poll_interval=0.05)


def test_constructor_checks_arguments():
    for kwargs in ({"timeout": 0}, {"retries": -1}, {"chunk_size": 0}):
        with pytest.raises(ValueError):
            ServingClient("127.0.0.1:1", CLASSIFIER, **kwargs)
    with pytest.raises(InvalidInputError):
        ServingClient("127.0.0.1:1", "")


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(0)
    policy = RetryPolicy()
    assert (policy.retries, policy.initial_backoff, policy.max_backoff) == (3, 0.1, 2.0)
    for attempt in range(8):
        nominal = min(2.0, 0.1 * 2.0**attempt)
        delays = [policy.backoff(attempt, rng) for _ in range(50)]
        assert all(0.8 * nominal <= d <= 1.2 * nominal for d in delays)
        assert len(set(delays)) > 1  # jittered, not identical
    with pytest.raises(ValueError, match="retries must be >= 0"):
        RetryPolicy(retries=-1)


def test_message_size_limit_is_a_typed_error(typed_fake):
    with _client(typed_fake, max_message_size=2000) as client:
        with pytest.raises(ResourceExhaustedError) as caught:
            client.classify(["x" * 100] * 40)
        # Small enough requests still pass on the same client.
        assert client.classify(["tiny"])[0].label == "short"
    assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_unknown_signature_and_tensor_proto_inputs(typed_fake):
    with _client(typed_fake) as client:
        outputs = client.predict({constants.CLASSIFIER_INPUT: tf.make_tensor_proto([b"tiny"])})
        assert outputs[constants.LABELS].tolist() == [b"short"]
        with pytest.raises(InvalidInputError) as caught:
            client.classify(["x"], signature_name="nope")
    assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert 'signature key "nope" not found' in caught.value.details


def test_generator_inputs_take_the_signatures_dtypes_one_value_per_prompt():
    # Every control travels as one value per prompt ([None], as TF Serving's
    # batching needs), in the dtype the signature declares (int64 here, not the
    # contract's int32); a control the signature does not take is left out.
    specs = {
        constants.GENERATOR_PROMPT: TensorSpec("string", (None,)),
        constants.GENERATOR_LENGTH: TensorSpec("int64", (None,)),
        constants.GENERATOR_TEMPERATURE: TensorSpec("float32", (None,)),
        constants.GENERATOR_SEED: TensorSpec("int64", (None,)),
    }
    inputs = generator_inputs(["a", "b", "c"], generator_controls(3, 5, 0.5, 3, 9), specs)
    assert set(inputs) == set(specs)
    length = tf.make_ndarray(inputs[constants.GENERATOR_LENGTH])
    assert length.tolist() == [5, 5, 5] and length.dtype == np.int64
    assert tf.make_ndarray(inputs[constants.GENERATOR_SEED]).tolist() == [9, 9, 9]
    temperature = tf.make_ndarray(inputs[constants.GENERATOR_TEMPERATURE])
    assert temperature.tolist() == [0.5, 0.5, 0.5] and temperature.dtype == np.float32
    controls = generator_controls(3, [5, 6, 7], 0.5, 3, [1, 2, 3])
    inputs = generator_inputs(["a", "b", "c"], controls, specs)
    assert tf.make_ndarray(inputs[constants.GENERATOR_LENGTH]).tolist() == [5, 6, 7]
    with pytest.raises(InvalidInputError, match="temperature"):
        generator_controls(2, 5, [0.5, 0.7, 0.9], 3, 9)
    # Without metadata: the contract's dtypes, one value per prompt.
    defaults = generator_inputs(["a", "b"], generator_controls(2, 5, 0.5, 3, 9))
    assert defaults[constants.GENERATOR_SEED].dtype == tf.int64.as_datatype_enum
    assert tf.make_ndarray(defaults[constants.GENERATOR_TOP_K]).tolist() == [3, 3]
    assert tf.make_ndarray(defaults[constants.GENERATOR_TEMPERATURE]).dtype == np.float32
