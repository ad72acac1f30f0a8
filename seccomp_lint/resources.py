"""The JSON Schemas in the repository's top-level ``schemas/`` folder, wherever they are.

A wheel ships them inside the package as ``seccomp_lint/schemas/*.json`` (hatchling's
force-include, pyproject.toml). An editable install or a checkout on ``PYTHONPATH`` imports the
package from the source tree, which has no ``seccomp_lint/schemas``: there the files are read
from ``schemas/`` next to the package. Imported only when a schema is needed.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def schema_bytes(name: str) -> bytes:
    """The bytes of the schema ``name``, e.g. ``"config.schema.json"``."""
    shipped = files(__package__).joinpath("schemas").joinpath(name)
    if shipped.is_file():
        return shipped.read_bytes()
    return (Path(__file__).resolve().parent.parent / "schemas" / name).read_bytes()
