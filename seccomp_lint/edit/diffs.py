"""Unified diffs of a file before and after ``--fix``, fast on large files.

difflib's matcher is quadratic on long files whose lines repeat (a cluster dump: thousands of
``image:`` and ``name: app`` lines); a 10,000-pod List took half a minute. Fixes only insert and
rewrite a few lines at many places, so lines that occur once in both versions anchor the match
(as in patience diff) and difflib is left only the small gaps between anchors.
"""

from __future__ import annotations

import difflib
import os
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from ..text.streams import DecodeError, decode

Opcode = tuple[str, int, int, int, int]
# A gap between anchors this small (lines before x lines after) goes to difflib.
_SMALL = 250_000


def lines(text: str) -> list[str]:
    """The lines of a text with their breaks, split where git splits them: after each LF (a CR
    stays part of its line, so CRLF and CR-only files diff as git sees them and ``git apply``
    takes the result)."""
    parts = text.split("\n")
    out = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


Region = tuple[int, int, int, int]  # a changed byte span before and after: a0, a1, b0, b1
_CONTEXT = 3


def diff_path(path: str) -> str:
    """A path as git writes it in a diff header: normalised (no ``./``, no ``..`` inside, forward
    slashes) and relative to the working directory when it lies below it."""
    normal = os.path.normpath(path)
    if os.path.isabs(normal):
        here = os.getcwd()
        if os.path.commonpath([here, normal]) == here:
            normal = os.path.relpath(normal, here)
    return normal.replace(os.sep, "/")


def not_applicable(before: bytes, path: str = "") -> str | None:
    """Why ``git apply`` cannot take the diff of a file with this content (at ``path``), or
    None: git reads patches as bytes, and the diff shows a UTF-16 or UTF-32 file's text as
    UTF-8; git applies a patch below the folder it runs in, never to ``../`` or ``/`` paths."""
    why = []
    try:
        encoding = decode(before)[1]
    except DecodeError:
        encoding = "utf-8"
    if encoding != "utf-8":
        why.append(
            f"the file is {encoding.upper()}: its diff shows the text as UTF-8, which git apply "
            "cannot apply"
        )
    shown = diff_path(path) if path else ""
    if shown.startswith(("../", "/")) or shown == "..":
        why.append(
            "the file is not below the working directory (run from a folder that holds every "
            "file the fix changes, such as the repository's top folder)"
        )
    return "; ".join(why) or None


def unified_diff(
    path: str, before: bytes, after: bytes, regions: list[Region] | None = None
) -> str:
    """A unified diff of two versions of a file, line endings and a byte-order mark kept as they
    are, in the form ``git apply`` takes.

    ``regions``: where the two differ (byte spans of the UTF-8 text without its byte-order
    mark, in order; the text between them is the same in both), when the fixer knows: then only
    those parts are split into lines and matched, and a cluster dump's diff costs what its
    changes do, not what the file does."""
    path = diff_path(path)
    try:
        a_text, _, a_bom = decode(before)
        b_text, _, b_bom = decode(after)
        if regions is not None and not (a_bom or b_bom):
            hunks = _regions(a_text, b_text, regions)
        else:
            # A UTF-8 byte-order mark is part of the first line, as git sees the file.
            a = lines(_utf8_bom(a_bom) + a_text.decode("utf-8"))
            b = lines(_utf8_bom(b_bom) + b_text.decode("utf-8"))
            hunks = _hunks(a, b, _Matcher(a, b).get_grouped_opcodes(_CONTEXT), 0, 0)
        out = []
        for line in _unified(hunks, f"a/{path}" if before else "/dev/null", f"b/{path}"):
            ended = line.endswith("\n")
            out.append(line if ended else line + "\n\\ No newline at end of file\n")
    except (DecodeError, UnicodeDecodeError):
        return f"Binary files a/{path} and b/{path} differ\n"
    return "".join(out)


def _utf8_bom(bom: bytes) -> str:
    return "\ufeff" if bom == b"\xef\xbb\xbf" else ""


def _line_end(text: bytes, at: int) -> int:
    """The offset after the line break ending the line that holds ``at`` (or the text's end)."""
    stop = text.find(b"\n", at)
    return len(text) if stop < 0 else stop + 1


def _spans(a_text: bytes, regions: list[Region]) -> list[list[int]]:
    """The regions widened to whole lines and the context around them, joined where they meet:
    the text outside the regions is the same on both sides, so a widening measured in ``a`` is
    the same in ``b``."""
    regions = sorted(regions)
    out: list[list[int]] = []
    i = 0
    while i < len(regions):
        a0, a1, b0, b1 = regions[i]
        i += 1
        for n in range(_CONTEXT + 1):  # the line start, then the context lines before it
            if n and a0 == 0:
                break
            start = a_text.rfind(b"\n", 0, a0 - 1 if n else a0) + 1
            a0, b0 = start, b0 - (a0 - start)
        if out and a0 <= out[-1][1]:
            a0, b0 = out[-1][0], out[-1][2]
            out.pop()
        while True:
            stop = _line_end(a_text, a1 - 1) if a1 > a0 else _line_end(a_text, a1)
            for _ in range(_CONTEXT):
                if stop < len(a_text):
                    stop = _line_end(a_text, stop)
            if i < len(regions) and stop >= regions[i][0]:
                a1, b1 = regions[i][1], regions[i][3]  # reaches the next region: join it
                i += 1
                continue
            a1, b1 = stop, b1 + (stop - a1)
            break
        out.append([a0, a1, b0, b1])
    return out


def _regions(a_text: bytes, b_text: bytes, regions: list[Region]) -> Iterator[list[str]]:
    """The hunks of a diff whose changes lie in ``regions``, each widened (see ``_spans``) and
    matched on its own, its line numbers counted from the start of the file."""
    a_line = b_line = a_done = b_done = 0
    for a0, a1, b0, b1 in _spans(a_text, regions):
        a_line += a_text.count(b"\n", a_done, a0)
        b_line += b_text.count(b"\n", b_done, b0)
        a_done, b_done = a0, b0
        a = lines(a_text[a0:a1].decode("utf-8"))
        b = lines(b_text[b0:b1].decode("utf-8"))
        yield from _hunks(a, b, _Matcher(a, b).get_grouped_opcodes(_CONTEXT), a_line, b_line)


def _hunks(
    a: Sequence[str], b: Sequence[str], groups: Iterable[list[Opcode]], a_line: int, b_line: int
) -> Iterator[list[str]]:
    """Each group of opcodes as a hunk (its header and lines); ``a`` starts at file line
    ``a_line`` (0-based), ``b`` at ``b_line``."""
    for group in groups:
        first, last = group[0], group[-1]
        header = (
            f"@@ -{_range(first[1] + a_line, last[2] + a_line)} "
            f"+{_range(first[3] + b_line, last[4] + b_line)} @@\n"
        )
        body = [header]
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                body += (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                body += ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                body += ("+" + line for line in b[j1:j2])
        yield body


class _Matcher(difflib.SequenceMatcher):
    """difflib's grouping of opcodes into hunks, over our opcodes."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(None, a, b, autojunk=False)
        self._ops = opcodes(a, b)

    def get_opcodes(self) -> list[Opcode]:  # type: ignore[override]
        return list(self._ops)


def _range(start: int, stop: int) -> str:
    """A hunk range as unified diffs write it."""
    length = stop - start
    first = start + 1 if length else start
    return f"{first}" if length == 1 else f"{first},{length}"


def _unified(hunks: Iterator[list[str]], old: str, new: str) -> Iterator[str]:
    started = False
    for hunk in hunks:
        if not started:
            started = True
            yield f"--- {old}\n"
            yield f"+++ {new}\n"
        yield from hunk


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """Edit operations turning ``a`` into ``b``, as difflib's ``get_opcodes`` gives them."""
    out: list[Opcode] = []
    _diff(a, 0, len(a), b, 0, len(b), out)
    return _merged(out)


def _diff(
    a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int, out: list
) -> None:
    """Append the operations for ``a[alo:ahi]`` -> ``b[blo:bhi]``; recursion only into the
    gaps between anchors, which are strictly smaller."""
    start = alo
    while alo < ahi and blo < bhi and a[alo] == b[blo]:  # common start
        alo, blo = alo + 1, blo + 1
    if alo > start:
        out.append(("equal", start, alo, blo - (alo - start), blo))
    end_a, end_b = ahi, bhi
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:  # common end
        ahi, bhi = ahi - 1, bhi - 1
    anchors = _anchors(a, alo, ahi, b, blo, bhi)
    if not anchors:
        out.extend(_small(a, alo, ahi, b, blo, bhi))
    else:
        i, j = alo, blo
        for ai, bj in anchors:
            _diff(a, i, ai, b, j, bj, out)
            out.append(("equal", ai, ai + 1, bj, bj + 1))
            i, j = ai + 1, bj + 1
        _diff(a, i, ahi, b, j, bhi, out)
    if ahi < end_a:
        out.append(("equal", ahi, end_a, bhi, end_b))


def _anchors(
    a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Lines that occur once in both ranges, in an order both agree on (the longest increasing
    run of their positions)."""
    if ahi - alo < 2 or bhi - blo < 2:
        return []
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {line: j for j, line in enumerate(b[blo:bhi], blo) if count_b[line] == 1}
    pairs = [
        (i, where_b[line])
        for i, line in enumerate(a[alo:ahi], alo)
        if count_a[line] == 1 and line in where_b
    ]
    return _increasing(pairs)


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs whose second items increase (pairs come sorted by the first)."""
    tails: list[int] = []  # tails[k]: the smallest second item ending a run of length k + 1
    ends: list[int] = []  # index into pairs of that run's end
    back: list[int] = []
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            ends.append(n)
        else:
            tails[k], ends[k] = j, n
        back.append(ends[k - 1] if k else -1)
    run = []
    n = ends[-1] if ends else -1
    while n >= 0:
        run.append(pairs[n])
        n = back[n]
    return run[::-1]


def _small(
    a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int
) -> list[Opcode]:
    """A gap without anchors: difflib when small, else one replacement."""
    if alo == ahi and blo == bhi:
        return []
    if alo == ahi:
        return [("insert", alo, alo, blo, bhi)]
    if blo == bhi:
        return [("delete", alo, ahi, blo, blo)]
    if (ahi - alo) * (bhi - blo) > _SMALL:
        return [("replace", alo, ahi, blo, bhi)]
    matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
    return [
        (tag, i1 + alo, i2 + alo, j1 + blo, j2 + blo)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def _merged(ops: list[Opcode]) -> list[Opcode]:
    """Adjacent operations of one kind as one (difflib's shape: no empty or split runs)."""
    out: list[Opcode] = []
    for op in ops:
        tag, i1, i2, j1, j2 = op
        if i1 == i2 and j1 == j2:
            continue
        if out and out[-1][0] == tag and out[-1][2] == i1 and out[-1][4] == j1:
            prev = out[-1]
            out[-1] = (tag, prev[1], i2, prev[3], j2)
        else:
            out.append(op)
    return out
