"""Every exported family, tiny, exported by `tfcharnlp.export` with the project's own layers.

Shared by the serving tests (bad input must be refused, the server must stay
up) and the TF Serving runtime check (`bench/tf_serving_runtime.py`: the
same SavedModels in a TensorFlow 2.20 runtime). A family is one `FAMILIES`
entry: its name, a builder returning an untrained Keras model, and the
signature inputs to compare (plain numpy, so another TensorFlow can read
them as JSON). Adding a family is one line there.

Weights are random: what is compared is the graph's behaviour across
runtimes and servers, not the model's quality.
"""

import numpy as np

from tfcharnlp import constants

LABELS = ["World", "Sports", "Business", "Sci/Tech"]
TEXTS = [
    "Stocks rallied on Wall Street after the Fed held rates steady.",
    "Ｓｔｏｃｋｓ RALLY in Zürich: naïve café owners rejoice",
    "",
    "a",
]
CORPUS = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n"
)


def _seeded(seed=0):
    import keras

    keras.utils.set_random_seed(seed)


def _zhang70_characters(max_length):
    """The character preprocessor of both char classifiers: NFKC, lower case, zhang70."""
    from tfcharnlp.preprocessing import CharTokenizer, TextNormalizer, TextPreprocessor

    return TextPreprocessor(
        tokenizer=CharTokenizer(alphabet="zhang70", max_length=max_length),
        normalizer=TextNormalizer(steps=("nfkc", "lower")),
    )


def char_classifier():
    """A multi-width character CNN over the NFKC-lowercased zhang70 alphabet."""
    from tfcharnlp.models import MultiWidthCNNBackbone, TextClassifier

    _seeded()
    preprocessor = _zhang70_characters(64)
    backbone = MultiWidthCNNBackbone(
        vocabulary_size=preprocessor.vocabulary_size,
        max_length=64,
        embedding_dim=8,
        kernel_sizes=(2, 3),
        filters=8,
    )
    return TextClassifier(backbone, num_classes=len(LABELS), preprocessor=preprocessor)


def char_cnn_classifier():
    """Zhang et al.'s CharCNN, few units, with the char_cnn default recipe's options.

    Batch normalization, the padding-masked global maximum, input character
    dropout and the gathered one-hot first convolution are all in its graph.
    """
    from tfcharnlp.models import CharCNNBackbone, TextClassifier

    _seeded()
    preprocessor = _zhang70_characters(128)
    backbone = CharCNNBackbone(
        vocabulary_size=preprocessor.vocabulary_size,
        max_length=128,
        filters=8,
        dense_units=16,
        normalization="batch",
        pooling="global_max",
        kernel_initializer="glorot_uniform",
        input_dropout=0.1,
    )
    return TextClassifier(backbone, num_classes=len(LABELS), preprocessor=preprocessor)


def word_classifier():
    """A word-level LSTM; its tokenizer runs TF Text's WhitespaceTokenizeWithOffsetsV2 in-graph."""
    from tfcharnlp.models import LSTMBackbone, TextClassifier
    from tfcharnlp.preprocessing import TextPreprocessor, WordTokenizer

    _seeded()
    tokenizer = WordTokenizer(max_tokens=200, max_length=16, lowercase=True)
    tokenizer.adapt(TEXTS + CORPUS.split("\n"))
    preprocessor = TextPreprocessor(tokenizer=tokenizer)
    backbone = LSTMBackbone(
        vocabulary_size=preprocessor.vocabulary_size, embedding_dim=8, hidden_units=8
    )
    return TextClassifier(backbone, num_classes=len(LABELS), preprocessor=preprocessor)


def ngram_classifier():
    """A fastText-style bag of hashed word uni- and bigrams and character 2-4-grams."""
    from tfcharnlp.models import NGramBagBackbone, TextClassifier
    from tfcharnlp.preprocessing import NGramTokenizer, TextNormalizer, TextPreprocessor

    _seeded()
    preprocessor = TextPreprocessor(
        tokenizer=NGramTokenizer(
            num_buckets=5000, ngrams=2, char_ngrams=(2, 4), max_length=48, split="punctuation"
        ),
        normalizer=TextNormalizer(steps=("strip_html", "lower")),
    )
    backbone = NGramBagBackbone(
        vocabulary_size=preprocessor.vocabulary_size, max_length=48, embedding_dim=8
    )
    return TextClassifier(backbone, num_classes=len(LABELS), preprocessor=preprocessor)


def generator():
    """A two-layer character GRU language model (the generation loop runs in-graph)."""
    from tfcharnlp.models import CharGRUBackbone, CharGRUCausalLM
    from tfcharnlp.preprocessing import CharTokenizer, TextPreprocessor

    _seeded()
    tokenizer = CharTokenizer.from_text(CORPUS, max_length=32)
    backbone = CharGRUBackbone(
        vocabulary_size=tokenizer.vocabulary_size, embedding_dim=8, hidden_units=16, num_layers=2
    )
    return CharGRUCausalLM(backbone, preprocessor=TextPreprocessor(tokenizer=tokenizer))


def _example(text):
    from tensorflow.core.example import example_pb2

    example = example_pb2.Example()
    example.features.feature[constants.EXAMPLE_TEXT_FEATURE].bytes_list.value.append(text)
    return example.SerializeToString()


def classifier_inputs(model):
    texts = np.array([text.encode("utf-8") for text in TEXTS], dtype=object)
    examples = np.array([_example(text) for text in texts], dtype=object)
    return {
        constants.SERVING_SIGNATURE: {constants.CLASSIFIER_INPUT: texts},
        constants.CLASSIFY_SIGNATURE: {constants.CLASSIFY_INPUTS: examples},
    }


def generator_inputs(model):
    prompts = np.array([b"First Citizen:\n", b"All:", b"", b"Speak"], dtype=object)
    return {
        constants.SERVING_SIGNATURE: {
            constants.GENERATOR_PROMPT: prompts,
            constants.GENERATOR_LENGTH: np.array([12, 5, 8, 0], np.int32),
            constants.GENERATOR_TEMPERATURE: np.array([0.0, 1.0, 0.8, 1.0], np.float32),
            constants.GENERATOR_TOP_K: np.array([0, 3, 0, 5], np.int32),
            constants.GENERATOR_SEED: np.array([1, 2, 2**40 + 5, 4], np.int64),
        },
        constants.NEXT_CHAR_SIGNATURE: {
            constants.STEP_IDS: np.array([2, 5, 1], np.int32),
            constants.STEP_STATE: np.linspace(
                -1, 1, 3 * model.state_size, dtype=np.float32
            ).reshape(3, model.state_size),
        },
    }


# name -> (builder of the untrained model, exporter arguments, model -> {signature: inputs}).
FAMILIES = {
    "char_classifier": (char_classifier, {"labels": LABELS}, classifier_inputs),
    "char_cnn_classifier": (char_cnn_classifier, {"labels": LABELS}, classifier_inputs),
    "word_classifier": (word_classifier, {"labels": LABELS}, classifier_inputs),
    "ngram_classifier": (ngram_classifier, {"labels": LABELS}, classifier_inputs),
    "generator": (generator, {"max_generation_length": 64}, generator_inputs),
}

# The signature input that must be a vector of strings, per family kind.
STRING_INPUT = {
    "char_classifier": constants.CLASSIFIER_INPUT,
    "char_cnn_classifier": constants.CLASSIFIER_INPUT,
    "word_classifier": constants.CLASSIFIER_INPUT,
    "ngram_classifier": constants.CLASSIFIER_INPUT,
    "generator": constants.GENERATOR_PROMPT,
}


def export_family(name, base):
    """Exports family `name` as version 1 of `<base>/<name>`.

    Returns:
        (version folder, the model, {signature: inputs to compare}).
    """
    from tfcharnlp.export import export_model

    build, exporter_arguments, inputs = FAMILIES[name]
    model = build()
    path = export_model(model, base, name, version=1, **exporter_arguments)
    return path, model, inputs(model)


def bad_string_inputs(name, inputs):
    """`serving_default` inputs whose string input is a scalar, a [1, 1] matrix, or empty.

    Args:
        name: the family.
        inputs: its `{signature: inputs}` (from `export_family`).

    Returns {case: {alias: numpy array}}; the other inputs (the generator's
    controls) are valid vectors of one value.
    """
    inputs = dict(inputs[constants.SERVING_SIGNATURE])
    alias = STRING_INPUT[name]
    for key, value in inputs.items():
        if key != alias:
            inputs[key] = value[:1]
    cases = {
        "scalar": np.array(b"a text", dtype=object),
        "[1,1]": np.array([[b"a text"]], dtype=object),
        "empty": np.array([], dtype=object),
    }
    return {case: {**inputs, alias: value} for case, value in cases.items()}
