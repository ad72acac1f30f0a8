"""Helm charts: render with ``helm template``, lint, and say which template or values key to change.

A rendered stream names each document's template in a ``# Source: <chart>/templates/<file>``
comment (read by :mod:`documents`). With ``--chart DIR`` the template file is at hand too, so a
finding can point at a line of it and, for the common charts that render ``securityContext``
from values (``{{- toYaml .Values.podSecurityContext | nindent 8 }}``), name the values key to
set instead of a template edit.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, replace

import yaml

from ...lint.linter import FileResult, lint_bytes
from ...model.data import ChangeOp, Finding, Options, Source, Suppressed
from ...model.workloads import CONTAINER_GROUPS
from ...sources.toolrun import ToolError, ending_on_signals, run_tool, scratch_folder
from ...text.documents import parse_stream
from ...text.paths import Step, node_path
from ..adapter import Mapped
from .templates import (
    agreeing,
    cached_outline,
    commented,
    document_lines,
    item_name,
    line_on_the_way,
)

_SECURITY_CONTEXT = re.compile(r"^(\s*)(?:-\s+)?securityContext:(.*)$")
_VALUES = re.compile(r"\.Values((?:\.[A-Za-z_][\w-]*)+)")
_WITH = re.compile(r"\{\{-?\s*with\s+\.Values((?:\.[A-Za-z_][\w-]*)+)\s*-?\}\}")
_ACTION_ONLY = re.compile(r"^\s*\{\{.*\}\}\s*$")
_END = re.compile(r"\{\{-?\s*end\s*-?\}\}")


@dataclass(frozen=True)
class ValuesRef:
    """A ``securityContext`` a template renders from values: which key, at which level, where."""

    key: str  # dotted, without ``.Values.``
    level: str  # "pod" | "container"
    line: int  # 1-based line of the reference in the template
    at: int = 0  # 1-based line of its ``securityContext:`` key


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def security_context_values(template: str) -> list[ValuesRef]:
    """Every ``securityContext:`` of a template whose content comes from a values key."""
    lines = template.splitlines()
    out = []
    for i, line in enumerate(lines):
        match = _SECURITY_CONTEXT.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        indent = len(match.group(1))
        ref = None
        # ``{{- with .Values.x }}`` just before: the body renders ``.`` (that key).
        for j in range(i - 1, max(i - 3, -1), -1):
            if not lines[j].strip():
                continue
            found = _WITH.search(lines[j])
            if found and not _END.search(lines[j], found.end()):  # (not closed on its line)
                ref = (found.group(1)[1:], j + 1)
            break
        if ref is None:
            body = [(i, match.group(2))]
            for j in range(i + 1, len(lines)):
                if not lines[j].strip():
                    continue
                if _indent(lines[j]) <= indent:
                    break
                body.append((j, lines[j]))
            for j, piece in body:
                found = _VALUES.search(piece)
                if found:
                    ref = (found.group(1)[1:], j + 1)
                    break
        if ref is None:
            continue
        out.append(ValuesRef(ref[0], _level(lines, i, indent), ref[1], i + 1))
    return out


def _level(lines: list[str], at: int, indent: int) -> str:
    """``container`` when the key sits in a list item (a container), else ``pod``."""
    if lines[at].lstrip().startswith("-"):
        return "container"
    for j in range(at - 1, -1, -1):
        line = lines[j]
        if not line.strip() or _ACTION_ONLY.match(line) or line.lstrip().startswith("#"):
            continue
        if _indent(line) < indent:
            return "container" if line.lstrip().startswith("-") else "pod"
    return "pod"


def values_ref(template: str, f: Finding, steps: list[Step] | None) -> ValuesRef | None:
    """The values key whose ``securityContext`` the finding's fix would act in, if any: of the
    ``securityContext``s of its level, the one on the finding's way (its document, its
    container group and item) where the template says which."""
    refs = _on_the_way(template, security_context_values(template), f, steps or [])
    in_container = any(len(s) == 1 and s[0] in CONTAINER_GROUPS for s in steps or [])
    level = "container" if in_container else "pod"
    if f.fix is not None and f.fix.changes:
        # Where the rule's own fix acts: a pod-wide fix is best made at the pod's values key.
        acts_in_container = any(
            step in CONTAINER_GROUPS for change in f.fix.changes for step in change.path
        )
        level = "container" if acts_in_container else "pod"
        if level == "pod" and not any(r.level == "pod" for r in refs):
            level = "container"
    chosen = [r for r in refs if r.level == level]
    if not chosen:
        return None
    # A subchart's .Values are its parent's under the subchart's name (as Helm names it in the
    # Source path: an alias, if any), but for the globals every chart shares.
    parts = f.source.path.split("/")[1:] if f.source and f.source.path else []
    scope = ""
    while len(parts) > 2 and parts[0] == "charts":
        scope, parts = f"{scope}{parts[1]}.", parts[2:]
    if scope and not chosen[0].key.startswith("global."):
        return replace(chosen[0], key=scope + chosen[0].key)
    return chosen[0]


def _on_the_way(template: str, refs: list[ValuesRef], f: Finding, steps: list[Step]) -> list:
    """``refs`` less those another document, container group or item holds than the finding's
    (a ref the template's outline has no line for is kept: it cannot tell). None left: the
    finding's container writes its own securityContext (a sidecar), no values key sets it."""
    if not refs or not steps:
        return refs
    shape = cached_outline(template)
    mine = document_lines(template, f)
    kept, named = [], []
    for r in refs:
        found = shape.lines.get(r.at)
        if found is None:
            kept.append(r)
            continue
        parent = found.path[:-1]  # (what the securityContext sits in: the pod spec, an item)
        whole = min(len(parent), len(steps))
        if r.at in mine and agreeing(parent, steps, shape, found.parents) == whole:
            kept.append(r)
            # (an item the template names as the finding's container names it, first)
            items = [(k, st) for k, st in enumerate(steps[: len(parent)]) if len(st) == 2]
            if any(item_name(shape, parent[: k + 1], found.parents) == st[1] for k, st in items):
                named.append(r)
    return named or kept


def values_hint(
    template: str, template_path: str, f: Finding, steps: list[Step] | None
) -> tuple[int, str | None]:
    """Where in the template the finding belongs, and the values change to suggest, if any."""
    ref = values_ref(template, f, steps)
    if ref is None:
        return (line_on_the_way(template, steps or [], f), None)
    name = os.path.basename(template_path)
    where = "the pod's" if ref.level == "pod" else "the containers'"
    renders = (
        f"this chart renders {where} securityContext from .Values.{ref.key} ({name}:{ref.line})"
    )
    if f.fix is not None and any(c.op == ChangeOp.DELETE for c in f.fix.changes):
        # The rule's fix removes the setting (a Windows pod): setting it is the finding's cause.
        return ref.line, (
            f"{renders}: remove {ref.key}.seccompProfile from the values this workload renders "
            f"with (or --set {ref.key}.seccompProfile=null)"
        )
    hint = (
        f"{renders}: set {ref.key}.seccompProfile.type: RuntimeDefault in your values "
        f"(or --set {ref.key}.seccompProfile.type=RuntimeDefault)"
    )
    return ref.line, hint


# --------------------------------------------------------------------------- rendering

RELEASE = "release-name"  # what ``helm template`` calls the release when given no name
NAMESPACE = "default"
_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")  # how Helm splits a template's documents
NO_RENDERER = (
    "--chart needs Helm: install `helm` on PATH (it runs `helm template`), or the Helm SDK "
    "with `pip install 'seccomp-lint[helm]'` (helm-python-sdk); neither was found"
)


def render(
    chart: str,
    values: list[str],
    replaced: tuple[str, str] | None = None,
    templates: dict[str, str] | None = None,
    extra: tuple[str, str] | None = None,
    namespace: str = NAMESPACE,
) -> bytes:
    """The rendered stream of a chart: ``helm template CHART -f VALUES...`` with the ``helm`` on
    PATH, else the same stream from the Helm SDK (helm-python-sdk), else ToolError. The release
    is installed into ``namespace`` (``.Release.Namespace``; ``--namespace``).

    ``replaced`` is ``(path, text)``: render as if that values file held ``text`` (a --values
    file, or the chart's own values.yaml), without writing it. ``templates`` maps template files
    of the chart to new texts: the chart is rendered from a copy holding them. ``extra`` is
    ``(name, text)``: values given last, over all the others (as ``--set`` would). SIGTERM or
    SIGHUP while ``helm`` runs ends it and removes the scratch folders before the process ends
    (:func:`~...toolrun.ending_on_signals`); the Helm SDK's render is left to end at once, as
    the signal would (a handler in Python runs only once its native call returns).
    """
    helm = shutil.which("helm")
    if helm is None:
        return _render(helm, chart, values, replaced, templates, extra, namespace)
    with ending_on_signals():
        return _render(helm, chart, values, replaced, templates, extra, namespace)


def _render(
    helm: str | None,
    chart: str,
    values: list[str],
    replaced: tuple[str, str] | None,
    templates: dict[str, str] | None,
    extra: tuple[str, str] | None,
    namespace: str,
) -> bytes:
    if templates:
        with scratch_folder("seccomp-lint-chart-") as scratch:
            copy = os.path.join(scratch, os.path.basename(os.path.abspath(chart)))
            try:
                shutil.copytree(chart, copy, symlinks=True)
                for path, text in templates.items():
                    target = os.path.join(copy, os.path.relpath(path, chart))
                    with open(target, "w", encoding="utf-8", newline="") as handle:
                        handle.write(text)
            except OSError as exc:
                raise ToolError(f"cannot copy the chart {chart} to render it: {exc}") from None
            return _render(helm, copy, values, replaced, None, extra, namespace)
    files = list(values)
    if replaced is not None and replaced[0] not in files:
        # The chart's values.yaml: new text given first on top of the old defaults renders as
        # the new defaults would, when it only adds or changes keys.
        files.insert(0, replaced[0])
    if helm is None:
        override = dict([replaced]) if replaced else {}
        texts = [(f, override.get(f) or _read_values(f)) for f in files]
        return render_sdk(chart, texts + ([extra] if extra else []), namespace)
    with scratch_folder("seccomp-lint-values-") as scratch:
        argv = [helm, "template", chart, "--namespace", namespace]
        given: list[tuple[str, str | None]] = [
            (f, replaced[1] if replaced and f == replaced[0] else None) for f in files
        ]
        for i, (f, content) in enumerate(given + ([extra] if extra else [])):
            if content is not None:
                f = os.path.join(scratch, f"values-{i}.yaml")
                with open(f, "w", encoding="utf-8") as handle:
                    handle.write(content)
            argv += ["--values", f]
        return run_tool(argv, f"helm template {chart}")


def _read_values(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ToolError(f"--values {path}: cannot read it: {why}") from None


def render_sdk(chart: str, values: list[tuple[str, str]], namespace: str = NAMESPACE) -> bytes:
    """Render with the Helm SDK, in the shape ``helm template`` prints: each document after a
    ``---`` and a ``# Source: <chart>/templates/<file>`` line, empty renders and NOTES.txt
    left out. ``values`` are values files as ``(name, text)``, merged in order as ``-f`` does
    (the SDK merges the result over the chart's own values.yaml)."""
    try:
        # A documented seam: the SDK loads an 85 MB native library, only for --chart without helm.
        import helm_python
    except ImportError:
        raise ToolError(NO_RENDERER) from None
    what = f"helm template {chart} failed (rendered with helm-python-sdk)"
    merged: dict = {}
    try:
        for name, text in values:
            try:
                loaded = helm_python.values_from_yaml(text)
            except helm_python.HelmError as exc:
                raise ToolError(f"{what}:\n{name}: {exc.detail}") from None
            merged = merge_values(merged, loaded)
        with helm_python.Chart.load(chart) as loaded_chart:
            manifests = loaded_chart.render(
                merged, name=RELEASE, namespace=namespace, is_install=True
            )
    except helm_python.HelmError as exc:
        raise ToolError(f"{what}:\n{exc.detail}") from None
    return stream(manifests)


def stream(manifests: dict[str, str]) -> bytes:
    """``{template path: rendered text}`` as ``helm template`` prints it."""
    out = []
    for source in sorted(manifests):
        if source.endswith("NOTES.txt"):
            continue
        for document in _SEPARATOR.split(manifests[source].strip()):
            document = document.strip()
            if document:
                out.append(f"---\n# Source: {source}\n{document}\n")
    return "".join(out).encode("utf-8")


def merge_values(base: dict, over: dict) -> dict:
    """Helm's merge of ``-f`` files: maps merge key by key, anything else in ``over`` wins."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = value
    return out


_SOURCE_LINE = re.compile(rb"^# Source: (.+?)\r?$", re.M)


def rendered_from(chart: str, data: bytes | None, values: list[str]) -> tuple[str, ...]:
    """The files a render read that hold what it lints: each template that rendered a document
    (its ``# Source:`` line), the chart's values.yaml and the ``--values`` files."""
    found = (
        [os.path.join(chart, "values.yaml")]
        if os.path.isfile(os.path.join(chart, "values.yaml"))
        else []
    )
    found += values
    for match in _SOURCE_LINE.finditer(data or b""):
        path = template_file(chart, match.group(1).decode("utf-8", "replace"))
        if path is not None:
            found.append(path)
    return tuple(dict.fromkeys(found))


def template_file(chart: str, source: str) -> str | None:
    """The file of a ``# Source:`` path: its first part is the chart's name, not its folder,
    and each ``charts/<name>`` after it a subchart as Helm names it (:func:`_subchart`)."""
    parts = source.replace("\\", "/").split("/")
    if len(parts) < 2:
        return None
    folder, rest = chart, parts[1:]
    while len(rest) > 2 and rest[0] == "charts":
        sub = _subchart(folder, rest[1])
        if sub is None:
            return None
        folder, rest = sub, rest[2:]
    candidate = os.path.normpath(os.path.join(folder, *rest))
    return candidate if os.path.isfile(candidate) else None


def _subchart(folder: str, name: str) -> str | None:
    """The folder in ``folder``'s ``charts/`` of the subchart Helm names ``name``: the folder of
    that name, else the one whose ``Chart.yaml`` has that name, or one Helm names so (an
    alias)."""
    charts = os.path.join(folder, "charts")
    if os.path.isfile(os.path.join(charts, name, "Chart.yaml")):
        return os.path.join(charts, name)
    return next((sub for sub, own, named in subcharts(folder) if name in (own, *named)), None)


def subcharts(chart: str) -> list[tuple[str, str, list[str]]]:
    """The subcharts in a chart's ``charts/`` folder: each one's folder, its ``Chart.yaml``
    name, and the names Helm gives its copies (each dependency's alias, else that name)."""
    folder = os.path.join(chart, "charts")
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return []
    deps = chart_meta(chart).get("dependencies")
    named: dict[str, list[str]] = {}  # a dependency's name -> the names Helm gives its copies
    for d in deps if isinstance(deps, list) else []:
        if isinstance(d, dict):
            alias = d.get("alias")
            named.setdefault(str(d.get("name")), []).append(alias if isinstance(alias, str) else "")
    out = []
    for entry in entries:
        sub = os.path.join(folder, entry)
        if os.path.isfile(os.path.join(sub, "Chart.yaml")):
            name = str(chart_meta(sub).get("name") or entry)
            out.append((sub, name, list(dict.fromkeys(a or name for a in named.get(name) or [""]))))
    return out


def chart_meta(folder: str) -> dict:
    """A chart folder's ``Chart.yaml`` read ({} where there is none, or it is not a mapping)."""
    try:
        with open(os.path.join(folder, "Chart.yaml"), "rb") as handle:  # (a BOM is read too)
            data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):  # (bytes that are no text: a ReaderError)
        return {}
    return data if isinstance(data, dict) else {}


def in_template(f: Finding, template: str, path: str, steps: list[Step] | None) -> Finding:
    """A finding of a rendered document shown at the template line that renders its block (the
    values key to set in its help, when the template renders it from values)."""
    line, hint = values_hint(template, path, f, steps)
    help_text = f"{hint}; or in the template, {f.help}" if hint and f.help else (hint or f.help)
    lines = template.splitlines()
    column = _indent(lines[line - 1]) + 1 if line <= len(lines) else 1
    src = f.source.path if f.source else None
    # A comment the template writes on that line or the line above (where the render may not
    # have it: the body of a `with` an empty value skips) suppresses it there too.
    muted = f.suppressed or (Suppressed.COMMENT if f.rule in commented(lines, line) else None)
    return replace(
        f,
        path=path,
        line=line,
        column=column,
        help=help_text,
        source=Source(src, None) if src else None,
        suppressed=muted,
    )


def lint_chart(chart: str, values: list[str], options: Options) -> FileResult:
    """Render a chart and lint it; findings point at template files, with values advice."""
    return lint_mapped(chart, values, options)[0]


def lint_mapped(
    chart: str,
    values: list[str],
    options: Options,
    replaced: tuple[str, str] | None = None,
    templates: dict[str, str] | None = None,
    extra: tuple[str, str] | None = None,
) -> tuple[FileResult, list[Mapped]]:
    """:func:`lint_chart`, with each finding's mapping; ``replaced``, ``templates`` and ``extra``
    as for :func:`render`."""
    if not os.path.isfile(os.path.join(chart, "Chart.yaml")):
        return FileResult(chart, error="--chart: no Chart.yaml in it"), []
    try:
        data = render(chart, values, replaced, templates, extra, options.namespace)
    except ToolError as exc:
        return FileResult(chart, error=str(exc)), []
    return lint_rendered(chart, data, options)


def lint_rendered(chart: str, data: bytes, options: Options) -> tuple[FileResult, list[Mapped]]:
    """Lint a chart's rendered stream; findings mapped to their template files."""
    rendered = parse_stream(data)
    # Fixes are planned on the rendered output, with their edits: where they act says which
    # values key to set, and a template that hard-codes the spot gets the edits carried over.
    options = replace(options, prefilter=False, fixes=True, edit_rendered=True)
    result = lint_bytes(data, f"{chart} (helm template)", options)
    result.data = data  # the render: the fix stage starts from it
    texts: dict[str, str] = {}
    # ref: the values key whose securityContext its fix acts in
    mapped: list[Mapped[ValuesRef | None]] = []
    for f in result.findings:
        src = f.source.path if f.source else None
        path = template_file(chart, src) if src else None
        if src is None or path is None:  # a path implies a src: the test on src tells mypy
            mapped.append(Mapped(f, f, None))
            continue
        if path not in texts:
            with open(path, encoding="utf-8", errors="replace") as handle:
                texts[path] = handle.read()
        steps = None
        if f.object is not None and f.object.document < len(rendered):
            steps = node_path(rendered[f.object.document], f.line, f.column)
        shown = in_template(f, texts[path], path, steps)
        mapped.append(Mapped(replace(shown, fix=None), f, values_ref(texts[path], f, steps)))
    result.findings = [m.finding for m in mapped]
    result.path = chart
    return result, mapped
