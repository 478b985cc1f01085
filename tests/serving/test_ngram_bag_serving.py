"""An `ngram_bag` model end to end: `tfcharnlp train --family ngram_bag --export`, then served.

The n-grams are hashed inside the exported graph, so the embedded server
answers raw strings (HTML, non-ASCII, empty, a text longer than
`max_length`) with the probabilities the trained Keras model gives for the
same strings: no Python-side tokenizer, no skew.
"""

import json

import numpy as np
import pytest

from serving.client import ServingClient
from serving.server import single_model_config, start_server
from tfcharnlp import cli, constants
from tfcharnlp.training.model_folder import load_keras_model

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

TEXTS = [
    "How far is it from Denver to Aspen ?",
    "What does <b>NASA</b> stand for?",
    "Who wrote « Les Misérables » ?",
    "",
    "why " * 400,
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("ngram_bag")
    code = cli.main(
        [
            "train", "--family", "ngram_bag", "--data", str(shared_data), "--preset", "trec",
            "--max-rows", "800", "--validation-split", "0.2", "--epochs", "2",
            "--buckets", "50000", "--max-length", "64", "--batch-size", "64",
            "--output", str(root / "models"), "--model-name", "questions",
            "--export-base", str(root / "repository"),
        ]
    )  # fmt: skip
    assert code == 0
    return root / "models" / "questions", root / "repository" / "questions"


@pytest.fixture(scope="module")
def server(trained):
    _, base = trained
    running = start_server(
        config_list=single_model_config("questions", str(base)),
        port=0,
        file_system_poll_wait_seconds=0,
    )
    yield running
    running.stop(grace=1)


def test_the_served_model_answers_raw_strings_as_the_trained_model(trained, server):
    folder, base = trained
    assert (base / "1" / "saved_model.pb").is_file()
    model = load_keras_model(folder)
    logits = model.predict_texts(TEXTS)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    with ServingClient(server.target, "questions") as client:
        client.wait_until_available(timeout=60)
        predictions = client.classify(TEXTS)
    np.testing.assert_allclose([p.probabilities for p in predictions], expected, atol=1e-5)
    labels = [line.strip() for line in (folder / "label_vocabulary.txt").open()]
    assert [p.label for p in predictions] == [labels[i] for i in expected.argmax(axis=1)]
    # The config that trained it travels with the model.
    assets = base / "1" / constants.ASSETS_DIR
    recorded = json.loads((assets / constants.TRAINING_CONFIG_ASSET).read_text())
    assert (recorded["family"], recorded["tokenizer"], recorded["buckets"]) == (
        "ngram_bag",
        "ngram",
        50000,
    )
