"""The strongest plain Python/numpy encoders to hold tfcharnlp's pipelines against.

Each encoder turns a list of texts into the same int32 ids `[n, max_length]`
(0 padding, 1 unknown) as the tfcharnlp tokenizer it stands beside, built
from that tokenizer's vocabulary; `run_in_processes` runs one on several
cores the way a PyTorch `DataLoader` with workers does (each worker holds
the texts and encodes whole batches). Only numpy is imported here, so the
spawned workers start without TensorFlow.
"""

import multiprocessing
import time

import numpy as np

PADDING_ID, UNKNOWN_ID = 0, 1
UNICODE_SIZE = 0x110000


class CodePointTableEncoder:
    """Characters -> ids by one numpy lookup table indexed by code point, a batch at a time.

    The batch's windows (`text.lower()[:max_length]`) are joined, encoded
    once as UTF-32 and looked up in one gather, then scattered into the
    padded array: no Python loop over characters.
    """

    def __init__(self, vocabulary, max_length, lowercase):
        self.max_length = max_length
        self.lowercase = lowercase
        self.vocabulary_size = len(vocabulary)
        self.table = np.full(UNICODE_SIZE, UNKNOWN_ID, dtype=np.int32)
        for index, token in enumerate(vocabulary[2:], start=2):
            self.table[ord(token)] = index
        self._columns = np.arange(max_length)
        self._eye = np.eye(self.vocabulary_size, dtype=np.float32)

    def ids(self, texts):
        windows = [(text.lower() if self.lowercase else text)[: self.max_length] for text in texts]
        lengths = np.fromiter(map(len, windows), dtype=np.int64, count=len(windows))
        codes = np.frombuffer("".join(windows).encode("utf-32-le"), dtype=np.uint32)
        out = np.zeros((len(texts), self.max_length), dtype=np.int32)
        out[self._columns < lengths[:, None]] = self.table[codes]
        return out

    def one_hot(self, texts):
        """Float32 `[n, max_length, vocabulary_size]`, as `tf.one_hot(ids, vocabulary_size)`."""
        return self._eye[self.ids(texts)]


class WordDictEncoder:
    """Words -> ids by `str.split()` and a dict lookup, text by text."""

    def __init__(self, vocabulary, max_length, lowercase):
        self.max_length = max_length
        self.lowercase = lowercase
        self.index = {token: index for index, token in enumerate(vocabulary) if index >= 2}

    def ids(self, texts):
        out = np.zeros((len(texts), self.max_length), dtype=np.int32)
        get, length = self.index.get, self.max_length
        for row, text in enumerate(texts):
            words = (text.lower() if self.lowercase else text).split()[:length]
            out[row, : len(words)] = [get(word, UNKNOWN_ID) for word in words]
        return out


def rate(encode, texts, batch_size):
    """Texts per second of `encode` over `texts` in batches, in this process."""
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        encode(texts[start : start + batch_size])
    return len(texts) / (time.perf_counter() - started)


_WORKER = {}


def _start_worker(encoder, method, texts, batch_size):
    _WORKER.update(encode=getattr(encoder, method), texts=texts, batch_size=batch_size)


def _ready(_):
    time.sleep(0.2)  # Long enough that every worker takes one: all have started.
    return True


def _encode_batch(start):
    return _WORKER["encode"](_WORKER["texts"][start : start + _WORKER["batch_size"]])


def run_in_processes(encoder, method, texts, batch_size, processes):
    """Texts per second of `encoder.method` over `texts` in `processes` worker processes.

    Workers are spawned and handed the texts once (not timed, like a
    `DataLoader`'s start); then batches are encoded in order and every
    result array is received by this process (timed), as a loader hands
    batches to the training loop.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, _start_worker, (encoder, method, texts, batch_size)) as pool:
        # Every worker has started and holds the texts before the clock starts.
        pool.map(_ready, range(processes), chunksize=1)
        started = time.perf_counter()
        count = 0
        for batch in pool.imap(_encode_batch, range(0, len(texts), batch_size)):
            count += batch.shape[0]
        return count / (time.perf_counter() - started)
