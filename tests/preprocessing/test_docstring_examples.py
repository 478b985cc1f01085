import doctest
import importlib

import pytest
import tensorflow as tf

import tfcharnlp.preprocessing as preprocessing

MODULES = [
    "char_tokenizer",
    "word_tokenizer",
    "ngram_tokenizer",
    "text_normalizer",
    "text_preprocessor",
    "language_model_windows",
    "pipeline",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    # The examples use the package's exports without imports, as keras-hub's do.
    names = {
        key: getattr(preprocessing, key) for key in dir(preprocessing) if not key.startswith("_")
    }
    module = importlib.import_module(f"tfcharnlp.preprocessing.{name}")
    result = doctest.testmod(module, extraglobs={**names, "tf": tf}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
