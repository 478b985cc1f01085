"""The client's folder boundary, read from the source: no arrow into the server or TensorFlow.

`serving/client/` and the two shared modules it stands on (`serving.protos`,
`serving.tensor_codec`) may import the standard library, grpc, numpy, each
other, and the few TF-free `tfcharnlp` modules below; never `serving.server`,
`serving.push`, TensorFlow, Keras or TF Text. (The run-time check, a fresh
interpreter importing the client, is in `test_tensor_codec.py`.)
"""

import pytest

from tests.conftest import REPO_ROOT
from tests.test_import_graph import imported_modules

CLIENT_SIDE = sorted((REPO_ROOT / "serving" / "client").glob("*.py")) + [
    REPO_ROOT / "serving" / "protos.py",
    REPO_ROOT / "serving" / "tensor_codec.py",
    REPO_ROOT / "tfcharnlp" / "per_prompt.py",
]
FORBIDDEN = ("serving.server", "serving.push", "serving.commands", "tensorflow", "keras")
TFCHARNLP_ALLOWED = {
    "tfcharnlp",
    "tfcharnlp.constants",
    "tfcharnlp.errors",
    "tfcharnlp.lazy_exports",
    "tfcharnlp.per_prompt",
}


def _forbidden(module):
    if module.startswith("tensorflow_text") or module.startswith("tuning"):
        return True
    if any(module == name or module.startswith(name + ".") for name in FORBIDDEN):
        return True
    if module == "tfcharnlp" or module.startswith("tfcharnlp."):
        # `from tfcharnlp import constants` reads as tfcharnlp and tfcharnlp.constants.
        return module not in TFCHARNLP_ALLOWED and not any(
            module.startswith(allowed + ".") for allowed in TFCHARNLP_ALLOWED - {"tfcharnlp"}
        )
    return False


@pytest.mark.parametrize("path", CLIENT_SIDE, ids=lambda path: path.name)
def test_the_client_side_imports_nothing_across_its_boundary(path):
    crossing = sorted(module for module in imported_modules(path) if _forbidden(module))
    assert crossing == []


def test_the_boundary_check_catches_a_crossing(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "from serving.server import status\nimport tensorflow as tf\n"
        "def f():\n    from tfcharnlp.models import CharGRUCausalLM\n"
    )
    crossing = {module for module in imported_modules(path) if _forbidden(module)}
    assert {"serving.server", "tensorflow", "tfcharnlp.models"} <= crossing
