"""Deterministic train/validation splits.

Rows go to validation by a hash of their text, as TFX ExampleGen splits by
a fingerprint of the example: the split is the same on every run and
machine, does not depend on row order or on how many rows are read, and
duplicate texts always land on the same side (no leakage). hashlib (not
Python's salted `hash`) keeps it stable across processes.
"""

import hashlib

from tfcharnlp.validation import check_number

_HASH_RANGE = 2**64


def check_split_fraction(validation_split):
    """The share held out: a number in [0, 1) (0: nothing held out)."""
    return check_number(
        "validation_split", validation_split, low=0.0, high=1.0, high_inclusive=False
    )


def in_validation(text, validation_split, seed=0):
    """Whether `text` belongs to the validation split."""
    digest = hashlib.sha256(
        f"{seed}\x00".encode() + text.encode("utf-8", errors="surrogatepass")
    ).digest()
    return int.from_bytes(digest[:8], "big") < validation_split * _HASH_RANGE


def split_examples(texts, labels, validation_split, seed=0):
    """Splits parallel lists by text hash.

    Args:
        texts: list of strings.
        labels: list parallel to `texts`, or None.
        validation_split: the expected fraction of rows in validation.
        seed: salt of the hash; another seed gives another split.

    Returns:
        `((train_texts, train_labels), (validation_texts, validation_labels))`,
        with the label lists None when `labels` is None; the input order is kept.
    """
    check_split_fraction(validation_split)
    if labels is not None and len(labels) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    train_texts, train_labels, validation_texts, validation_labels = [], [], [], []
    for index, text in enumerate(texts):
        if validation_split and in_validation(text, validation_split, seed):
            validation_texts.append(text)
            if labels is not None:
                validation_labels.append(labels[index])
        else:
            train_texts.append(text)
            if labels is not None:
                train_labels.append(labels[index])
    if labels is None:
        return (train_texts, None), (validation_texts, None)
    return (train_texts, train_labels), (validation_texts, validation_labels)


def split_text(text, validation_split):
    """Splits one long text by position: the last fraction is validation.

    A language model trains on one corpus; hashing would put all of it on
    one side, so, as char-rnn and nanoGPT do, the tail is held out.
    """
    check_split_fraction(validation_split)
    cut = len(text) - int(round(len(text) * validation_split))
    return text[:cut], text[cut:]
