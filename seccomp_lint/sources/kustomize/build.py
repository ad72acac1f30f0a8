"""Kustomize builds: build a kustomization, lint the output, report findings in the source files.

The build runs ``kustomize build`` (or ``kubectl kustomize``) on a temporary wrapper
kustomization that names the user's directory as its only resource and turns on origin and
transformer annotations, so the user's files are never touched. No plugins, exec functions or
Helm inflation are enabled, network access is cut off, and the build has a time limit.

Each built object's ``config.kubernetes.io/origin`` annotation names the file it came from. The
object is re-located there (by kind and its original name, before ``namePrefix``/``nameSuffix``)
and linted again: a finding the source document has too is reported at its line in that file.
A finding the source does not have was brought by a patch: it is reported at the patch (a patch
file, or the inline patch in the kustomization that applies it), found by following the
offending field's path. Objects made by a generator are reported at the kustomization.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace

import yaml
from yaml.nodes import Node

from ...edit.edits import NoFix, new_document
from ...lint.linter import FileResult, lint_bytes
from ...model.data import Finding, Identity, Options, Source
from ...model.workloads import objects
from ...sources.toolrun import OFFLINE, ToolError, run_tool
from ...text.documents import Document, parse_stream, text
from ...text.errors import ToolContractError
from ...text.streams import json_file
from ..adapter import Mapped
from .patches import Site, find_site

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_GENERATOR_KEYS = {
    "ConfigMapGenerator": "configMapGenerator",
    "SecretGenerator": "secretGenerator",
    "HelmChartInflationGenerator": "helmCharts",
}


def build_command(root: str) -> list[str]:
    """``kustomize build ROOT`` or ``kubectl kustomize ROOT``, whichever is on PATH."""
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build", root]
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize", root]
    raise ToolError(
        "--kustomize needs `kustomize` or `kubectl` (for `kubectl kustomize`) on PATH; "
        "neither was found"
    )


def kustomization_file(directory: str) -> str | None:
    """The kustomization file of a directory, if it has one."""
    for name in KUSTOMIZATION_FILES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def build(directory: str, patches: tuple[str, ...] = ()) -> tuple[bytes, str]:
    """Build a kustomization with origin annotations; the output and the wrapper's directory.

    ``patches``: strategic-merge patches the wrapper applies on top (to verify a suggestion
    before it is printed; the user's kustomization is never touched).

    The wrapper's directory is deleted when the build ends; origin paths in the output are
    relative to it and are resolved with :func:`origin_path`.
    """
    command = build_command(".")  # fail before creating anything when no tool is installed
    target = os.path.realpath(directory)
    with tempfile.TemporaryDirectory(prefix="seccomp-lint-kustomize-") as tmp:
        wrapper = os.path.realpath(tmp)
        # Kustomize takes a resource directory only by a relative path; it is a new root, so
        # the user's own load restrictions still apply inside it.
        relative = os.path.relpath(target, wrapper).replace(os.sep, "/")
        try:
            text = wrapper_kustomization(relative, patches)
        except NoFix as exc:
            raise ToolError(f"cannot write a kustomization for {directory}: {exc}") from None
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as handle:
            handle.write(text)
        command[-1] = wrapper
        env = {**os.environ, **OFFLINE}
        return run_tool(command, f"kustomize build of {directory}", env=env), wrapper


def wrapper_kustomization(resource: str, patches: tuple[str, ...] = ()) -> str:
    """The wrapper's kustomization: ``resource`` with origin and transformer annotations on,
    and ``patches`` (strategic-merge patch texts) applied on top."""
    wrapper: dict = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [resource],
        "buildMetadata": ["originAnnotations", "transformerAnnotations"],
    }
    if patches:
        wrapper["patches"] = [{"patch": patch} for patch in patches]
    return new_document(wrapper)


# --------------------------------------------------------------------------- built documents


@dataclass(frozen=True)
class Origin:
    """Where kustomize says a built object came from; paths are absolute."""

    path: str | None = None  # the resource file
    configured_in: str | None = None  # the kustomization of a generator
    configured_by: str | None = None  # the generator's kind
    remote: str | None = None  # repo and ref of a remote resource
    patched_in: tuple[str, ...] = ()  # kustomizations whose patches touched it, in order


@dataclass
class Built:
    """One object of the build output, its origin and the annotations kustomize added."""

    doc: Document
    kind: str | None
    name: str | None
    origin: Origin


def _load_annotation(doc: Document, meta: Node | None, key: str):
    raw = text(doc.get(meta, "annotations", key))
    if raw is None:
        return None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return None


def read_built(data: bytes, wrapper: str) -> list[Built]:
    """The build output's documents, each with its origin resolved to absolute paths."""
    out = []
    for doc in parse_stream(data):
        meta = doc.get(doc.root, "metadata")
        origin = _load_annotation(doc, meta, ORIGIN)
        origin = origin if isinstance(origin, dict) else {}
        steps = _load_annotation(doc, meta, TRANSFORMATIONS)
        patched = []
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict):
                continue
            by = step.get("configuredBy") or {}
            kind = by.get("kind", "") if isinstance(by, dict) else ""
            where = step.get("configuredIn")
            if "Patch" in str(kind) and isinstance(where, str):
                resolved = origin_path(wrapper, where)
                if resolved not in patched:
                    patched.append(resolved)
        path = origin.get("path")
        remote = None
        if origin.get("repo"):
            remote = f"{origin['repo']}//{path or ''}?ref={origin.get('ref', '')}"
            path = None
        by = origin.get("configuredBy")
        out.append(
            Built(
                doc=doc,
                kind=text(doc.get(doc.root, "kind")),
                name=text(doc.get(meta, "name")),
                origin=Origin(
                    path=origin_path(wrapper, path) if isinstance(path, str) else None,
                    configured_in=origin_path(wrapper, origin["configuredIn"])
                    if isinstance(origin.get("configuredIn"), str)
                    else None,
                    configured_by=by.get("kind") if isinstance(by, dict) else None,
                    remote=remote,
                    patched_in=tuple(patched),
                ),
            )
        )
    return out


def origin_path(wrapper: str, path: str) -> str:
    """An origin path (relative to the wrapper kustomization) as an absolute path."""
    return os.path.normpath(os.path.join(wrapper, path))


# --------------------------------------------------------------------------- mapping findings


@dataclass(frozen=True, eq=False)
class InSource:
    """Where a finding of the build output comes from, and where ``--fix`` edits it."""

    built: Built | None = None  # the object of the build output
    original_name: str | None = None  # its name in the source (before prefixes and suffixes)
    source_finding: Finding | None = None  # the finding as linted in its plain resource file
    # Where --fix edits it: the plain resource file, or the strategic-merge patch file that
    # sets the offending value; and the finding's identity there (its original name).
    edit_file: str | None = None
    edit_identity: Identity | None = None
    # A JSON 6902 patch or an inline patch that sets the value: edited from the build's fix.
    site: Site | None = None


@dataclass
class SourceFiles:
    """One kustomize build and what the mapping needs to know about it."""

    directory: str  # as the user gave it
    root: str  # its real path
    wrapper: str
    options: Options
    _linted: dict[str, tuple[list[Finding], list[Document]]] = field(default_factory=dict)

    def shown(self, path: str) -> str:
        """An absolute path as the user would write it, relative to the directory they gave."""
        rel = os.path.relpath(path, self.root)
        return os.path.normpath(os.path.join(self.directory, rel))

    def lint_source(self, path: str) -> tuple[list[Finding], list[Document]]:
        """A source file's findings (suppressed ones flagged) and its documents."""
        if path not in self._linted:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                self._linted[path] = ([], [])
                return self._linted[path]
            options = replace(self.options, prefilter=False)
            found = lint_bytes(data, self.shown(path), options, json_file(path)).findings
            self._linted[path] = (found, parse_stream(data))
        return self._linted[path]


def _original_name(kind: str | None, built_name: str | None, docs: list[Document]) -> str | None:
    """The name in the source file of the object built as ``built_name``."""
    names = []
    for doc in docs:
        for obj in objects(doc):
            if text(doc.get(obj, "kind")) == kind:
                name = text(doc.get(obj, "metadata", "name"))
                if name is not None:
                    names.append(name)
    if built_name in names:
        return built_name
    inside = [n for n in names if built_name and n in built_name]
    return max(inside, key=len) if inside else None


def _source_finding(
    sources: list[Finding], built: Finding, kind: str | None, name: str | None
) -> Finding | None:
    """The source file's finding that is the built one: same identity once the object's name
    is its original one; the same message breaks a tie."""
    want = built.identity._replace(kind=kind, name=name)
    same = [src for src in sources if src.identity == want]
    exact = [src for src in same if src.message == built.message]
    found = exact or same
    return found[0] if found else None


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
        line = _key_line(origin.configured_in, key) if key else 1
        return Mapped(_at(f, ctx.shown(origin.configured_in), line, 1), f, InSource(b))
    top = kustomization_of(ctx.root)
    remote = Source(origin.remote) if origin.remote else None
    at = _at(f, ctx.shown(top), _key_line(top, "resources"), 1, source=remote)
    return Mapped(at, f, InSource(b))


def _map_to_file(f: Finding, ctx: SourceFiles, b: Built, path: str) -> Mapped[InSource]:
    """A finding of an object that comes from a resource file: there, or at the patch that
    sets the offending value."""
    sources, docs = ctx.lint_source(path)
    name = _original_name(b.kind, b.name, docs)
    shown = ctx.shown(path)
    src = _source_finding(sources, f, b.kind, name)
    if src is not None and src.object is not None and f.object is not None:
        moved = replace(
            f,
            path=shown,
            line=src.line,
            column=src.column,
            fix=src.fix,
            source=None,
            object=replace(f.object, document=src.object.document),
            # Comments do not survive a build: a suppression at the source counts.
            suppressed=f.suppressed or src.suppressed,
        )
        return Mapped(moved, f, InSource(b, name, src, path, src.identity))
    patched_in = b.origin.patched_in
    site = find_site(patched_in, b.doc, f.line, f.column, b.kind, (b.name, name))
    object_line = _object_line(docs, b.kind, name)
    source = Source(shown, object_line)
    if site is not None:
        patch = site.patch
        at = _at(f, ctx.shown(patch.file), site.line, site.column, source=source)
        if not patch.inline and not patch.operations:
            # A strategic-merge patch file: the finding is fixed there, in place.
            identity = f.identity._replace(kind=b.kind, name=name)
            return Mapped(at, f, InSource(b, name, edit_file=patch.file, edit_identity=identity))
        # A JSON 6902 patch file or an inline patch: edited from the build's fix.
        return Mapped(at, f, InSource(b, name, site=site))
    where = patched_in[-1] if patched_in else path
    line = _key_line(where, "patches") if patched_in else (object_line or 1)
    return Mapped(_at(f, ctx.shown(where), line, 1, source=source), f, InSource(b, name))


def _at(f: Finding, path: str, line: int, column: int, source: Source | None = None) -> Finding:
    return replace(f, path=path, line=line, column=column, source=source, fix=None)


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


def _object_line(docs: list[Document], kind: str | None, name: str | None) -> int | None:
    for doc in docs:
        for obj in objects(doc):
            same = text(doc.get(obj, "kind")) == kind
            if same and text(doc.get(obj, "metadata", "name")) == name:
                return doc.pos(obj)[0]
    return None


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
        data, wrapper = build(directory, patches)
    except ToolError as exc:
        return FileResult(directory, error=str(exc)), [], []
    built = read_built(data, wrapper)
    # Fixes are planned on the build output too: a patch for the overlay is rendered from them.
    options = replace(options, prefilter=False, fixes=True)
    ctx = SourceFiles(directory, os.path.realpath(directory), wrapper, options)
    raw = lint_bytes(data, f"{directory} (kustomize build)", options)
    try:
        mapped = [map_finding(f, ctx, built) for f in raw.findings]
    except ToolContractError as exc:  # an output the mapping cannot follow: the build failed
        return FileResult(directory, error=f"kustomize build of {directory}: {exc}"), [], []
    result = FileResult(
        directory, [m.finding for m in mapped], documents=raw.documents, pods=raw.pods
    )
    result.size, result.declared = len(data), raw.declared
    return result, mapped, built
