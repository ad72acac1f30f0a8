"""The layout the design asks for: no import cycle, modules of one job and modest size, imports at
the top except documented seams, and no rule id spelled outside its rule module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "seccomp_lint"
MAX_LINES = 600
# Function-level imports allowed, each a documented seam: (module, imported name).
SEAMS = {
    ("config", "jsonschema"),  # ~180 ms to import; a validated config is cached
    ("profiles", "jsonschema"),  # only when a seccomp profile is judged
    ("sources", "multiprocessing"),  # only for large runs
    ("pipeline", "builds"),  # the build modules load only for --kustomize/--chart
    ("pipeline", "helm_fix"),  # the chart fix stage, only for --chart with --fix/--diff
    ("pipeline", "helm_sources"),  # Helm templates on disk, only for Helm-rendered input
    ("config", "pathspec"),  # 15 ms of start-up, only for .gitignore and exclude patterns
    ("config", "hashlib"),  # OpenSSL's load (11 ms), only with a config file
    ("sarif", "hashlib"),  # the same, only when SARIF is written
    ("helm", "helm_python"),  # the Helm SDK's 85 MB native library, only for --chart without helm
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _top_level_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        body = node.body if isinstance(node, ast.Try) else [node]
        for item in body:
            if not isinstance(item, ast.ImportFrom) or not item.level:
                continue
            base = package.split(".")[: len(package.split(".")) - item.level + 1]
            target = ".".join([*base, *([item.module] if item.module else [])])
            for alias in item.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def test_no_import_cycle() -> None:
    modules = _modules()
    graph = {name: _top_level_imports(name, path, modules) for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError("import cycle: " + " -> ".join([*trail[trail.index(name) :], name]))
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*trail, name])
        done.add(name)

    for name in graph:
        visit(name, [])
    # The check sees real edges: the pipeline does import the linter's results.
    assert "seccomp_lint.linter" in graph["seccomp_lint.pipeline"]


def test_no_module_over_the_size_limit() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert max(sizes.values()) <= MAX_LINES, sorted(sizes.items(), key=lambda x: -x[1])[:3]


def test_function_level_imports_are_documented_seams() -> None:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found |= {(path.stem, a.name.split(".")[0]) for a in inner.names}
                elif isinstance(inner, ast.ImportFrom):
                    found.add((path.stem, (inner.module or "").split(".")[0]))
    assert found <= SEAMS, found - SEAMS


def test_rule_ids_are_spelled_only_in_their_rule_modules() -> None:
    """The pipeline, linter, fixes and builds find rules through the registry and rule data."""
    ids = [p.stem.replace("_", "-") for p in (PACKAGE / "rules").glob("*_*.py")]
    pattern = re.compile("|".join(re.escape(f'"{i}"') for i in ids))
    for path in PACKAGE.glob("*.py"):
        hits = pattern.findall(path.read_text())
        assert not hits, (path.name, hits)
