"""TensorFlow's and TF Serving's generated proto modules, imported without TensorFlow's runtime.

The protos live in the `tensorflow` package namespace
(`tensorflow.core.framework.tensor_pb2`, and the `tensorflow_serving.apis`
modules import them from there), so a plain `import
tensorflow_serving.apis.predict_pb2` first runs `tensorflow/__init__.py`: the
whole runtime, several seconds and hundreds of MB, for a client that only
needs message classes. `import_protos` imports them with that one `__init__`
skipped; if TensorFlow is already imported it does a plain import. Either way
the classes are the ones TensorFlow uses, so `tf.make_ndarray` reads our
protos and vice versa.
"""

import _imp
import importlib
import importlib.util
import sys
import types


def import_protos(*module_names):
    """Imports proto modules under `tensorflow.` / `tensorflow_serving.` without TF's runtime.

    Args:
        *module_names: dotted module names, e.g. `"tensorflow_serving.apis.predict_pb2"`.

    Returns:
        The imported modules, in order.
    """
    if "tensorflow" in sys.modules:
        return [importlib.import_module(name) for name in module_names]
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        # No TensorFlow package: let the import fail with Python's own message.
        return [importlib.import_module(name) for name in module_names]
    # Hold the global import lock so no other thread imports `tensorflow`
    # while the placeholder below stands in for it.
    _imp.acquire_lock()
    try:
        if "tensorflow" in sys.modules:
            return [importlib.import_module(name) for name in module_names]
        # A bare package object with TensorFlow's search path: submodules such
        # as tensorflow.core.framework.tensor_pb2 load from the real files,
        # but tensorflow/__init__.py never runs.
        placeholder = types.ModuleType("tensorflow")
        placeholder.__path__ = list(spec.submodule_search_locations)
        placeholder.__spec__ = spec
        placeholder.__file__ = spec.origin
        sys.modules["tensorflow"] = placeholder
        try:
            return [importlib.import_module(name) for name in module_names]
        finally:
            # The submodules stay cached; a later `import tensorflow` runs the
            # real __init__ and finds them.
            if sys.modules.get("tensorflow") is placeholder:
                del sys.modules["tensorflow"]
    finally:
        _imp.release_lock()
