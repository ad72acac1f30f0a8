"""The layout the design asks for: subpackages named after the stages of the data flow with
imports running one way between them, no import cycle, modules of one job and modest size, imports
at the top except documented seams, and no rule id spelled outside its rule module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "seccomp_lint"
MAX_LINES = 500
# The stages, bottom to top: a module may import its own stage and the stages below it. The
# top-level modules (cli, pipeline) sit above every stage.
LAYERS = ["text", "model", "edit", "rules", "output", "lint", "fix", "sources"]
# Function-level imports allowed, each a documented seam: (module, imported module's first part).
SEAMS = {
    ("lint.config", "jsonschema"),  # ~180 ms to import; a validated config is cached
    ("model.profiles", "jsonschema"),  # only when a seccomp profile is judged
    ("sources.files", "multiprocessing"),  # only for large runs
    ("fix.parts", "multiprocessing"),  # only to fix a large stream
    ("pipeline", "sources.builds"),  # the build modules load only for --kustomize/--chart
    ("pipeline", "sources.helm"),  # the chart fix stage and templates on disk, only for Helm input
    ("sources.builds", "sources.kustomize"),  # an adapter's modules load with its first build
    ("sources.builds", "sources.helm"),  # the same: a run over kustomizations skips Helm's
    ("sources.builds", "sources.scratch"),  # --diff's scratch copy, only for a --diff
    ("sources.kustomize.adapter", "sources.kustomize"),  # its fix stage (.fixing), only to fix
    (
        "sources.kustomize.build",
        "sources.kustomize",
    ),  # .patches, only for a finding a patch brought
    ("sources.helm.adapter", "sources.helm"),  # the chart fix stage (.fix), only to fix
    ("lint.config", "pathspec"),  # 15 ms of start-up, only for .gitignore and exclude patterns
    ("lint.config", "hashlib"),  # OpenSSL's load (11 ms), only with a config file
    ("output.identity", "hashlib"),  # the same, only when SARIF or GitLab fingerprints are written
    (
        "sources.helm.render",
        "helm_python",
    ),  # the Helm SDK's 85 MB native library, only without helm
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
            raise AssertionError(
                "import cycle: " + " -> ".join([*trail[trail.index(name) :], name])
            )
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*trail, name])
        done.add(name)

    for name in graph:
        visit(name, [])
    # The check sees real edges: the pipeline does import the linter's results.
    assert "seccomp_lint.lint.linter" in graph["seccomp_lint.pipeline"]


def test_no_module_over_the_size_limit() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert max(sizes.values()) <= MAX_LINES, sorted(sizes.items(), key=lambda x: -x[1])[:3]


def _short(name: str) -> str:
    return name.removeprefix("seccomp_lint.").removeprefix("seccomp_lint")


def _stage(name: str) -> int:
    """The index of a module's stage in LAYERS; top-level modules sit above them all."""
    first = _short(name).split(".")[0]
    if not first:
        return -1  # the package itself: its version, importing nothing
    return LAYERS.index(first) if first in LAYERS else len(LAYERS)


def test_imports_run_one_way_between_the_stages() -> None:
    modules = _modules()
    upward = []
    for name, path in modules.items():
        for dep in _top_level_imports(name, path, modules):
            if _stage(dep) > _stage(name):
                upward.append(f"{_short(name)} -> {_short(dep)}")
    assert not upward, upward
    # Every module but the entry points belongs to a stage.
    top = sorted(_short(n) for n in modules if _stage(n) == len(LAYERS))
    assert top == ["__main__", "cli", "pipeline"], top


def test_every_stage_says_what_it_owns_and_may_import() -> None:
    for stage in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text())) or ""
        assert "import" in doc.lower(), stage


def test_function_level_imports_are_documented_seams() -> None:
    modules = _modules()
    found = set()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found |= {(_short(name), a.name.split(".")[0]) for a in inner.names}
                elif isinstance(inner, ast.ImportFrom) and inner.level:
                    base = package.split(".")[: len(package.split(".")) - inner.level + 1]
                    target = _short(".".join([*base, *([inner.module] if inner.module else [])]))
                    found.add((_short(name), ".".join(target.split(".")[:2])))
                elif isinstance(inner, ast.ImportFrom):
                    found.add((_short(name), (inner.module or "").split(".")[0]))
    assert found <= SEAMS, found - SEAMS


def test_rule_ids_are_spelled_only_in_their_rule_modules() -> None:
    """The pipeline, linter, fixes and builds find rules through the registry and rule data."""
    ids = [p.stem.replace("_", "-") for p in (PACKAGE / "rules").glob("*_*.py")]
    pattern = re.compile("|".join(re.escape(f'"{i}"') for i in ids))
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "rules" and path.stem.replace("_", "-") in ids:
            continue
        hits = pattern.findall(path.read_text())
        assert not hits, (path.name, hits)


MAX_FUNCTION_LINES = 60
LONG_FUNCTIONS_ALLOWED = 3


def test_few_long_functions() -> None:
    """At most three functions over 60 lines, so a function reads on one screen."""
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append((size, f"{path.relative_to(PACKAGE)}:{node.name}"))
    assert len(long) <= LONG_FUNCTIONS_ALLOWED, sorted(long, reverse=True)


def test_one_meaning_per_name() -> None:
    """No class or public function name is defined at the top of two modules (the rule modules'
    ``check``/``fix``, the Rule protocol's functions, are the one allowed repetition)."""
    where: dict[str, list[str]] = {}
    for name, path in _modules().items():
        if path.parent.name == "rules" and path.stem.replace("_", "-") in _rule_ids():
            continue
        for node in ast.parse(path.read_text()).body:
            public = isinstance(node, ast.ClassDef) or (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and not node.name.startswith("_")
            )
            if public:
                where.setdefault(node.name, []).append(_short(name))
    doubles = {n: m for n, m in where.items() if len(m) > 1}
    assert not doubles, doubles


def _rule_ids() -> set[str]:
    return {p.stem.replace("_", "-") for p in (PACKAGE / "rules").glob("*_*.py")}


def test_the_readme_module_map_names_every_module() -> None:
    """The README's module map lists every module of the package, so a newcomer can find where
    a change goes from it alone."""
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Development") :]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    named = " ".join(row.split("|")[2] for row in rows if row.count("|") >= 4)
    missing = []
    for name, path in _modules().items():
        short = _short(name)
        parts = short.split(".")
        if path.name == "__init__.py" and short != "rules":
            continue  # the package and its stages: the table's first column
        if parts[0] == "rules" and parts[-1] not in ("rules", "base"):
            continue  # "one module per rule"
        stem = parts[-1] if path.name != "__init__.py" else "__init__"
        shown = "/".join(parts[1:]) if parts[0] == "sources" and len(parts) > 2 else stem
        if f"`{shown}`" not in named and f"`{stem}`" not in named:
            missing.append(short)
    assert not missing, missing
