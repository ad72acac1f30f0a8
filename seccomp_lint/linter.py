"""The pipeline for one input: documents -> pod templates -> rules -> findings -> suppressions."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from yaml.nodes import Node

from . import rules as _rules
from .documents import (
    DecodeError,
    Document,
    SyntaxProblem,
    compose,
    counts_as_document,
    decode,
    has_template_structure,
    position,
    relevant,
    split,
)
from .model import Finding, Options, Source
from .profiles import in_document
from .workloads import pod_templates

SUPPRESS_ANNOTATION = "ignore-check.seccomp-lint.io/"
_SUPPRESS_COMMENT = re.compile(rb"#\s*seccomp-lint:\s*ignore\[([^\]]*)\]")
# Go template actions as Helm writes them; their presence marks an unrendered template.
_TEMPLATE = re.compile(
    rb"\{\{-?\s*(?:[.$]|/\*|(?:if|else|end|range|with|include|template|define|block|toYaml|"
    rb"tpl|printf|quote|default|required|lookup|nindent|indent)\b)"
)


@dataclass
class FileResult:
    """What linting one input produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0
    size: int = 0
    notice: str | None = None  # why the input was skipped
    error: str | None = None  # why the input could not be read


def active_rules(options: Options) -> list:
    """The rule modules that run under these options."""
    out = []
    for rule in _rules.RULES:
        if options.level == "baseline" and rule.LEVEL == "restricted":
            # --require-runtime-default asks for CIS 5.7.2 (every container under
            # RuntimeDefault), which holds at any Pod Security level: its rule runs anyway.
            if not (options.require_runtime_default and rule.ID == "missing-seccomp-profile"):
                continue
        if options.select is not None and rule.ID not in options.select:
            continue
        if rule.ID in options.ignore:
            continue
        out.append(rule)
    return out


def lint_stream(
    read: Callable[[int], bytes], path: str, options: Options, is_json: bool = False
) -> FileResult:
    """Lint one stream of YAML or JSON documents read with ``read(n)``."""
    result = FileResult(path)
    head = read(4)
    result.size = len(head)
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        # UTF-16/32: decode whole, then stream the UTF-8 text like any other.
        rest = head + read(-1)
        result.size = len(rest)
        try:
            data, _, _ = decode(rest)
        except DecodeError as exc:
            return _syntax_only(result, options, 1, 1, str(exc))
        read = io.BytesIO(data).read
    else:
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        inner = read
        pending = [head]

        def read(n: int) -> bytes:  # noqa: F811 - replay the sniffed head first
            block = pending.pop() + inner(n) if pending else inner(n)
            result.size += len(block)
            return block

    if is_json:
        raw = read

        def read(n: int) -> bytes:  # noqa: F811 - JSON allows tabs where YAML does not
            return raw(n).replace(b"\t", b" ")

    rules = active_rules(options)
    want_syntax = any(r.ID == "yaml-syntax-error" for r in rules)
    templated = False
    in_templates_dir = "/templates/" in "/" + path.replace("\\", "/")
    index = 0
    for chunk in split(read):
        has_action = b"{{" in chunk.data and _TEMPLATE.search(chunk.data) is not None
        if has_action and in_templates_dir:
            templated = True
            break
        # Syntax errors and duplicate keys are reported only where a finding could be: a broken
        # ConfigMap is not this linter's business, and the pre-filter stays exact.
        in_scope = relevant(chunk.data)
        if not in_scope and b"\0" in chunk.data:
            # Binary data is reported wherever it is (a NUL byte is cheap to find), unparsed.
            index += 1
            if want_syntax:
                line, column = position(chunk, chunk.data.index(b"\0"))
                result.findings.append(
                    Finding(
                        rule="yaml-syntax-error",
                        path=path,
                        line=line,
                        column=column,
                        message=_binary_message(chunk.data),
                    )
                )
            continue
        if options.prefilter and not in_scope:
            index += counts_as_document(chunk.data)
            continue
        for item in compose(chunk, index):
            if isinstance(item, SyntaxProblem):
                if has_action:
                    templated = True
                    break
                index += 1
                if want_syntax and in_scope:
                    result.findings.append(
                        Finding(
                            rule="yaml-syntax-error",
                            path=path,
                            line=item.line,
                            column=item.column,
                            message=f"cannot parse YAML: {item.message}",
                            severity="error",
                        )
                    )
                continue
            index = item.index + 1
            if has_action and has_template_structure(item.root):
                templated = True
                break
            result.findings.extend(_lint_document(item, path, options, rules))
            if want_syntax and in_scope:
                result.findings.extend(_duplicate_keys(item, path))
        if templated:
            break
    if templated:
        return FileResult(
            path,
            size=result.size,
            notice="skipped: holds an unrendered template ({{ ... }}); lint the rendered output",
        )
    result.documents = index
    return result


def _binary_message(data: bytes) -> str:
    """What a NUL byte means: usually binary data, sometimes UTF-16/32 text saved without the
    byte-order mark that YAML readers (libyaml, go-yaml) need to recognise it."""
    for encoding, width, at in (
        ("UTF-32LE", 4, 0),
        ("UTF-32BE", 4, 3),
        ("UTF-16LE", 2, 0),
        ("UTF-16BE", 2, 1),
    ):
        units = [data[i : i + width] for i in range(0, min(len(data), 8 * width), width)]
        # The first characters of a manifest are ASCII: one non-NUL byte per unit, in place.
        if len(units) >= 4 and all(
            len(u) == width and 0 < u[at] < 0x80 and u.count(0) == width - 1 for u in units
        ):
            return (
                f"looks like {encoding} text without a byte-order mark, which YAML readers "
                "take for binary data: save it as UTF-8"
            )
    return "binary data (a NUL byte): not a YAML or JSON file"


def _syntax_only(result: FileResult, options: Options, line: int, col: int, msg: str) -> FileResult:
    if any(r.ID == "yaml-syntax-error" for r in active_rules(options)):
        result.findings.append(
            Finding("yaml-syntax-error", result.path, line, col, f"cannot read: {msg}")
        )
    return result


def _lint_document(doc: Document, path: str, options: Options, rules: list) -> Iterator[Finding]:
    source = Source(doc.helm_source) if doc.helm_source else None
    comments = _comment_suppressions(doc)
    for pod in pod_templates(doc):
        muted = _annotation_suppressions(doc, [pod.object_root, pod.metadata])
        for rule in rules:
            if rule.ID in muted:
                continue
            problems = rule.check(pod, options)
            yield from _stamp(doc, path, rule, problems, pod.obj, comments, source, options, pod)
    yield from _lint_profiles(doc, path, options, rules, comments, source)


def _lint_profiles(
    doc: Document,
    path: str,
    options: Options,
    rules: list,
    comments: dict[int, set[str]],
    source: Source | None,
) -> Iterator[Finding]:
    """Findings of the rules that judge seccomp profiles (JSON files, SPO SeccompProfiles)."""
    judges = [r for r in rules if hasattr(r, "check_profile")]
    if not judges:
        return
    for profile in in_document(doc):
        muted = _annotation_suppressions(doc, [profile.object_root])
        for rule in judges:
            if rule.ID in muted:
                continue
            problems = rule.check_profile(profile, options)
            yield from _stamp(doc, path, rule, problems, profile.obj, comments, source, options)


def _stamp(
    doc, path, rule, problems, obj, comments, source, options, pod=None
) -> Iterator[Finding]:
    """Turn a rule's problems into findings: position, comment suppressions, fix (for pods)."""
    for problem in problems:
        line, column = doc.pos(problem.node)
        if rule.ID in comments.get(line, ()) or rule.ID in comments.get(line - 1, ()):
            continue
        yield Finding(
            rule=rule.ID,
            path=path,
            line=line,
            column=column,
            message=problem.message,
            help=problem.help,
            severity=rule.SEVERITY,
            object=obj,
            container=problem.container,
            source=source,
            fix=_fix_for(rule.ID, problem, pod) if pod is not None and options.fixes else None,
        )


def _fix_for(rule_id: str, problem, pod):
    # The fix engine is imported only once there is something to fix: a clean pre-commit run
    # never pays for it.
    from . import fixes

    return fixes.fix_for(rule_id, problem, pod)


def _duplicate_keys(doc: Document, path: str) -> Iterator[Finding]:
    for key, first in doc.duplicates:
        line, column = doc.pos(key)
        yield Finding(
            rule="yaml-syntax-error",
            path=path,
            line=line,
            column=column,
            message=(
                f"duplicate key {key.value!r} (first at line {doc.pos(first)[0]}): decoders "
                "disagree on which value wins, and kubectl's strict validation rejects it"
            ),
            help="keep one of the two keys",
        )


def _annotation_suppressions(doc: Document, owners: Iterable[Node | None]) -> set[str]:
    muted: set[str] = set()
    for owner in owners:
        if owner is None:
            continue
        meta = doc.get(owner, "metadata") if doc.entry(owner, "metadata") else owner
        for key in doc.mapping(doc.get(meta, "annotations")) or {}:
            if key.startswith(SUPPRESS_ANNOTATION):
                muted.add(key[len(SUPPRESS_ANNOTATION) :])
    return muted


def _comment_suppressions(doc: Document) -> dict[int, set[str]]:
    """``# seccomp-lint: ignore[rule, ...]`` comments by 1-based file line."""
    if b"seccomp-lint:" not in doc.text:
        return {}
    out: dict[int, set[str]] = {}
    for number, line in enumerate(doc.text.splitlines(), start=doc.line_offset + 1):
        match = _SUPPRESS_COMMENT.search(line)
        if match:
            ids = {i.strip() for i in match.group(1).decode("utf-8", "replace").split(",")}
            out.setdefault(number, set()).update(i for i in ids if i)
    return out


def lint_bytes(data: bytes, path: str, options: Options, is_json: bool = False) -> FileResult:
    """Lint an in-memory stream."""
    return lint_stream(io.BytesIO(data).read, path, options, is_json)

