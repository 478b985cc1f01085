"""Keras `class_weight` from a config's `class_weights` setting."""

from tfcharnlp.errors import ConfigError


def class_weight_dict(config, vocabulary, train_label_ids):
    """None (`"none"`), balanced weights, or the given list or {label: weight}, by class id.

    Args:
        config: the run's config (its `class_weights` field).
        vocabulary: the `LabelVocabulary` of the training data.
        train_label_ids: the training labels as ids (needed for "balanced" only).
    """
    weights = config.class_weights
    if isinstance(weights, str) and weights == "none":
        return None
    num_classes = len(vocabulary)
    if weights == "balanced":
        from tfcharnlp.models.losses import balanced_class_weights

        return balanced_class_weights(train_label_ids, num_classes)
    if isinstance(weights, list):
        if len(weights) != num_classes:
            raise ConfigError(
                "class_weights",
                f"{len(weights)} weights for {num_classes} classes {list(vocabulary)}",
            )
        return {index: float(weight) for index, weight in enumerate(weights)}
    unknown = [label for label in weights if label not in vocabulary]
    if unknown:
        raise ConfigError(
            "class_weights", f"labels {unknown} are not in the data {list(vocabulary)}"
        )
    return {vocabulary.index(label): float(weights.get(label, 1.0)) for label in vocabulary}
