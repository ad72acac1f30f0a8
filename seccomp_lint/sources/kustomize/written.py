"""Where a Kustomize build's unused suppressions are written in its source files: an
annotation the build output shows, found in the resource file of its object (or in the
``commonAnnotations`` of a kustomization on its way), and the suppression comments of a file.
"""

from __future__ import annotations

import re

from ...model.data import Finding
from ...rules import UNUSED
from ...rules.unused_suppression import unused_rules
from ...text.suppressions import ANNOTATION
from .identity import SourceFile, SourceObject
from .origin import Built


def source_finding(
    f: Finding, b: Built, obj: SourceObject | None, path: str, source: SourceFile
) -> Finding | None:
    """The resource file's finding that is the built one (:meth:`SourceFile.finding`); of two
    unused annotations naming one rule (the object's and its pod template's), the one written
    where the built one is."""
    src = source.finding(f, obj) if obj is not None else None
    if src is None or f.rule != UNUSED.ID or src.object is None:
        return src
    spot = annotation_written(f, b, obj, path, source)
    same = source.by_identity.get(src.identity, [])
    return next((s for s in same if spot and (path, s.line, s.column) == spot), src)


def annotation_written(
    f: Finding, b: Built, obj: SourceObject | None, path: str, source: SourceFile
) -> tuple[str, int, int] | None:
    """Where the annotation an unused-suppression finding is about is written, which is where
    it is reported: in its object's resource file (between the object's first line and the next
    object's), else in the ``commonAnnotations`` of a kustomization on its way (file, line and
    column, 1-based); None for another finding, or one a patch writes (found at the patch)."""
    if f.rule != UNUSED.ID or len(rules := unused_rules(f)) != 1:
        return None
    key = re.compile(rf"""(["']?){re.escape(ANNOTATION + rules[0])}\1\s*:""")
    objects = [o for found in source.objects.values() for o in found if o != obj]
    if obj is not None and all(o.line != obj.line for o in objects):  # (not a minified List)
        later = min((o.line for o in objects if o.line > obj.line), default=None)
        # The object's annotations and its pod template's may name one rule: the built one's
        # place (in the object's own metadata or not, and how many such come before it) says
        # which of the file's it is; none, where a patch added it at the other.
        built = b.chunk.data.decode("utf-8", "replace").splitlines()
        at = f.line - b.chunk.line  # (1-based, in the chunk)
        mine = [(n, own) for n, _, own in _matches(built, 1, None, key)]
        outer = next((own for n, own in mine if n == at), None)
        earlier = sum(1 for n, own in mine if n < at and own == outer)
        try:
            with open(path, encoding="utf-8-sig", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
        written = [(n, c) for n, c, own in _matches(lines, obj.line, later, key) if own == outer]
        if outer is not None and earlier < len(written):
            return path, *written[earlier]
    for step in reversed(b.origin.steps):
        if step.kind == "AnnotationsTransformer":
            block = _top_key_block(step.configured_in, "commonAnnotations")
            spot = _key_in(step.configured_in, key, *block) if block else None
            if spot is not None:  # (in its commonAnnotations, not elsewhere in the file)
                return step.configured_in, *spot
    return None


def _top_key_block(path: str, name: str) -> tuple[int, int] | None:
    """The lines of a top-level key's block: its own, up to the next top-level key's."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    first = next((n for n, t in enumerate(lines, 1) if t.startswith(f"{name}:")), None)
    if first is None:
        return None
    top = (
        n for n in range(first + 1, len(lines) + 1) if lines[n - 1][:1] not in ("", " ", "\t", "#")
    )
    return first, next(top, len(lines) + 1)


def _key_in(path: str, key: re.Pattern, first: int, end: int | None) -> tuple[int, int] | None:
    """The first line from ``first`` (up to ``end``, or the next document) where ``key`` is
    written, and its column."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    found = _matches(lines, first, end, key)
    return (found[0][0], found[0][1]) if found else None


def _matches(
    lines: list[str], first: int, end: int | None, key: re.Pattern
) -> list[tuple[int, int, bool]]:
    """Each line from ``first`` (up to ``end``, or the next document) where ``key`` is written:
    its number, column, and whether it is in the object's own ``metadata:`` (the shallowest
    one there), not a pod template's."""
    stop = min(end or len(lines) + 1, len(lines) + 1)
    span = range(max(first, 1), stop)
    span = range(
        span.start, next((n for n in span if n > first and lines[n - 1].startswith("---")), stop)
    )
    heads = [(_indent(lines[n - 1]), n) for n in span if _META.match(lines[n - 1])]
    own = range(0)
    if heads:
        depth, head = min(heads)
        after = (n for n in range(head + 1, span.stop) if _ends_block(lines[n - 1], depth))
        own = range(head, next(after, span.stop))
    out = []
    for n in span:
        found = _key_at(key, lines[n - 1])
        if found is not None:
            out.append((n, found.start() + 1, n in own))
    return out


_META = re.compile(r"^\s*(?:- )?metadata\s*:")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" -"))


def _ends_block(line: str, depth: int) -> bool:
    """Whether a line starts what follows a block whose key is at ``depth``."""
    text = line.strip()
    return bool(text) and not text.startswith("#") and _indent(line) <= depth


def _key_at(key: re.Pattern, line: str) -> re.Match | None:
    found = key.search(line)
    return found if found and "#" not in line[: found.start()] else None  # (not a comment)


def mentions(path: str, marker: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return marker in handle.read()
    except OSError:
        return False


def comment_at(path: str, f: Finding) -> bool:
    """Whether a finding of a file is at a comment (``#``) of that file."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if number == f.line:
                    return line[f.column - 1 : f.column] == "#"
    except OSError:
        pass
    return False
