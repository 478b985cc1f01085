"""Serving benchmark on an exported word-level bidirectional LSTM: batching's home ground.

A recurrent model pays per time step, whatever the batch: one text and 32
texts walk the same 128 steps, each a handful of small kernels, so a merged
call costs little more than a single one. This is the case dynamic batching
exists for (CharCNN-small, by contrast, spends its time on arithmetic that
grows with the rows; see `bench_serving_char_cnn`). The classifier is the
quality benchmark's LSTM (words, bidirectional 1 x 128, embedding 128) with
its word tokenizer in the graph, exported by `tfcharnlp.export`. Speed does
not depend on the weights, so it is not trained; its vocabulary is adapted
on the AG News test texts when `../shared/data` is there, else on the
benchmark's own texts.
"""

from bench import bench_serving

MODEL_NAME = "word_lstm"
MAX_LENGTH = 128
VOCABULARY_TEXTS = 2000


def _vocabulary_texts():
    from tfcharnlp.data import preset, read_examples
    from tfcharnlp.errors import TfcharnlpError

    try:
        return list(read_examples(preset("ag_news", max_rows=VOCABULARY_TEXTS)).texts)
    except TfcharnlpError:  # no shared data here: any texts give the same speed
        return bench_serving._texts(VOCABULARY_TEXTS)


def export_word_lstm(base):
    """Exports an untrained word-level bidirectional LSTM classifier; returns its base path."""
    from tfcharnlp.models import LSTMBackbone
    from tfcharnlp.preprocessing import TextPreprocessor, WordTokenizer

    tokenizer = WordTokenizer(max_tokens=20000, max_length=MAX_LENGTH)
    tokenizer.adapt(_vocabulary_texts())
    preprocessor = TextPreprocessor(tokenizer)
    backbone = LSTMBackbone(
        vocabulary_size=preprocessor.vocabulary_size,
        max_length=MAX_LENGTH,
        embedding_dim=128,
        hidden_units=128,
        bidirectional=True,
    )
    return bench_serving.export_untrained(backbone, preprocessor, base, MODEL_NAME)


def run():
    return bench_serving.measure_exported(
        export_word_lstm,
        f"word-level bidirectional LSTM (1 x 128, embedding 128, {MAX_LENGTH} tokens, 4 classes, "
        "untrained weights: speed only) exported by `tfcharnlp.export` with its word tokenizer "
        "in the graph",
        title="Serving an exported word LSTM (embedded gRPC server)",
    )


if __name__ == "__main__":
    print(run())
