"""Keeps TensorFlow's C++ start-up lines off the terminal (the `tfcharnlp` command without -v).

Importing TensorFlow 2.21 prints oneDNN, CUDA-stub and cpu_feature_guard
lines through absl before `TF_CPP_MIN_LOG_LEVEL` is read ("All log messages
before absl::InitializeLog() is called are written to STDERR"), so the
variable alone cannot hide them; the first device scan then logs cuInit's
failure on a machine without a GPU. `quiet_tensorflow_start_up()` therefore
sets `TF_CPP_MIN_LOG_LEVEL=2` (INFO and WARNING off; a user's own value
wins), keeps TensorFlow's Python logger at WARNING, and installs an import hook: the first `import tensorflow`, wherever a
subcommand does it, runs with file descriptor 2 pointed at a scratch file,
together with the device scan. What was written there is dropped when the
import succeeds and replayed on stderr when it fails, so nothing useful is
lost. TensorFlow is still imported lazily (`--help` stays fast).
"""

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys
import tempfile


@contextlib.contextmanager
def _stderr_captured():
    """Points file descriptor 2 at a scratch file; replays it if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as scratch:
        os.dup2(scratch.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            scratch.seek(0)
            os.write(2, scratch.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` once, and wraps its module execution in `_stderr_captured`."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def quiet_exec_module(module):
            with _stderr_captured():
                execute(module)
                # The device scan logs cuInit's failure on CPU-only machines.
                module.config.list_physical_devices()

        spec.loader.exec_module = quiet_exec_module
        return spec


def quiet_tensorflow_start_up():
    """Silences TensorFlow's start-up lines for this process (call before TensorFlow is imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow's Python INFO lines too ("Restoring parameters from ...").
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    if "tensorflow" not in sys.modules and not any(
        isinstance(finder, _QuietTensorFlowImport) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _QuietTensorFlowImport())
