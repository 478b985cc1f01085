"""Serving benchmark on an exported CharCNN-small: where dynamic batching pays.

The tiny model of `bench_serving` costs about as much as gRPC itself, so
batching has little to save there. This benchmark exports the real product,
a CharCNN-small classifier (Zhang et al. 2015, max_length 1014) with its
character preprocessor inside the graph, through `tfcharnlp.export`, and
measures it with the same code. Speed does not depend on the weights, so the
model is not trained (its answers are meaningless; say so in the report).
"""

from bench import bench_serving

MODEL_NAME = "char_cnn"


def export_char_cnn(base):
    """Exports an untrained CharCNN-small classifier; returns its model base path."""
    from tfcharnlp.models import CharCNNBackbone
    from tfcharnlp.preprocessing import CharTokenizer, TextPreprocessor

    preprocessor = TextPreprocessor(CharTokenizer(max_length=1014, lowercase=True))
    backbone = CharCNNBackbone(
        vocabulary_size=preprocessor.vocabulary_size, max_length=1014, size="small"
    )
    return bench_serving.export_untrained(backbone, preprocessor, base, MODEL_NAME)


def run():
    return bench_serving.measure_exported(
        export_char_cnn,
        "CharCNN-small (max_length 1014, 4 classes, 11.3M parameters, untrained weights: "
        "speed only) exported by `tfcharnlp.export` with its character preprocessor in the graph",
        title="Serving an exported CharCNN-small (embedded gRPC server)",
    )


if __name__ == "__main__":
    print(run())
