"""The client against the real embedded server (`serving.server`), not the fake.

The same client code talks to tensorflow/serving in the compose stack; here it
must work unchanged against our server: typed outputs, versions and labels,
metadata, status, errors with TF Serving's wording, the asyncio variant, the
query command, and the stack's own batching parameters file.
"""

import asyncio

import grpc
import numpy as np
import pytest

from serving.client import AsyncServingClient, InvalidInputError, ModelNotFoundError, ServingClient
from serving.server import parse_batching_parameters, single_model_config
from tests.conftest import REPO_ROOT
from tests.serving import server_models
from tfcharnlp import cli, constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

MODEL = "text"
TEXTS = ["tiny", "a considerably longer text than ten characters", "héllo wörld"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, serve_module):
    root = tmp_path_factory.mktemp("repository")
    server_models.build_text_model(root / MODEL, 1)
    server_models.build_text_model(root / MODEL, 2, offset=100.0)
    config_list = single_model_config(MODEL, str(root / MODEL))
    config = config_list.config[0]
    config.model_version_policy.all.SetInParent()
    config.version_labels["stable"] = 1
    batching = parse_batching_parameters(
        (REPO_ROOT / constants.BATCHING_CONFIG_FILE).read_text(encoding="utf-8")
    )
    return serve_module(
        config_list=config_list,
        batching=batching,
        allow_version_labels_for_unavailable_models=True,
    )


def _expected_labels(probabilities):
    return [server_models.LABELS[i] for i in probabilities.argmax(axis=1)]


def test_classify_equals_the_models_computation(server):
    with ServingClient(server.target, MODEL, version=1) as client:
        client.wait_until_available(timeout=30)
        predictions = client.classify(TEXTS)
    expected = server_models.expected_probabilities(TEXTS)
    np.testing.assert_allclose([p.probabilities for p in predictions], expected, atol=1e-5)
    assert [p.label for p in predictions] == _expected_labels(expected)
    assert [p.class_id for p in predictions] == expected.argmax(axis=1).tolist()


def test_latest_version_label_and_chunks(server):
    texts = [("z" * n) for n in range(0, 40, 3)]
    with ServingClient(server.target, MODEL, chunk_size=4) as latest:
        newest = latest.classify(texts)
    with ServingClient(server.target, MODEL, version_label="stable") as stable:
        labelled = stable.classify(texts)
        assert stable.metadata().version == 1
    np.testing.assert_allclose(
        [p.probabilities for p in newest],
        server_models.expected_probabilities(texts, offset=100.0),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        [p.probabilities for p in labelled], server_models.expected_probabilities(texts), atol=1e-5
    )


def test_metadata_status_and_raw_predict(server):
    with ServingClient(server.target, MODEL) as client:
        metadata = client.metadata()
        statuses = client.status()
        outputs = client.predict({constants.CLASSIFIER_INPUT: TEXTS}, output_filter=["labels"])
    signature = metadata.signatures[constants.SERVING_SIGNATURE]
    assert signature.inputs[constants.CLASSIFIER_INPUT].dtype == "string"
    assert signature.outputs[constants.PROBABILITIES].dtype == "float32"
    assert metadata.version == 2
    assert [(s.version, s.state) for s in statuses] == [(1, "AVAILABLE"), (2, "AVAILABLE")]
    assert set(outputs) == {constants.LABELS} and len(outputs[constants.LABELS]) == len(TEXTS)


def test_server_errors_arrive_typed_with_tf_serving_wording(server):
    with ServingClient(server.target, "missing") as client:
        with pytest.raises(ModelNotFoundError) as caught:
            client.classify(["x"])
    assert caught.value.code == grpc.StatusCode.NOT_FOUND
    assert "Servable not found for request: Latest(missing)" in caught.value.details
    with ServingClient(server.target, MODEL) as client:
        with pytest.raises(InvalidInputError):
            client.predict({"not_an_input": ["x"]})
        # The server still answers afterwards.
        assert len(client.classify(["x"])) == 1


def test_async_client_against_the_server(server):
    async def main():
        async with AsyncServingClient(server.target, MODEL, version=1, chunk_size=2) as client:
            return await client.classify(TEXTS)

    predictions = asyncio.run(main())
    np.testing.assert_allclose(
        [p.probabilities for p in predictions],
        server_models.expected_probabilities(TEXTS),
        atol=1e-5,
    )


def test_query_command_against_the_server(server, capsys):
    argv = ["query", "--target", server.target, "--model", MODEL, "--json"]
    assert cli.main([*argv, "--version", "1", "tiny"]) == 0
    assert '"label": "short"' in capsys.readouterr().out
    # The latest version (2) shifts every length by 100: the same text is "long".
    assert cli.main([*argv, "tiny"]) == 0
    assert '"label": "long"' in capsys.readouterr().out
