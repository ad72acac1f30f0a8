"""The fix stage for one text: apply rules' fixes round by round, verify each round, report.

Verification has three parts: the edited text parses; its data equals the old data plus exactly
the fixes' structural changes; and linting it again finds nothing that was not there before (a
fix never trades one finding for another). ``fix_bytes`` is the one fix loop, used for plain
files, stdin and the source files of a Kustomize build alike.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import yaml

from . import writer
from .depth import MAX_DEPTH, too_deep
from .documents import DecodeError, Loader, decode, json_file
from .edits import EDITOR_BREAK
from .linter import FileResult, lint_bytes
from .model import Applicability, Change, Edit, Finding, Fix, Options, Pos
from .rules import FIX_ORDER

# Rounds that apply fixes: one fix per pod template lands per round, so this is enough for
# every fix of a pod template with many containers.
MAX_ROUNDS = 32


class Rejected(Exception):
    """A fix (or a set of fixes) that cannot be applied; the message says why."""


class Worse(Rejected):
    """A fix that would add a finding; another fix applied first may change that."""


def _line_starts(body: str) -> list[int]:
    return [0, *(m.end() for m in EDITOR_BREAK.finditer(body))]


def _lines(text: str) -> list[str]:
    """The lines of a text with their breaks, split where editors and git split them (LF, CR,
    CRLF; not at NEL, LS or PS, as ``str.splitlines`` would)."""
    starts = _line_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, ends) if b > a]


def apply_edits(body: str, edits: list[Edit]) -> str:
    """Splice edits (1-based positions, end exclusive) into ``body``; overlapping ones fail."""
    starts = _line_starts(body)

    def offset(p: Pos) -> int:
        if not 1 <= p.line <= len(starts):
            raise Rejected(f"edit position {p.line}:{p.column} is outside the file")
        at = starts[p.line - 1] + p.column - 1
        limit = starts[p.line] if p.line < len(starts) else len(body)
        if at > limit:
            raise Rejected(f"edit position {p.line}:{p.column} is outside the line")
        return at

    spans = sorted({(offset(e.start), offset(e.end), e.content) for e in edits})
    out: list[str] = []
    done = 0
    previous: tuple[int, int, str] | None = None
    for start, end, content in spans:
        if start < done:
            raise Rejected("two fixes edit the same text")
        if previous and start == end == previous[0] == previous[1]:
            raise Rejected("two fixes insert at the same place")
        out.append(body[done:start])
        out.append(content)
        done = end
        previous = (start, end, content)
    out.append(body[done:])
    return "".join(out)


def _load(body: str, is_json: bool) -> list:
    if is_json:
        try:
            return [json.loads(body)]
        except ValueError:
            pass
    # libyaml's constructor recurses in C: a hostile nesting depth would crash, not raise.
    deep = too_deep(body.encode("utf-8"))
    if deep is not None:
        raise Rejected(f"nested deeper than {MAX_DEPTH} levels at line {deep[0] + 1}")
    return list(yaml.load_all(body, Loader=Loader))


def _same(a: object, b: object) -> bool:
    """Equal data of equal types (``1 == True`` and ``1 == 1.0`` are differences here)."""
    if type(a) is not type(b):
        return False
    # b is of a's type: the isinstance tests on b only tell mypy so.
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def _apply_change(data: object, change: Change) -> None:
    *steps, last = change.path
    node = data  # parsed JSON/YAML: the change's path runs through dicts and lists
    for step in steps:
        node = node[step]  # type: ignore[index]
    if change.op == "set":
        node[last] = json.loads(change.value)  # type: ignore[index]
    else:
        del node[last]  # type: ignore[attr-defined]


def verify(old: str, new: str, fixes: list[Fix], is_json: bool) -> None:
    """Raise Rejected unless ``new`` holds the data of ``old`` plus exactly the fixes' changes."""
    strict_json = is_json and old.lstrip().startswith(("{", "["))
    try:
        before = _load(old, strict_json)
    except Rejected:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure means: do not touch
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Rejected(f"the file does not parse ({first})") from None
    try:
        after = _load(new, strict_json)
    except Rejected:
        raise
    except Exception as exc:  # noqa: BLE001
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Rejected(f"the fixed text would not parse ({first})") from None
    if len(before) != len(after):
        raise Rejected(f"the fixed text would hold {len(after)} documents, not {len(before)}")
    try:
        expected = copy.deepcopy(before)
        for fix in fixes:
            for change in fix.changes:
                _apply_change(expected[fix.document], change)
        same = all(_same(x, y) for x, y in zip(expected, after))
    except (KeyError, IndexError, TypeError, RecursionError) as exc:
        raise Rejected(f"cannot check the change ({type(exc).__name__})") from None
    if not same:
        raise Rejected("the edit would change more than the intended value")


# --------------------------------------------------------------------------- the loop


@dataclass
class FileFix:
    """The outcome of fixing one text."""

    path: str
    original: bytes
    fixed: bytes
    findings: list[Finding]  # what remains after the fixes (suppressed ones flagged)
    fixed_count: int = 0
    held_back: int = 0  # unsafe fixes not applied
    documents: int = 0
    notice: str | None = None  # why it was not fixed (or not rewritten)
    error: str | None = None  # why it could not be read
    before: list[Finding] = field(default_factory=list)  # the findings before any fix

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def applicable(f: Finding, unsafe: bool) -> bool:
    """Whether ``--fix`` (with or without ``--unsafe-fixes``) applies the finding's fix."""
    fix = f.fix
    return (
        f.suppressed is None
        and fix is not None
        and bool(fix.edits)
        and fix.declined is None
        and (unsafe or fix.applicability == Applicability.SAFE)
    )


def _fingerprint(f: Finding) -> tuple:
    """A finding across rounds: what it is, and where in the data its fix would act."""
    if f.fix is None:
        return (f.identity, None)
    return (f.identity, f.fix.scope, tuple(change.path for change in f.fix.changes))


def _choose(candidates: list[Finding]) -> list[list[Finding]]:
    """Fixes for one round: the first per pod template; identical fixes go together."""
    ordered = sorted(candidates, key=lambda f: (FIX_ORDER.get(f.rule, 99), f.line, f.column))
    groups: dict[tuple, list[Finding]] = {}
    taken: dict[tuple, tuple] = {}
    for f in ordered:
        fix = f.fix
        assert fix is not None
        same = (fix.edits, fix.changes)
        if fix.scope in taken and taken[fix.scope] != same:
            continue
        taken[fix.scope] = same
        groups.setdefault((fix.scope, same), []).append(f)
    return list(groups.values())


def _declined(f: Finding, reason: str) -> Finding:
    """The finding, saying why ``--fix`` did not apply its fix."""
    note = f"fix not applied: {reason}"
    fix = replace(f.fix, declined=reason) if f.fix is not None else None
    return replace(f, help=f"{f.help}; {note}" if f.help else note, fix=fix)


class _Text:
    """The text being fixed, with what linting it found."""

    def __init__(self, data: bytes, path: str, options: Options, is_json: bool) -> None:
        raw, self.encoding, self.bom = decode(data)
        self.body = raw.decode("utf-8")
        self.path, self.options, self.is_json = path, options, is_json

    def encode(self, body: str) -> bytes:
        return self.bom + body.encode(self.encoding)

    def lint(self, body: str) -> FileResult:
        return lint_bytes(self.encode(body), self.path, self.options, self.is_json)


def _attempt(text: _Text, body: str, fixes: list[Fix], before: list[Finding]) -> tuple[str, FileResult]:
    """Apply and verify fixes: the new text and its lint result, or Rejected."""
    new = apply_edits(body, [e for fix in fixes for e in fix.edits])
    verify(body, new, fixes, text.is_json)
    result = text.lint(new)
    added = Counter(f.identity for f in result.reported) - Counter(f.identity for f in before)
    if added:
        worse = next(f for f in result.reported if f.identity in added)
        raise Worse(f"it would add a finding ({worse.rule}: {worse.text})")
    return new, result


def fix_bytes(
    data: bytes,
    path: str,
    options: Options,
    unsafe: bool = False,
    is_json: bool = False,
    wanted: Callable[[Finding], bool] | None = None,
) -> FileFix:
    """Apply every applicable (and ``wanted``) fix to a stream, round by round, verified."""
    # Every document parsed, so document indexes are those of the YAML stream.
    options = replace(options, prefilter=False, fixes=True)
    result = lint_bytes(data, path, options, is_json)
    out = FileFix(path, data, data, result.findings, documents=result.documents)
    out.before = result.findings
    if result.error or result.notice:
        out.notice = result.error or result.notice
        return out
    if not result.parses:
        out.notice = "not fixed: the file does not parse cleanly (yaml-syntax-error)"
        return out
    try:
        text = _Text(data, path, options, is_json)
    except (DecodeError, UnicodeDecodeError) as exc:
        out.notice = f"not fixed: {exc}"
        return out
    body = text.body
    findings = result.findings
    failed: dict[tuple, str] = {}
    worse: set[tuple] = set()  # failed because they added a finding: retried after a change
    applied: set[tuple] = set()
    rounds = 0
    # Each pass either applies fixes (at most MAX_ROUNDS times) or marks at least one more fix
    # as failed, so the loop ends; a fix that failed only because it would add a finding is
    # tried again after the text changed.
    while rounds < MAX_ROUNDS:
        candidates = [
            f
            for f in findings
            if applicable(f, unsafe)
            and (wanted is None or wanted(f))
            and _fingerprint(f) not in failed
        ]
        for f in candidates:
            if _fingerprint(f) in applied:
                failed[_fingerprint(f)] = "applying it did not resolve the finding"
        candidates = [f for f in candidates if _fingerprint(f) not in failed]
        if not candidates:
            break
        groups = _choose(candidates)
        reported = [f for f in findings if f.suppressed is None]
        # Together first; if they fail together, the first that works alone.
        tries = [groups] if len(groups) == 1 else [groups, *([g] for g in groups)]
        done: list[list[Finding]] | None = None
        for attempt in tries:
            try:
                # Candidates are applicable, so each has a fix.
                fixes = [g[0].fix for g in attempt if g[0].fix is not None]
                body, result = _attempt(text, body, fixes, reported)
                done = attempt
                break
            except Rejected as exc:
                if len(attempt) > 1:
                    continue
                for f in attempt[0]:
                    failed[_fingerprint(f)] = str(exc)
                    if isinstance(exc, Worse):
                        worse.add(_fingerprint(f))
        if done is None:
            continue
        rounds += 1
        applied.update(_fingerprint(f) for g in done for f in g)
        for key in worse:
            failed.pop(key, None)
        worse.clear()
        findings = result.findings
    out.fixed = text.encode(body)
    out.documents = result.documents
    remaining = Counter(f.identity for f in findings if f.suppressed is None)
    before = Counter(f.identity for f in out.before if f.suppressed is None)
    out.fixed_count = sum((before - remaining).values())
    out.findings = [
        _declined(f, failed[_fingerprint(f)]) if _fingerprint(f) in failed else f for f in findings
    ]
    out.held_back = sum(
        1
        for f in findings
        if not unsafe and applicable(f, True) and not applicable(f, False)
        and (wanted is None or wanted(f))
    )
    return out


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff of two versions of a file, line endings kept as they are."""
    try:
        a = decode(before)[0].decode("utf-8")
        b = decode(after)[0].decode("utf-8")
    except (DecodeError, UnicodeDecodeError):
        return f"Binary files a/{path} and b/{path} differ\n"
    lines = difflib.unified_diff(
        _lines(a), _lines(b), f"a/{path}", f"b/{path}"
    )
    out = []
    for line in lines:
        ended = line.endswith(("\n", "\r"))
        out.append(line if ended else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def fix_file(
    path: str,
    options: Options,
    unsafe: bool,
    write: bool,
    shown: str | None = None,
    wanted: Callable[[Finding], bool] | None = None,
) -> FileFix:
    """Fix one file; write it atomically when ``write`` (never over a change made meanwhile).

    A file that cannot be read has ``error``; one that could not be rewritten keeps its old
    findings and says why in ``notice``.
    """
    shown = shown or path
    try:
        seen = writer.stamp(path)
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileFix(shown, b"", b"", [], error=f"cannot read: {exc.strerror or exc}")
    ff = fix_bytes(data, shown, options, unsafe, json_file(path), wanted)
    if not ff.changed or not write:
        return ff
    why = writer.replace_atomically(path, ff.fixed, data, seen)
    if why:
        return replace(
            ff, fixed=data, findings=ff.before, fixed_count=0, notice=f"not rewritten: {why}"
        )
    return ff
