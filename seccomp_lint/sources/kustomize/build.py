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

from ...lint.linter import FileResult, lint_bytes
from ...model.data import Finding, Fix, Identity, Options, Source
from ...model.workloads import objects
from ...sources.toolrun import OFFLINE, ToolError, run_tool
from ...text.documents import Document, parse_stream, text
from ...text.streams import json_file
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
    relative to it and are resolved with :func:`resolve`.
    """
    command = build_command(".")  # fail before creating anything when no tool is installed
    target = os.path.realpath(directory)
    with tempfile.TemporaryDirectory(prefix="seccomp-lint-kustomize-") as tmp:
        wrapper = os.path.realpath(tmp)
        # Kustomize takes a resource directory only by a relative path; it is a new root, so
        # the user's own load restrictions still apply inside it.
        relative = os.path.relpath(target, wrapper).replace(os.sep, "/")
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as handle:
            handle.write(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                f"resources:\n- {_quote(relative)}\n"
                "buildMetadata: [originAnnotations, transformerAnnotations]\n"
            )
            if patches:
                handle.write("patches:\n")
                for patch in patches:
                    handle.write("- patch: |-\n")
                    handle.writelines(f"    {line}\n" for line in patch.splitlines())
        command[-1] = wrapper
        env = {**os.environ, **OFFLINE}
        return run_tool(command, f"kustomize build of {directory}", env=env), wrapper


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
                resolved = resolve(wrapper, where)
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
                    path=resolve(wrapper, path) if isinstance(path, str) else None,
                    configured_in=resolve(wrapper, origin["configuredIn"])
                    if isinstance(origin.get("configuredIn"), str)
                    else None,
                    configured_by=by.get("kind") if isinstance(by, dict) else None,
                    remote=remote,
                    patched_in=tuple(patched),
                ),
            )
        )
    return out


def resolve(wrapper: str, path: str) -> str:
    """An origin path (relative to the wrapper kustomization) as an absolute path."""
    return os.path.normpath(os.path.join(wrapper, path))


# --------------------------------------------------------------------------- mapping findings


@dataclass
class Mapped:
    """A build finding placed in the source, and what ``--fix`` may do with it."""

    finding: Finding
    plain: bool  # found in a plain resource file: fixable there
    source_file: str | None = None  # absolute path of that file
    source_finding: Finding | None = None  # the finding as linted in that file
    built: Built | None = None
    original_name: str | None = None
    built_at: tuple[int, int] | None = None  # (line, column) in the build output
    built_fix: Fix | None = None  # the fix as planned on the build output (for a patch)
    # Where --fix edits it: the plain resource file, or the strategic-merge patch file that
    # sets the offending value; and the finding's identity there (its original name).
    edit_file: str | None = None
    edit_identity: Identity | None = None
    # A JSON 6902 patch or an inline patch that sets the value: edited from ``built_fix``.
    site: Site | None = None


@dataclass
class Context:
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


def map_finding(f: Finding, ctx: Context, built: list[Built]) -> Mapped:
    """Place one finding of the build output in the source (suppressed there: flagged)."""
    b = built[f.object.document] if f.object and f.object.document < len(built) else None
    if b is None:
        return Mapped(_at(f, ctx.shown(_kustomization(ctx.root)), 1, 1), plain=False)
    origin = b.origin
    if origin.path is not None:
        sources, docs = ctx.lint_source(origin.path)
        name = _original_name(b.kind, b.name, docs)
        shown = ctx.shown(origin.path)
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
            m = Mapped(moved, True, origin.path, src, b, name)
            m.edit_file, m.edit_identity = origin.path, src.identity
            return m
        site = find_site(origin.patched_in, b.doc, f.line, f.column, b.kind, (b.name, name))
        object_line = _object_line(docs, b.kind, name)
        source = Source(shown, object_line)
        if site is not None:
            patch = site.patch
            m = Mapped(
                _at(f, ctx.shown(patch.file), site.line, site.column, source=source),
                False,
                origin.path,
                None,
                b,
                name,
            )
            if not patch.inline and not patch.operations:
                # A strategic-merge patch file: the finding is fixed there, in place.
                m.edit_file = patch.file
                m.edit_identity = f.identity._replace(kind=b.kind, name=name)
            else:  # a JSON 6902 patch file or an inline patch: edited from the build's fix
                m.site = site
            return m
        where = origin.patched_in[-1] if origin.patched_in else origin.path
        line = _key_line(where, "patches") if origin.patched_in else (object_line or 1)
        return Mapped(_at(f, ctx.shown(where), line, 1, source=source), False, None, None, b, name)
    if origin.configured_in is not None:
        key = _GENERATOR_KEYS.get(origin.configured_by or "", "")
        line = _key_line(origin.configured_in, key) if key else 1
        return Mapped(_at(f, ctx.shown(origin.configured_in), line, 1), False, built=b)
    top = _kustomization(ctx.root)
    remote = Source(origin.remote) if origin.remote else None
    return Mapped(
        _at(f, ctx.shown(top), _key_line(top, "resources"), 1, source=remote), False, built=b
    )


def _at(f: Finding, path: str, line: int, column: int, source: Source | None = None) -> Finding:
    return replace(f, path=path, line=line, column=column, source=source, fix=None)


def _kustomization(directory: str) -> str:
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
    result, _ = lint_mapped(directory, options)
    return result


def lint_mapped(
    directory: str, options: Options, patches: tuple[str, ...] = ()
) -> tuple[FileResult, list[Mapped]]:
    """The FileResult of a build plus each finding's :class:`Mapped` record."""
    result, mapped, _ = lint_built(directory, options, patches)
    return result, mapped


def lint_built(
    directory: str, options: Options, patches: tuple[str, ...] = ()
) -> tuple[FileResult, list[Mapped], list[Built]]:
    """:func:`lint_mapped`, and every object of the build output."""
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
    ctx = Context(directory, os.path.realpath(directory), wrapper, options)
    raw = lint_bytes(data, f"{directory} (kustomize build)", options)
    mapped = []
    for f in raw.findings:
        m = map_finding(f, ctx, built)
        m.built_at = (f.line, f.column)
        m.built_fix = f.fix
        mapped.append(m)
    result = FileResult(
        directory, [m.finding for m in mapped], documents=raw.documents, pods=raw.pods
    )
    result.size = len(data)
    return result, mapped, built
