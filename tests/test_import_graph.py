"""The package layering, read from the source: every import, at any depth in a function.

- The library (`tfcharnlp`, except the command line that assembles the three
  packages: `cli.py` and the cross-package `demo_command.py`) imports neither
  `serving` nor `tuning`.
- `tuning` does not import `serving` (the push step is handed to it).
- `tfcharnlp.training` does not import `tfcharnlp.export` (export reads the
  model folder training writes, never the other way round).
"""

import ast
import re

import pytest

from tests.conftest import REPO_ROOT

ASSEMBLY = {"tfcharnlp/cli.py", "tfcharnlp/demo_command.py"}
# Module paths in strings (importlib), e.g. "tuning.char_cnn_hypermodel".
MODULE_STRING = re.compile(r"^(tfcharnlp|tuning|serving)(\.[a-z_]+)*(:[A-Za-z_]+)?$")


def imported_modules(path):
    """Every module `path` imports (statements anywhere, and module-path strings)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if MODULE_STRING.match(node.value):
                found.add(node.value.split(":")[0])
    return found


def sources(package):
    return sorted((REPO_ROOT / package).rglob("*.py"))


def arrows(package, forbidden, exempt=()):
    bad = []
    for path in sources(package):
        name = str(path.relative_to(REPO_ROOT))
        if name in exempt:
            continue
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{name} -> {module}")
    return bad


def test_the_scanner_sees_imports_inside_functions(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "def f():\n    from serving.push import push_model\n"
        "    import importlib\n    importlib.import_module('tuning.handoff')\n"
    )
    assert {"serving.push", "serving.push.push_model", "tuning.handoff"} <= imported_modules(path)


@pytest.mark.parametrize(
    "package, forbidden, exempt",
    [
        ("tfcharnlp", ("serving", "tuning"), ASSEMBLY),
        ("tuning", ("serving",), ()),
        ("tfcharnlp/training", ("tfcharnlp.export",), ()),
    ],
)
def test_no_arrow_against_the_layering(package, forbidden, exempt):
    assert arrows(package, forbidden, exempt) == []
