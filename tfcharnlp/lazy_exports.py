"""Package names loaded on first use (PEP 562), so importing a package stays TensorFlow-free."""

import importlib
import sys


def lazy_exports(package, exports):
    """`(__getattr__, __dir__)` for `package`, assigned at its top level.

    Args:
        package: the package's `__name__`.
        exports: name -> module, or -> `(module, attribute)` when the
            attribute is named otherwise. A loaded name is cached on the package.
    """

    def __getattr__(name):  # noqa: N807 - the module-level hook PEP 562 names
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        target = exports[name]
        module, attribute = target if isinstance(target, tuple) else (target, name)
        value = getattr(importlib.import_module(module), attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():  # noqa: N807
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
