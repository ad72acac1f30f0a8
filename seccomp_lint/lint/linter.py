"""One input: bytes -> documents -> pod templates -> rules -> stamped findings.

Every problem, a rule's or the parser's, is stamped in one place (:class:`_Stamper`): rule id,
severity, position, object, suppressions (flagged, not dropped) and, when asked for, its fix.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from yaml.nodes import SequenceNode

from .. import rules as _rules
from ..model.admission import bindings_in, facts, namespaces_in
from ..model.data import Finding, Level, ObjectRef, Options, Source, Suppressed
from ..model.profiles import in_document
from ..model.workloads import PodTemplate, envelope, pod_templates
from ..rules.base import Problem, Rule, build_fix, by_type, suppression_fix
from ..text import lists, suppressions
from ..text.documents import (
    Document,
    SyntaxProblem,
    compose,
    has_template_action,
    has_template_structure,
    is_null,
    template_syntax_is_why,
)
from ..text.prefilter import escaped, relevant
from ..text.streams import (
    Chunk,
    DecodeError,
    Part,
    binary_message,
    chunks,
    count_documents,
    count_lines,
    decode,
    has_bom,
    json_chunks,
    position,
    split,
)
from .result import FileResult, Share, Shares
from .usage import Usage, judging

_SYNTAX = _rules.SYNTAX
_SUPPRESSIONS = _rules.SUPPRESSIONS
_UNUSED = _rules.UNUSED


class _Stamper:
    """Turns the problems of one document (or one unparsed chunk) into findings."""

    def __init__(
        self,
        path: str,
        options: Options,
        comments: dict[int, set[str]],
        doc: Document | None = None,
        usage: Usage | None = None,
    ) -> None:
        self.path = path
        self.options = options
        self.comments = comments
        self.doc = doc
        self.usage = usage
        self.source = Source(doc.helm_source) if doc is not None and doc.helm_source else None

    def __call__(
        self,
        rule: Rule,
        problems: Iterable[Problem],
        obj: ObjectRef | None = None,
        muted: Sequence[suppressions.Suppression] = (),
        pod: PodTemplate | None = None,
    ) -> Iterator[Finding]:
        """The findings of ``problems``; ``muted``: the annotations that apply to them."""
        for problem in problems:
            if problem.position is not None:
                line, column = problem.position
            elif self.doc is not None and problem.node is not None:
                line, column = self.doc.pos(problem.node)
            else:
                raise ValueError(f"{rule.ID}: a problem needs a node or a position")
            suppressed = self._suppressed(rule.ID, line, muted)
            fix = None
            if pod is not None and self.options.fixes and suppressed is None:
                fix = build_fix(rule, problem, pod, self.options.edit_rendered)
            elif self.doc is not None and self.options.fixes and problem.suppressions:
                fix = suppression_fix(rule, problem, self.doc)
            setting = problem.where or (problem.setting.where if problem.setting else None)
            yield Finding(
                rule=rule.ID,
                path=self.path,
                line=line,
                column=column,
                message=problem.message,
                help=problem.help,
                severity=rule.SEVERITY,
                object=obj,
                container=problem.container,
                containers=problem.containers
                or ((problem.container,) if problem.container is not None else ()),
                setting=setting,
                source=self.source,
                fix=fix,
                suppressed=suppressed,
                admission=facts(problem.psa, pod, self.options, problem.containers),
                profile_ref=problem.profile_ref,
            )

    def _suppressed(
        self, rule: str, line: int, muted: Sequence[suppressions.Suppression]
    ) -> Suppressed | None:
        """How a finding of ``rule`` on ``line`` is suppressed (each suppression that does it is
        marked used: every one, so none of them is reported unused)."""
        by = [s for s in muted if s.rule == rule]
        lines = [at for at in (line, line - 1) if rule in self.comments.get(at, ())]
        if self.usage is not None:
            self.usage.mark(rule, by, lines)
        if by:
            return Suppressed.ANNOTATION
        return Suppressed.COMMENT if lines else None


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
            return _unreadable(result, options, f"cannot read: {exc}")
        read = io.BytesIO(data).read
    else:
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        inner = read
        pending = [head]

        def read(n: int) -> bytes:
            block = pending.pop() + inner(n) if pending else inner(n)
            result.size += len(block)
            return block

    if not is_json:
        return _scan(split(read), path, options, result)
    # JSON allows tabs where YAML does not. A stream of concatenated objects (as kubectl
    # accepts) does not parse as one document: then it is read object by object.
    data = read(-1).replace(b"\t", b" ")
    scanned = _scan(chunks(data), path, options, FileResult(path, size=result.size))
    if scanned.parses:
        return scanned
    objects = json_chunks(data)
    if objects is None:
        return scanned
    return _scan(iter(objects), path, options, FileResult(path, size=result.size))


def _scan(
    chunks: Iterable[Chunk],
    path: str,
    options: Options,
    result: FileResult,
    index: int = 0,
    shares: Shares | None = None,
) -> FileResult:
    """Lint a stream's chunks into ``result``; ``index``: the first document's index.
    ``result.documents`` is then the index after the last document; ``shares``: each chunk's."""
    rules = _rules.enabled(options)
    syntax = _SYNTAX in rules
    templated = False
    unparsed: str | None = None
    judged = judging(options, rules, _UNUSED)
    for chunk in chunks:
        if shares is not None:
            shares.chunks.append(Share(chunk, index, len(result.findings), result.pods))
        # A template is skipped only when its template syntax keeps it from being read: a
        # rendered manifest may hold "{{ ... }}" in a quoted string (alert texts) and is linted.
        has_action = has_template_action(chunk.data)
        # Syntax errors and duplicate keys are reported only where a finding could be: a broken
        # ConfigMap is not this linter's business, and the pre-filter stays exact.
        in_scope = relevant(chunk.data, options.level == Level.NAMESPACE)
        if not in_scope and b"\0" in chunk.data:
            # Binary data is reported wherever it is (a NUL byte is cheap to find), unparsed.
            index += 1
            if syntax:
                result.findings.extend(_binary(chunk, path, options))
            continue
        if options.prefilter and not in_scope:
            index += count_documents(chunk.data)
            continue
        if not has_action and b"items" in chunk.data:
            listed = _lint_list(chunk, index, path, options, rules, result)
            if listed is not None:
                result.findings.extend(listed)
                index += 1
                continue
        for item in compose(chunk, index):
            if isinstance(item, SyntaxProblem):
                if has_action and template_syntax_is_why(chunk):
                    templated = True
                    break
                index += 1
                if in_scope and syntax:
                    result.findings.extend(_unparsable(chunk, item, path, options))
                elif in_scope and unparsed is None:
                    # --select/--ignore turned the rule off: the file is still not checked.
                    unparsed = f"not checked: cannot parse YAML at {item.where}"
                continue
            index = item.index + 1
            if has_action and has_template_structure(item.root):
                templated = True
                break
            if shares is not None:
                shares.chunks[-1].kept.append(shares.keep(item))
            written = suppressions.from_comments(item.text, item.line_offset, item.root)
            usage = Usage.of(judged)
            if usage is not None:
                usage.register(written, item)
            found = _lint_document(item, path, options, rules, result, written, usage=usage)
            result.findings.extend(found)
            if syntax and in_scope and item.duplicates:
                result.findings.extend(_duplicate_keys(item, path, options, written, usage))
            if usage is not None and usage.written:
                result.findings.extend(_unused(path, options, usage))
        if templated:
            notice = "skipped: holds an unrendered template ({{ ... }}); lint the rendered output"
            return FileResult(path, size=result.size, notice=notice, unrendered=True)
    result.documents = index
    result.unparsed = unparsed
    return result


def _binary(chunk: Chunk, path: str, options: Options) -> Iterator[Finding]:
    """The syntax finding for a chunk that holds a NUL byte, at the first one."""
    line, column = position(chunk, chunk.data.index(b"\0"))
    problem = _SYNTAX.parse_problem(line, column, binary_message(chunk.data))
    return _Stamper(path, options, {})(_SYNTAX, [problem])


def _unparsable(
    chunk: Chunk, problem: SyntaxProblem, path: str, options: Options
) -> Iterator[Finding]:
    """The syntax finding for a document the parser stopped in (the chunk's suppression
    comments apply to it)."""
    message = f"cannot parse YAML: {problem.message}"
    muted = suppressions.by_line(suppressions.from_comments(chunk.data, chunk.line), _rules.BY_ID)
    stamp = _Stamper(path, options, muted)
    return stamp(_SYNTAX, [_SYNTAX.parse_problem(problem.line, problem.column, message)])


def _duplicate_keys(
    doc: Document,
    path: str,
    options: Options,
    written: list[suppressions.Suppression],
    usage: Usage | None = None,
) -> Iterator[Finding]:
    """The syntax findings of a parsed document, its duplicate keys (``written``: its comments)."""
    muted = suppressions.by_line(written, _rules.BY_ID)
    return _Stamper(path, options, muted, doc, usage)(_SYNTAX, _SYNTAX.check_document(doc))


def _unused(path: str, options: Options, usage: Usage | None) -> Iterator[Finding]:
    """The unused-suppression findings of a reading, once all of it is stamped (unsuppressible)."""
    for doc, obj, found in usage.unused() if usage is not None else ():
        stamp = _Stamper(path, options, {}, doc)
        yield from stamp(_UNUSED, _UNUSED.check_suppressions(found, _rules.BY_ID), obj)


def _unreadable(result: FileResult, options: Options, message: str) -> FileResult:
    if _SYNTAX in _rules.enabled(options):
        stamp = _Stamper(result.path, options, {})
        result.findings.extend(stamp(_SYNTAX, [_SYNTAX.parse_problem(1, 1, message)]))
    return result


@dataclass(frozen=True)
class Frame:
    """Where an item of a List read on its own sits: its first line (0-based, in the file), its
    document's index, the steps to it, the kind it takes when it has none, its document's Helm
    template, and the suppression comments on the line before it (which apply to its first line)."""

    line: int
    index: int
    prefix: tuple
    implied: str | None = None
    helm_source: str | None = None
    before: tuple[suppressions.Suppression, ...] = ()


def _item(
    data: bytes,
    path: str,
    options: Options,
    rules: list[Rule],
    result: FileResult,
    frame: Frame,
    usage: Usage | None = None,
    own: list[suppressions.Suppression] | None = None,
) -> tuple[list[Finding], Document, list[suppressions.Suppression]] | None:
    """The findings of one List item (duplicate keys left to the caller), its document and the
    suppression comments that apply to it; None when it does not read as one document. Its own
    comments (``own``, else read) go to ``usage`` (the line before it is the text before's)."""
    item = list(compose(Chunk(data, frame.line), frame.index))
    if len(item) != 1 or not isinstance(item[0], Document):
        return None
    doc = item[0]
    doc.prefix, doc.implied_kind, doc.helm_source = frame.prefix, frame.implied, frame.helm_source
    own = suppressions.from_comments(data, frame.line, doc.root) if own is None else own
    if usage is not None:
        usage.register(own, doc)
    written = [*frame.before, *own]
    found = list(_lint_document(doc, path, options, rules, result, written, False, usage))
    return found, doc, written


def lint_item(data: bytes, path: str, options: Options, frame: Frame) -> FileResult:
    """Lint one item of a List on its own (the fix stage re-lints a changed item so)."""
    result = FileResult(path, size=len(data), documents=1)
    rules = _rules.enabled(options)
    usage = Usage.of(judging(options, rules, _UNUSED))
    found = _item(data, path, options, rules, result, frame, usage)
    if found is None:
        result.unparsed = "the item does not read as one document"
        return result
    result.findings, doc, written = found
    if _SYNTAX in rules and doc.duplicates:
        result.findings += _duplicate_keys(doc, path, options, written, usage)
    if usage is not None:
        # A comment on the item's last line may be the next item's (its line before): on its
        # own, the item cannot tell whether it is used.
        last = frame.line + count_lines(data.rstrip(b"\r\n")) + 1
        usage.written = [w for w in usage.written if w[0].node is not None or w[0].line != last]
    result.findings += _unused(path, options, usage)
    return result


def frames(
    chunk: Chunk,
    index: int,
    pieces: lists.Cut,
    skeleton: Document,
    written: list[suppressions.Suppression] | None = None,
) -> Iterator[Frame]:
    """The frame of each item of a List document that was cut (see :mod:`lists`); ``written``:
    the document's suppression comments, when the caller has read them."""
    _, implied = envelope(skeleton)
    if written is None:
        written = suppressions.from_comments(chunk.data, chunk.line)
    by_line: dict[int, list[suppressions.Suppression]] = {}
    for s in written:
        by_line.setdefault(s.line, []).append(s)
    for i, piece in enumerate(pieces.items):
        line = chunk.line + piece.line
        before = tuple(by_line.get(line, ()))  # 1-based line ``line``: the one before the item
        yield Frame(line, index, ("items", i), implied, skeleton.helm_source, before)


def skeleton_of(chunk: Chunk, index: int, pieces: lists.Cut) -> Document | None:
    """The envelope of a List document that was cut, when it is one whose items are objects."""
    composed = list(compose(Chunk(pieces.skeleton, chunk.line), index))
    if len(composed) != 1 or not isinstance(composed[0], Document):
        return None
    skeleton = composed[0]
    if not envelope(skeleton)[0]:
        return None
    # Every item was cut out: what is left under ``items`` must be nothing (a line the cut did
    # not take for an item would otherwise be read as one, or not at all), under one key.
    items = skeleton.get(skeleton.root, "items")
    if not (is_null(items) or (isinstance(items, SequenceNode) and not items.value)):
        return None
    if any(key.value == "items" for key, _ in skeleton.duplicates):
        return None
    return skeleton


def _lint_list(
    chunk: Chunk,
    index: int,
    path: str,
    options: Options,
    rules: list[Rule],
    result: FileResult,
) -> list[Finding] | None:
    """Lint a chunk holding one List document item by item (see :mod:`lists`): the findings
    reading it whole would give, or None when it cannot be read so (then it is read whole)."""
    pieces = lists.cut(chunk.data, False)
    if pieces is None:
        return None
    skeleton = skeleton_of(chunk, index, pieces)
    if skeleton is None:
        return None
    syntax = _SYNTAX in rules
    found: list[Finding] = []
    pods = result.pods
    docs = [skeleton]  # duplicate keys are reported after the rest, as for a whole document
    written = suppressions.from_comments(chunk.data, chunk.line)
    usage = Usage.of(judging(options, rules, _UNUSED))
    for piece, frame in zip(pieces.items, frames(chunk, index, pieces, skeleton, written)):
        own = suppressions.in_text(written, text := piece.text, frame.line)
        item = _item(text, path, options, rules, result, frame, usage, own)
        if item is None:
            result.pods = pods
            return None
        found.extend(item[0])
        if syntax and item[1].duplicates:
            docs.append(item[1])
    if usage is not None:  # the comments no item holds are the envelope's
        taken = {(w[0].line, w[0].column) for w in usage.written}
        usage.register([s for s in written if (s.line, s.column) not in taken], skeleton)
    found.extend(_lint_document(skeleton, path, options, rules, result, written, usage=usage))
    for doc in docs if syntax else ():
        found.extend(_duplicate_keys(doc, path, options, written, usage))
    found.extend(_unused(path, options, usage))
    return found


def _lint_document(
    doc: Document,
    path: str,
    options: Options,
    rules: list[Rule],
    result: FileResult,
    written: list[suppressions.Suppression] | None = None,
    report: bool = True,
    usage: Usage | None = None,
) -> Iterator[Finding]:
    """A document's findings; ``written``: the suppression comments when the document is an
    item of a List read item by item (they are reported once, with its envelope: ``report``);
    ``usage``: where its annotations are registered, and suppressions marked used."""
    known = _rules.BY_ID
    if written is None:
        written = suppressions.from_comments(doc.text, doc.line_offset, doc.root)
    stamp = _Stamper(path, options, suppressions.by_line(written, known), doc, usage)
    check = _SUPPRESSIONS in rules
    invalid = [s for s in written if not s.applies(known)] if check and report else []
    checks, judges = by_type(rules, doc.text)
    # A suppression annotation's key says "seccomp-lint": most documents cannot hold one.
    annotated = b"seccomp-lint" in doc.text or escaped(doc.text)
    for pod in pod_templates(doc):
        result.pods += 1
        found = (
            list(suppressions.from_annotations(doc, [pod.object_root, pod.metadata]))
            if annotated
            else []
        )
        muted = [s for s in found if s.applies(known)]
        invalid += [s for s in found if check and not s.applies(known)]
        if usage is not None:
            usage.register(found, doc, pod.obj)
        for pod_rule in checks:
            yield from stamp(pod_rule, pod_rule.check(pod, options), pod.obj, muted, pod)
    for profile in in_document(doc) if judges else ():
        found = list(suppressions.from_annotations(doc, [profile.object_root]))
        muted = [s for s in found if s.applies(known)]
        invalid += [s for s in found if check and not s.applies(known)]
        if usage is not None:
            usage.register(found, doc, profile.obj)
        for judge in judges:
            yield from stamp(judge, judge.check_profile(profile, options), profile.obj, muted)
    for ns in namespaces_in(doc) if options.level == Level.NAMESPACE else ():
        result.declared.append(ns.decl(path))
        for rule in _rules.namespace_rules(rules):
            yield from stamp(rule, rule.check_namespace(ns, options), ns.ref)
    result.declared += bindings_in(doc, options)
    if invalid:
        # Not suppressible itself: a suppression cannot vouch for another.
        plain = _Stamper(path, options, {}, doc)
        unique = list(dict.fromkeys(invalid))
        yield from plain(_SUPPRESSIONS, _SUPPRESSIONS.check_suppressions(unique, known))


def lint_part(data: bytes, path: str, options: Options, part: Part) -> FileResult:
    """Lint a part of a UTF-8 YAML stream (:func:`~seccomp_lint.text.streams.parts`), numbered
    from its index and line; ``documents``: the index after it (the next part's, if right)."""
    return _scan(chunks(data, part.line), path, options, FileResult(path), part.index)


def lint_bytes(
    data: bytes, path: str, options: Options, is_json: bool = False, shares: Shares | None = None
) -> FileResult:
    """Lint an in-memory stream (UTF-8 without a byte-order mark is read in place, and only
    then are its chunks' ``shares`` told)."""
    if is_json or has_bom(data):
        return lint_stream(io.BytesIO(data).read, path, options, is_json)
    return _scan(chunks(data), path, options, FileResult(path, size=len(data)), 0, shares)
