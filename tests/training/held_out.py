"""What a learning test measures a held-out score against."""

import collections

from tfcharnlp.data import preset
from tfcharnlp.data.read_examples import read_examples
from tfcharnlp.data.split import split_examples


def majority_share(data_options, data_dir):
    """The share of the most frequent label in the held-out (validation) split."""
    options = {key: value for key, value in data_options.items() if key != "preset"}
    source = preset(data_options["preset"], data_dir=str(data_dir), **options)
    result = read_examples(source)
    _, (_, labels) = split_examples(
        result.texts, result.labels, source.validation_split, source.split_seed
    )
    return max(collections.Counter(labels).values()) / len(labels)
