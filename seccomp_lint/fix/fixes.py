"""The fix stage for one text: apply rules' fixes round by round, verify each round, report.

Verification has three parts: the edited text parses; its data equals the old data plus exactly
the fixes' structural changes; and linting it again finds nothing that was not there before (a
fix never trades one finding for another). ``fix_bytes`` is the one fix loop, used for plain
files, stdin and the source files of a build alike (through :mod:`.stage`, which writes them and
asks the build's adapter to check them end to end).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from ..edit import writer
from ..edit.splices import Rejected, Worse, apply_edits, parse_data, verify
from ..lint.linter import FileResult, Frame, frames, lint_bytes, lint_item, lint_part, skeleton_of
from ..model.data import Applicability, Finding, Fix, Options
from ..rules import FIX_ORDER, UNUSED, enabled
from ..text import lists
from ..text.streams import Chunk, DecodeError, Part, decode, json_chunks, json_file, one_document

__all__ = [
    "FileFix",
    "Rejected",
    "apply_edits",
    "as_on_disk",
    "fix_bytes",
    "fix_file",
    "parse_data",
    "verify",
]

# Rounds that apply fixes; fixes that touch different data of a pod template land together,
# so this covers a migration, the profile it leaves to add, and retries after either.
MAX_ROUNDS = 16


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
    # Where the text changed, when known (byte spans before/after, see diffs.unified_diff).
    regions: list[tuple[int, int, int, int]] | None = None

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


def _overlap(a: tuple, b: tuple) -> bool:
    """Whether one data path lies within the other."""
    return a[: len(b)] == b[: len(a)]


def _choose(candidates: list[Finding]) -> list[list[Finding]]:
    """Fixes for one round: in each pod template, in priority order, those whose changes do
    not touch the same data (a container's fix and another container's go together; a
    migration and a new pod-level profile do not); identical fixes go together."""
    ordered = sorted(candidates, key=lambda f: (FIX_ORDER.get(f.rule, 99), f.line, f.column))
    groups: dict[tuple, list[Finding]] = {}
    taken: dict[tuple, list[tuple]] = {}  # scope -> the change paths chosen there
    for f in ordered:
        fix = f.fix
        assert fix is not None
        same = (fix.edits, fix.changes)
        if (fix.scope, same) in groups:
            groups[fix.scope, same].append(f)
            continue
        paths = [change.path for change in fix.changes]
        chosen = taken.setdefault(fix.scope, [])
        if any(_overlap(p, q) for p in paths for q in chosen):
            continue
        chosen.extend(paths)
        groups[fix.scope, same] = [f]
    return list(groups.values())


def declined_note(f: Finding) -> Finding:
    """The finding, its help saying why its fix was not applied (once)."""
    fix = f.fix
    if fix is None or fix.declined is None or "fix not applied" in (f.help or ""):
        return f
    note = f"fix not applied: {fix.declined}"
    return replace(f, help=f"{f.help}; {note}" if f.help else note)


def as_on_disk(before: list[Finding], remaining: list[Finding]) -> list[Finding]:
    """The findings that remain after fixes that were not written (``--diff``), as the file on
    disk has them: each at its position, with its edits, in the original text (the same
    identity, the same message first), saying why its fix was not applied. A remaining finding
    the original does not have is kept as it is."""
    pool: dict[tuple, list[Finding]] = {}
    for f in before:
        pool.setdefault(f.identity, []).append(f)
    out = []
    for f in remaining:
        same = pool.get(f.identity, [])
        old = next((g for g in same if g.message == f.message), same[0] if same else None)
        if old is None:
            out.append(f)
            continue
        same.remove(old)
        declined = f.fix.declined if f.fix is not None else None
        if declined is not None and old.fix is not None:
            old = replace(old, fix=replace(old.fix, declined=declined))
        # (linted without fixes, as for the text formats, the note is in the help alone)
        out.append(replace(old, help=f.help, suppressed=f.suppressed))
    return out


def _declined(f: Finding, reason: str) -> Finding:
    """The finding, saying why ``--fix`` did not apply its fix."""
    fix = replace(f.fix, declined=reason) if f.fix is not None else None
    return declined_note(replace(f, fix=fix))


class _Text:
    """The text being fixed, linted two ways: under the run's options (what to fix and report)
    and with every rule (what "no new finding" is checked against, whatever --select says)."""

    def __init__(
        self,
        data: bytes,
        path: str,
        options: Options,
        is_json: bool,
        frame: Frame | None = None,
        part: Part | None = None,
    ) -> None:
        self.raw, self.encoding, self.bom = decode(data)  # UTF-8, without the byte-order mark
        self.raw.decode("utf-8")  # UnicodeDecodeError now, not later
        self.path, self.options, self.is_json = path, options, is_json
        # An item of a List, or a part of a stream, fixed on its own: its lint, edits and data
        # are the item's (the part's, numbered from its first line and document).
        self.frame, self.part = frame, part
        self.first_line = frame.line if frame is not None else part.line if part else 0
        self.enabled = {rule.ID for rule in enabled(options)}
        # Every rule runs; suppressions are judged for the run's rules only.
        judged = frozenset(self.enabled) if options.judged is None else options.judged
        self.every_rule = replace(options, select=None, ignore=frozenset(), judged=judged)
        self._data: tuple[str, list] | None = None  # (text, its data): parsed once per round

    @cached_property
    def body(self) -> str:
        """The text (decoded when a fix needs it: a List fixed item by item never does)."""
        return self.raw.decode("utf-8")

    def data(self, body: str) -> list:
        """The data of ``body``'s documents (remembered for the text of the current round)."""
        if self._data is None or self._data[0] is not body:
            strict = self.is_json and body.lstrip().startswith(("{", "["))
            self._data = (body, parse_data(body, strict))
        return self._data[1]

    def encode(self, body: str | bytes) -> bytes:
        """The file's bytes for a text (str, or UTF-8 bytes), in its encoding with its BOM."""
        if isinstance(body, bytes):
            if self.encoding == "utf-8":
                return self.bom + body if self.bom else body
            body = body.decode("utf-8")
        return self.bom + body.encode(self.encoding)

    def item(self, data: bytes, frame: Frame) -> _Text:
        """The text of one item of this List, fixed on its own."""
        return _Text(data, self.path, self.options, self.is_json, frame)

    def local(self, fix: Fix) -> Fix:
        """A fix as it applies to this text's data (an item's: without the steps to it)."""
        if self.frame is None:
            return replace(fix, document=fix.document - self.part.index) if self.part else fix
        prefix = self.frame.prefix
        if any(change.path[: len(prefix)] != prefix for change in fix.changes):
            raise Rejected("the fix reaches outside its List item")
        changes = tuple(replace(c, path=c.path[len(prefix) :]) for c in fix.changes)
        return replace(fix, document=0, changes=changes)

    def lint(self, body: str | bytes) -> tuple[FileResult, Counter]:
        """The run's result for ``body`` (str, or UTF-8 bytes) and the identities every rule
        reports."""
        raw = body if isinstance(body, bytes) else body.encode("utf-8")
        if self.frame is not None:
            full = lint_item(raw, self.path, self.every_rule, self.frame)
        elif self.part is not None:
            full = lint_part(raw, self.path, self.every_rule, self.part)
        else:
            full = lint_bytes(raw, self.path, self.every_rule, self.is_json)
        shown = replace(full, findings=[f for f in full.findings if f.rule in self.enabled])
        # A fix may leave a suppression with nothing to suppress: its unused-suppression is not
        # a finding the fix adds (it has a safe fix of its own, applied in the next round).
        kept = (f.identity for f in full.reported if f.rule != UNUSED.ID)
        return shown, Counter(kept)


def _attempt(
    text: _Text, body: str, groups: list[list[Finding]], before: Counter
) -> tuple[str, FileResult, Counter]:
    """Apply and verify the groups' fixes together: the new text, its result and every rule's
    identities; Rejected (Worse when it would add a finding) otherwise."""
    fixes = [g[0].fix for g in groups if g[0].fix is not None]
    new = apply_edits(body, [e for fix in fixes for e in fix.edits], text.first_line)
    verify(body, new, [text.local(fix) for fix in fixes], text.is_json, text.data(body))
    result, now = text.lint(new)
    added = now - before
    if added:
        a = next(iter(added))
        label = f"{a.kind}/{a.name or '<unnamed>'}"
        where = label + (f' container "{a.container}"' if a.container else "")
        raise Worse(f"it would add a finding ({a.rule} for {where})", set(added))
    return new, result, now


def _object(f: Finding) -> tuple:
    """The object (kind, namespace, name) a finding is about, as its identity has it."""
    return (f.object.kind, f.object.namespace, f.object.name) if f.object else (None,) * 3


def _passing(
    text: _Text, body: str, groups: list[list[Finding]], before: Counter, failed: dict
) -> tuple[list[list[Finding]], tuple[str, FileResult, Counter] | None]:
    """The largest set of groups found to pass together, applied to ``body``; the others are
    recorded in ``failed``. A fix that would add a finding is known by the object it is in,
    so such fixes are set aside at once; other failures are found by halving. Each attempt
    re-lints the text, so this keeps the attempts few on a large file."""
    try:
        return groups, _attempt(text, body, groups, before)
    except Worse as exc:
        added = {(a.kind, a.namespace, a.name) for a in exc.added}
        culprits = [g for g in groups if g[0].object and _object(g[0]) in added]
        if culprits and len(culprits) < len(groups):
            for g in culprits:
                for f in g:
                    failed[_fingerprint(f)] = Worse(str(exc), exc.added)
            rest = [g for g in groups if g not in culprits]
            return _passing(text, body, rest, before, failed)
        first: Rejected = exc
    except Rejected as exc:
        first = exc
    if len(groups) == 1:
        for f in groups[0]:
            failed[_fingerprint(f)] = first
        return [], None
    half = len(groups) // 2
    left, left_done = _passing(text, body, groups[:half], before, failed)
    right, right_done = _passing(text, body, groups[half:], before, failed)
    if not left or not right:
        return (left, left_done) if left else (right, right_done)
    try:
        return left + right, _attempt(text, body, left + right, before)
    except Rejected:
        return left, left_done  # they conflict: the rest waits for the next round


def _rounds(
    text: _Text,
    body: str,
    result: FileResult,
    identities: Counter,
    failed: dict[tuple, Rejected | str],
    unsafe: bool,
    wanted: Callable[[Finding], bool] | None,
) -> tuple[str, FileResult]:
    """Fix ``body`` round by round: the fixed text and its result; fixes that failed are
    recorded in ``failed``, with why."""
    findings = result.findings
    applied: set[tuple] = set()
    rounds = 0
    # Each round applies at least one fix or marks at least one more as failed, so the loop
    # ends; a fix that failed only because it would add a finding is tried again after the
    # text changed (another fix may have made it fit).
    while True:
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
        if rounds == MAX_ROUNDS:
            for f in candidates:
                failed[_fingerprint(f)] = f"{MAX_ROUNDS} rounds of fixes did not get to it"
            break
        done, applied_text = _passing(text, body, _choose(candidates), identities, failed)
        if applied_text is None:
            continue
        body, result, identities = applied_text
        rounds += 1
        applied.update(_fingerprint(f) for g in done for f in g)
        # A fix that would have added a finding may fit now, if a fix landed in its object.
        touched = {_object(g[0]) for g in done if g[0].object}
        for f in findings:
            key = _fingerprint(f)
            if isinstance(failed.get(key), Worse) and f.object and _object(f) in touched:
                del failed[key]
        findings = result.findings
    return body, result


def _by_item(
    text: _Text,
    result: FileResult,
    failed: dict[tuple, Rejected | str],
    unsafe: bool,
    wanted: Callable[[Finding], bool] | None,
) -> tuple[bytes, FileResult, list[tuple[int, int, int, int]]] | None:
    """Fix a text that is one List document item by item (see :mod:`lists`): each item with
    something to fix is fixed, verified and re-linted on its own, so the work grows with the
    items fixed, not with the file times the fixes: the fixed text, its result, and the byte
    spans of the items that changed, before and after. None when the text is not such a List."""
    raw = text.raw
    if b"items" not in raw or not one_document(raw) or (text.is_json and b"\t" in raw):
        return None  # (tabs in JSON are read as blanks only when a whole file is linted)
    chunk = Chunk(raw, 0)
    pieces = lists.cut(raw, text.is_json)
    skeleton = skeleton_of(chunk, 0, pieces) if pieces is not None else None
    if pieces is None or skeleton is None:
        return None
    item_frames = list(frames(chunk, 0, pieces, skeleton))
    starts = [frame.line + 1 for frame in item_frames]  # 1-based first line of each item
    todo = sorted(
        {
            bisect_right(starts, f.line) - 1
            for f in result.findings
            if applicable(f, unsafe) and (wanted is None or wanted(f))
        }
        - {-1}
    )
    if not todo:
        return raw, result, []
    texts: dict[int, bytes] = {}  # item -> its new text in the file
    verified: dict[int, bytes] = {}  # item -> its new text as fixed and verified on its own
    for i in todo:
        piece = pieces.items[i]
        item = text.item(piece.text, item_frames[i])
        found, identities = item.lint(item.body)
        if not found.parses:
            return None  # the item reads only as part of the whole (an alias to another one)
        body, _ = _rounds(item, item.body, found, identities, failed, unsafe, wanted)
        if body is not item.body:
            verified[i] = body.encode("utf-8")
            restored = piece.restore(verified[i])
            if restored is None:
                return None
            texts[i] = restored
    fixed, regions = lists.assemble(raw, pieces, texts)
    # The items must still be where the cut finds them: then each reads as it was verified.
    again = lists.cut(fixed, text.is_json)
    if again is None or len(again.items) != len(pieces.items):
        return None
    if any(again.items[i].text != verified.get(i, p.text) for i, p in enumerate(pieces.items)):
        return None
    return fixed, text.lint(fixed)[0], regions


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
    try:
        text: _Text | None = _Text(data, path, options, is_json)
    except (DecodeError, UnicodeDecodeError) as exc:
        text, undecodable = None, f"not fixed: {exc}"
    if text is not None:
        result, identities = text.lint(text.raw)
    else:
        result, identities = lint_bytes(data, path, options, is_json), Counter()
    out = FileFix(path, data, data, result.findings, documents=result.documents)
    out.before = result.findings
    if result.error or result.notice:
        out.notice = result.error or result.notice
        return out
    if not result.parses:
        out.notice = "not fixed: the file does not parse cleanly"
        return out
    if is_json and result.documents > 1 and json_chunks(data) is not None:
        reason = "a stream of concatenated JSON objects is not rewritten"
        out.findings = [_declined(f, reason) if applicable(f, True) else f for f in out.findings]
        return out
    if text is None:
        out.notice = undecodable
        return out
    failed: dict[tuple, Rejected | str] = {}
    body: str | bytes
    by_item = _by_item(text, result, failed, unsafe, wanted)
    if by_item is not None:
        body, result, out.regions = by_item
    else:
        failed.clear()
        body, result = _rounds(text, text.body, result, identities, failed, unsafe, wanted)
    out.fixed = text.encode(body)
    return _tally(out, result, failed, unsafe, wanted)


def _tally(
    out: FileFix,
    result: FileResult,
    failed: dict[tuple, Rejected | str],
    unsafe: bool,
    wanted: Callable[[Finding], bool] | None,
) -> FileFix:
    """The outcome, from the result after the fixes: what was fixed, what remains (saying why a
    fix failed), what was held back as unsafe."""
    findings = result.findings
    out.documents = result.documents
    remaining = Counter(f.identity for f in findings if f.suppressed is None)
    before = Counter(f.identity for f in out.before if f.suppressed is None)
    out.fixed_count = sum((before - remaining).values())
    out.findings = [
        _declined(f, str(failed[_fingerprint(f)])) if _fingerprint(f) in failed else f
        for f in findings
    ]
    out.held_back = sum(
        1
        for f in findings
        if not unsafe
        and applicable(f, True)
        and not applicable(f, False)
        and (wanted is None or wanted(f))
    )
    return out


def fix_file(
    path: str,
    options: Options,
    unsafe: bool,
    write: bool,
    shown: str | None = None,
    wanted: Callable[[Finding], bool] | None = None,
    fixer: Callable[..., FileFix] | None = None,
) -> FileFix:
    """Fix one file (by ``fixer``, else :func:`fix_bytes`); write it atomically when ``write``.

    A file that cannot be read has ``error``; one that could not be rewritten (nor one changed
    meanwhile) keeps its old findings and says why in ``notice``.
    """
    shown = shown or path
    try:
        seen = writer.stamp(path)
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileFix(shown, b"", b"", [], error=f"cannot read: {exc.strerror or exc}")
    ff = (fixer or fix_bytes)(data, shown, options, unsafe, json_file(path), wanted)
    if not ff.changed or not write:
        return ff
    why = writer.replace_atomically(path, ff.fixed, data, seen)
    if why:
        return replace(
            ff, fixed=data, findings=ff.before, fixed_count=0, notice=f"not rewritten: {why}"
        )
    return ff
