"""Kustomize builds: build a kustomization, lint the output, report findings in the source files.

The build (:mod:`.tool`) runs ``kustomize build`` (or ``kubectl kustomize``) on a temporary wrapper
kustomization that names the user's directory as its only resource and turns on origin and
transformer annotations, so the user's files are never touched. No plugins, exec functions or
Helm inflation are enabled, network access is cut off, and the build has a time limit.

Each built object's ``config.kubernetes.io/origin`` annotation names the file it came from
(:mod:`.origin`). The object is re-located there by kind, namespace and name as they were before
the transformers (``namePrefix``/``nameSuffix``, ``namespace:``; :mod:`.identity`), and the file
is linted too: a finding the source object has too is reported at its line in that file.
A finding the source does not have was brought by a patch: it is reported at the patch (a patch
file, or the inline patch in the kustomization that applies it), found by following the
offending field's path. Objects made by a generator are reported at the kustomization.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ...lint.linter import FileResult, lint_bytes, lint_part
from ...lint.usage import KNOWN
from ...model.data import Finding, Identity, Level, ObjectRef, Options, Source, Suppressed
from ...rules import UNUSED, enabled
from ...sources.toolrun import ToolError
from ...text.documents import text
from ...text.errors import ToolContractError
from ...text.prefilter import relevant
from ...text.streams import Part, has_bom, json_file
from ...text.suppressions import by_line, from_comments
from ..adapter import Mapped
from ..discover import KUSTOMIZATION_FILES
from ..files import real_path
from .identity import Renames, SourceFile, SourceObject, lint_resource
from .origin import Built, read_built
from .tool import take_or_build
from .unchanged import shortcut_allowed, taken
from .written import annotation_written, comment_at, mentions, source_finding

if TYPE_CHECKING:
    from .patches import Patch, Patches, Site

_GENERATOR_KEYS = {
    "ConfigMapGenerator": "configMapGenerator",
    "SecretGenerator": "secretGenerator",
    "HelmChartInflationGenerator": "helmCharts",
}


def kustomization_file(directory: str) -> str | None:
    """The kustomization file of a directory, if it has one."""
    for name in KUSTOMIZATION_FILES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------- mapping findings


@dataclass(frozen=True, eq=False)
class InSource:
    """Where a finding of the build output comes from, and where ``--fix`` edits it."""

    built: Built | None = None  # the object of the build output
    source: SourceObject | None = None  # the object it was built from, in its resource file
    source_finding: Finding | None = None  # the finding as linted in its plain resource file
    # Where --fix edits it: the plain resource file, or the strategic-merge patch file that
    # sets the offending value; and the finding's identity there (its kind, namespace, name).
    edit_file: str | None = None
    edit_identity: Identity | None = None
    # A JSON 6902 patch or an inline patch that sets the value: edited from the build's fix.
    site: Site | None = None


# Resource files as linted in this process, by path, path as shown and options, with the bytes
# they were linted from: overlays that share a base (a walk builds each of them) lint it once; a
# file whose bytes changed since (a fix, a rebuild) is linted again.
_LINTED: dict[tuple[str, str, Options], tuple[bytes, SourceFile]] = {}
_LINTED_MAX = 256


@dataclass
class SourceFiles:
    """One kustomize build and what the mapping needs to know about it, each file read once."""

    directory: str  # as the user gave it
    root: str  # its real path
    wrapper: str
    options: Options
    renames: Renames = field(default_factory=Renames)
    linted: dict[str, SourceFile] = field(default_factory=dict)
    _patches: dict[str, Patches] = field(default_factory=dict)
    _key_lines: dict[tuple[str, str], int] = field(default_factory=dict)
    _comments: dict[tuple[str, int], dict[int, set[str]]] = field(default_factory=dict)
    _shown: dict[str, str] = field(default_factory=dict)

    def shown(self, path: str) -> str:
        """An absolute path as the user would write it, relative to the directory they gave."""
        found = self._shown.get(path)
        if found is None:
            found = self._shown[path] = shown_in(self.directory, self.root, path)
        return found

    def lint_source(self, path: str) -> SourceFile:
        """A source file's findings (suppressed ones flagged) and its objects, indexed."""
        if path not in self.linted:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                self.linted[path] = SourceFile([])
                return self.linted[path]
            options = self.options
            key = (path, self.shown(path), options)
            seen = _LINTED.get(key)
            if seen is None or seen[0] != data:
                # (a JSON file or one with a byte-order mark is read another way: no shares)
                if not json_file(path) and not has_bom(data):
                    source = lint_resource(data, key[1], options)[1]
                else:
                    found = lint_bytes(data, key[1], options, json_file(path)).findings
                    source = SourceFile.of(found, data)
                seen = _LINTED[key] = (data, source)
                while len(_LINTED) > _LINTED_MAX:
                    del _LINTED[next(iter(_LINTED))]
            self.linted[path] = seen[1]
        return self.linted[path]

    def patches(self, kustomization: str) -> Patches:
        """A kustomization's patches, indexed."""
        if kustomization not in self._patches:
            # (a documented seam: the patch reader loads only for a finding a patch brought)
            from .patches import Patches

            self._patches[kustomization] = Patches.of(kustomization)
        return self._patches[kustomization]

    def commented(self, patch: Patch, line: int) -> set[str]:
        """The rules a suppression comment (with a reason) names on ``line`` of a patch's file
        or the line above it: in its text, for a patch written inside a kustomization as a
        literal block (its lines are the kustomization's)."""
        key = (patch.file, patch.line_shift if patch.inline else -1)
        if key not in self._comments:
            data, shift = (patch.data, patch.line_shift) if patch.block else (b"", 0)
            if not patch.inline:
                try:
                    with open(patch.file, "rb") as handle:
                        data = handle.read()
                except OSError:
                    pass
            self._comments[key] = by_line(from_comments(data, shift), KNOWN)
        found = self._comments[key]
        return found.get(line, set()) | found.get(line - 1, set())

    def key_line(self, path: str, key: str) -> int:
        """The line of a top-level key in a YAML file, else 1."""
        if (path, key) not in self._key_lines:
            self._key_lines[path, key] = _key_line(path, key)
        return self._key_lines[path, key]


def shown_in(directory: str, root: str, path: str) -> str:
    """An absolute, normal path as the user would write it: relative to ``directory`` as they
    gave it (``root``: its real path); its tail when it is inside (os.path.relpath is slow)."""
    if path.startswith(root) and path[len(root) : len(root) + 1] == os.sep:
        rel = path[len(root) + 1 :]
    else:
        rel = os.path.relpath(path, root)
    return os.path.normpath(os.path.join(directory, rel))


def map_finding(f: Finding, ctx: SourceFiles, built: list[Built]) -> Mapped[InSource]:
    """Place one finding of the build output in the source (suppressed there: flagged)."""
    b = built[f.object.document] if f.object and f.object.document < len(built) else None
    if b is None:
        return Mapped(_at(f, ctx.shown(kustomization_of(ctx.root)), 1, 1), f, InSource())
    origin = b.origin
    if origin.path is not None:
        return _map_to_file(f, ctx, b, origin.path)
    if origin.configured_in is not None:
        key = _GENERATOR_KEYS.get(origin.configured_by or "", "")
        line = ctx.key_line(origin.configured_in, key) if key else 1
        return Mapped(_at(f, ctx.shown(origin.configured_in), line, 1), f, InSource(b))
    top = kustomization_of(ctx.root)
    remote = Source(origin.remote) if origin.remote else None
    at = _at(f, ctx.shown(top), ctx.key_line(top, "resources"), 1, source=remote)
    return Mapped(at, f, InSource(b))


def _map_to_file(f: Finding, ctx: SourceFiles, b: Built, path: str) -> Mapped[InSource]:
    """A finding of an object that comes from a resource file: there, or at the patch that
    sets the offending value."""
    source = ctx.lint_source(path)
    names = ctx.renames.names(b)
    obj = source.source_object(b, names)
    shown = ctx.shown(path)
    src = source_finding(f, b, obj, path, source)
    if src is not None and src.object is not None and f.object is not None:
        moved = f.changed(
            path=shown,
            line=src.line,
            column=src.column,
            fix=src.fix,
            source=None,
            object=replace(f.object, document=src.object.document),
            written=src.object,
            # Comments do not survive a build: a suppression at the source counts.
            suppressed=f.suppressed or src.suppressed,
        )
        return Mapped(moved, f, InSource(b, obj, src, path, src.identity))
    if obj is not None and obj.name is not None and obj.name not in names:
        names = [*names, obj.name]
    patched_in = b.origin.patched_in
    applied = [ctx.patches(k) for k in patched_in]
    from .patches import find_site  # (the seam above)

    # Its namespaces on the way (source's, namespace: steps', built); any, from an unknown one.
    known: set[str | None] = set()
    if obj is not None or not b.origin.renamespaced:
        known = {b.namespace, obj.namespace if obj else b.namespace, *ctx.renames.namespaces(b)}
    object_line = obj.line if obj is not None else None
    at_source = Source(shown, object_line)
    # (keyed, in baselines and fingerprints, by the object as its resource file writes it:
    # the same whichever overlay built it first)
    written = ObjectRef(obj.kind, obj.name, obj.namespace, max(obj.document, 0)) if obj else None
    if (spot := annotation_written(f, b, obj, path, source)) is not None:
        at = _at(f, ctx.shown(spot[0]), spot[1], spot[2])
        return Mapped(at.changed(written=written), f, InSource(b, obj))
    site = find_site(applied, b.doc, f.line, f.column, b.kind, names, frozenset(known))
    if site is not None:
        patch = site.patch
        at = _at_patch(f, ctx, site, at_source, written)
        if not patch.inline and not patch.operations:
            # A strategic-merge patch file: the finding is fixed there, in place, known by the
            # object its document names.
            doc = patch.docs[site.doc]
            meta = doc.get(doc.root, "metadata")
            identity = f.identity._replace(
                kind=b.kind,
                namespace=text(doc.get(meta, "namespace")),
                name=text(doc.get(meta, "name")),
            )
            return Mapped(at, f, InSource(b, obj, edit_file=patch.file, edit_identity=identity))
        # A JSON 6902 patch file or an inline patch: edited from the build's fix.
        return Mapped(at, f, InSource(b, obj, site=site))
    where = patched_in[-1] if patched_in else path
    line = ctx.key_line(where, "patches") if patched_in else (object_line or 1)
    at = _at(f, ctx.shown(where), line, 1, source=at_source).changed(written=written)
    return Mapped(at, f, InSource(b, obj))


def _at_patch(
    f: Finding, ctx: SourceFiles, site: Site, source: Source, written: ObjectRef | None
) -> Finding:
    """A finding at the line of the patch that sets its value, suppressed by a comment there
    (or on the line above) as one in the resource file would suppress it."""
    at = _at(f, ctx.shown(site.patch.file), site.line, site.column, source=source)
    if at.suppressed is None and f.rule in ctx.commented(site.patch, site.line):
        return at.changed(written=written, suppressed=Suppressed.COMMENT)
    return at.changed(written=written)


def _at(f: Finding, path: str, line: int, column: int, source: Source | None = None) -> Finding:
    return f.changed(path=path, line=line, column=column, source=source, fix=None)


def kustomization_of(directory: str) -> str:
    """The kustomization file of a directory (``kustomization.yaml`` when it has none yet)."""
    return kustomization_file(directory) or os.path.join(directory, "kustomization.yaml")


def _key_line(path: str, key: str) -> int:
    """The line of a top-level key in a YAML file, else 1."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith(f"{key}:"):
                    return number
    except OSError:
        pass
    return 1


# --------------------------------------------------------------------------- the whole run


def lint(directory: str, options: Options) -> FileResult:
    """Build and lint one kustomization: a FileResult whose findings sit in the source files."""
    return lint_built(directory, options)[0]


def lint_built(
    directory: str, options: Options, patches: tuple[str, ...] = ()
) -> tuple[FileResult, list[Mapped[InSource]], list[Built]]:
    """The FileResult of a build (its findings in the source files), each finding's
    :class:`Mapped` record, and every object of the build output."""
    if not os.path.isdir(directory):
        return FileResult(directory, error="--kustomize: not a directory"), [], []
    if kustomization_file(directory) is None:
        return FileResult(directory, error="--kustomize: no kustomization.yaml in it"), [], []
    try:
        data, wrapper, read = take_or_build(directory, patches)
    except ToolError as exc:
        return FileResult(directory, error=str(exc)), [], []
    built = read if read is not None else read_built(data, wrapper)
    # The findings carry their source file's fixes (when the output shows fixes, or a fix stage
    # follows); fixes are planned on the build output only for a fix stage, which renders a patch
    # for the overlay from them.
    shortcut = shortcut_allowed(options, data)
    # A lint run's resource files are read as a plain lint reads them: a document the
    # pre-filter skips has no finding, and its objects are indexed from its metadata text.
    sources = replace(
        options, prefilter=options.prefilter and shortcut, fixes=options.fixes or options.fixing
    )
    ctx = SourceFiles(directory, real_path(directory), wrapper, sources)
    options = replace(options, prefilter=False, fixes=options.fixing)
    shown = f"{directory} (kustomize build)"
    try:
        if shortcut:  # the objects the build did not change are not linted again
            mapped, pods = _lint_output(built, ctx, options, shown)
            raw = FileResult(shown, documents=len(built), pods=pods)
        else:
            raw = lint_bytes(data, shown, options)
            mapped = [map_finding(f, ctx, built) for f in raw.findings]
        mapped += _stale_comments(built, ctx)
    except ToolContractError as exc:  # an output the mapping cannot follow: the build failed
        return FileResult(directory, error=f"kustomize build of {directory}: {exc}"), [], []
    result = FileResult(
        directory, [m.finding for m in mapped], documents=raw.documents, pods=raw.pods
    )
    result.size, result.declared = len(data), raw.declared
    return result, mapped, built


def _stale_comments(built: list[Built], ctx: SourceFiles) -> list[Mapped[InSource]]:
    """The suppression comments of the resource files the build read that suppress nothing in
    the file: no build output has comments, and a built object's finding is suppressed by one
    only where the file's own lint suppresses it, so a comment unused there is unused in every
    build that reads the file (``unused-suppression``, fixed in the file)."""
    if UNUSED not in enabled(ctx.options):
        return []
    out = []
    for path in dict.fromkeys(b.origin.path for b in built if b.origin.path is not None):
        if path not in ctx.linted and not mentions(path, b"seccomp-lint:"):
            continue  # (a file no lint of the build read, with no comment to judge)
        source = ctx.lint_source(path)
        for f in source.findings:
            if f.rule == UNUSED.ID and f.suppressed is None and comment_at(path, f):
                edit = InSource(source_finding=f, edit_file=path, edit_identity=f.identity)
                out.append(Mapped(f, f, edit))
    return out


def _lint_output(
    built: list[Built], ctx: SourceFiles, options: Options, shown: str
) -> tuple[list[Mapped[InSource]], int]:
    """The build output's findings, mapped, and its pod templates: an object the build did not
    change from its resource file's lint (:mod:`.unchanged`), every other one linted here, one
    chunk of the output at a time (as linting it whole reads it). A chunk the pre-filter would
    skip (a Service, a ConfigMap) is not read at all, unless the run turned it off: linting it
    finds nothing (a NUL byte aside, which is reported wherever it is)."""
    by_chunk: dict[int, list[Built]] = {}
    for b in built:
        by_chunk.setdefault(id(b.chunk), []).append(b)
    mapped: list[Mapped[InSource]] = []
    pods = 0
    namespaces = options.level == Level.NAMESPACE
    for group in by_chunk.values():
        b = group[0]
        data = b.chunk.data
        if ctx.options.prefilter and not relevant(data, namespaces) and b"\0" not in data:
            continue
        found = _unchanged(b, ctx) if len(group) == 1 else None
        if found is not None:
            mapped += found[0]
            pods += found[1]
            continue
        part = lint_part(data, shown, options, Part(0, len(data), b.chunk.line, b.index))
        mapped += [map_finding(f, ctx, built) for f in part.findings]
        pods += part.pods
    return mapped, pods


def _unchanged(b: Built, ctx: SourceFiles) -> tuple[list[Mapped[InSource]], int] | None:
    """The mapped findings and pod templates of a built object its build did not change, taken
    from its resource file's lint; None when it must be linted in the output."""
    path = b.origin.path
    if path is None or b.kind is None:
        return None
    source = ctx.lint_source(path)
    obj = source.source_object(b, ctx.renames.names(b)) if source.documents else None
    doc = source.documents.get(obj.document) if obj is not None else None
    if obj is None or doc is None:
        return None
    found = taken(b, (obj.kind, obj.name, obj.namespace, obj.document), doc, source.first)
    if found is None:
        return None
    shown = ctx.shown(path)
    out = []
    for src, renamed in found:
        moved = src.changed(object=renamed, path=shown, source=None, written=src.object)
        # (as linted in the output: a lint run plans no fix there)
        there = ObjectRef(renamed.kind, renamed.name, renamed.namespace, b.index)
        rendered = moved.changed(object=there, fix=None)
        out.append(Mapped(moved, rendered, InSource(b, obj, src, path, src.identity)))
    return out, doc.pods
