"""The JSON Schemas in the repository's top-level ``schemas/`` folder, wherever they are.

A wheel ships them inside the package as ``seccomp_lint/schemas/*.json`` (hatchling's
force-include, pyproject.toml). An editable install or a checkout on ``PYTHONPATH`` imports the
package from the source tree, which has no ``seccomp_lint/schemas``: there the files are read
from ``schemas/`` next to the package. Plain paths, not ``importlib.resources``, whose import
(tempfile, pathlib, shutil) would add 13 ms to every run.
"""

from __future__ import annotations

import os

# seccomp_lint/, the package folder (this module sits in seccomp_lint/model/).
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def schema_bytes(name: str) -> bytes:
    """The bytes of the schema ``name``, e.g. ``"config.schema.json"``."""
    for folder in (
        os.path.join(_PACKAGE, "schemas"),
        os.path.join(os.path.dirname(_PACKAGE), "schemas"),
    ):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                return handle.read()
    raise FileNotFoundError(f"schema {name} is not installed with seccomp-lint")
