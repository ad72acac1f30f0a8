"""The wheel: the declared build backend builds it, and it ships what the installed linter reads
(the top-level schemas/ as seccomp_lint/schemas/, byte for byte), the LICENSE, and the version
of seccomp_lint/__init__.py."""

from __future__ import annotations

import email.parser
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

import seccomp_lint

SCHEMAS = ("config.schema.json", "output.schema.json", "seccomp-profile.schema.json")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the checkout by pip with the build-system of pyproject.toml."""
    out = tmp_path_factory.mktemp("wheel")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--disable-pip-version-check",
        "-q",
        "-w",
        str(out),
    ]
    # The backend is a test dependency ([test] extra): no download. Without it, pip fetches it.
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-build-isolation")
    done = subprocess.run([*cmd, str(REPO)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("seccomp_lint-*.whl")
    return built


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def _read(wheel: Path, name: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name)


def test_wheel_ships_the_top_level_schemas_unchanged(wheel):
    names = _names(wheel)
    shipped = sorted(
        n.removeprefix("seccomp_lint/schemas/")
        for n in names
        if n.startswith("seccomp_lint/schemas/")
    )
    assert shipped == sorted(SCHEMAS)
    assert sorted(p.name for p in (REPO / "schemas").glob("*.json")) == sorted(SCHEMAS)
    for name in SCHEMAS:
        assert (
            _read(wheel, f"seccomp_lint/schemas/{name}") == (REPO / "schemas" / name).read_bytes()
        ), name
    assert not any(n.startswith("schemas/") for n in names), "schemas belong inside the package"


def test_wheel_ships_the_license(wheel):
    (license_,) = [n for n in _names(wheel) if n.endswith(".dist-info/licenses/LICENSE")]
    assert _read(wheel, license_) == (REPO / "LICENSE").read_bytes()
    assert b"Apache License" in _read(wheel, license_)


def test_wheel_version_is_the_package_version(wheel):
    (metadata,) = [n for n in _names(wheel) if n.endswith(".dist-info/METADATA")]
    meta = email.parser.BytesParser().parsebytes(_read(wheel, metadata), headersonly=True)
    assert meta["Name"] == "seccomp-lint"
    assert meta["Version"] == seccomp_lint.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert wheel.name.startswith(f"seccomp_lint-{seccomp_lint.__version__}-")


def test_unpacked_wheel_reads_its_own_schemas(wheel, tmp_path):
    """Installed from the wheel, the schemas come from inside the package (importlib.resources)."""
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    code = (
        "import importlib.resources, seccomp_lint\n"
        "from seccomp_lint.lint import config\nfrom seccomp_lint.model import profiles\n"
        "print(seccomp_lint.__file__)\n"
        "print(importlib.resources.files('seccomp_lint').joinpath('schemas', 'config.schema.json').is_file())\n"
        "print(len(config._schema_bytes()) > 0, profiles._validator() is not None)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    where, inside, loaded = done.stdout.splitlines()
    assert Path(where).is_relative_to(tmp_path / "site")
    assert (inside, loaded) == ("True", "True True")
    version = subprocess.run(
        [sys.executable, "-m", "seccomp_lint", "--version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert version.stdout.strip() == f"seccomp-lint {seccomp_lint.__version__}"
