"""Suppressions as written: ``ignore-check.seccomp-lint.io/<rule-id>: "<reason>"`` annotations
on an object (or its pod template) and ``# seccomp-lint: ignore[<rule-id>, ...] <reason>``
comments on a finding's line or the line above it.

Only a suppression that names a known rule and gives a reason applies; the others are reported
(``invalid-suppression``) and the finding they meant stays.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from yaml.nodes import Node

from .documents import Document, text

ANNOTATION = "ignore-check.seccomp-lint.io/"
_COMMENT = re.compile(rb"#\s*seccomp-lint:\s*ignore\[([^\]]*)\]([^\r\n]*)")


@dataclass(frozen=True)
class Suppression:
    """One rule id a suppression names, the reason it gives, and where it is written."""

    rule: str
    reason: str
    line: int  # 1-based, in the file
    column: int
    node: Node | None = None  # the annotation key (None for a comment)

    def applies(self, known: Collection[str]) -> bool:
        """Whether it names a known rule and says why."""
        return self.rule in known and bool(self.reason.strip())


def from_comments(data: bytes, line_offset: int) -> list[Suppression]:
    """The ``# seccomp-lint: ignore[...]`` comments of a document's text."""
    if b"seccomp-lint:" not in data:
        return []
    out = []
    for number, line in enumerate(data.splitlines(), start=line_offset + 1):
        match = _COMMENT.search(line)
        if match is None:
            continue
        reason = match.group(2).decode("utf-8", "replace").strip()
        column = len(line[: match.start()].decode("utf-8", "replace")) + 1
        for rule in match.group(1).decode("utf-8", "replace").split(","):
            out.append(Suppression(rule.strip(), reason, number, column))
    return out


def from_annotations(doc: Document, owners: Iterable[Node | None]) -> Iterator[Suppression]:
    """The suppression annotations of objects (or pod templates)."""
    for owner in owners:
        if owner is None:
            continue
        meta = doc.get(owner, "metadata") if doc.entry(owner, "metadata") else owner
        for key, (key_node, value) in (doc.mapping(doc.get(meta, "annotations")) or {}).items():
            if key.startswith(ANNOTATION):
                line, column = doc.pos(key_node)
                reason = text(value) or ""
                yield Suppression(key[len(ANNOTATION) :], reason, line, column, key_node)


def by_line(found: Iterable[Suppression], known: Collection[str]) -> dict[int, set[str]]:
    """The rule ids that apply, by the line they are written on."""
    out: dict[int, set[str]] = {}
    for s in found:
        if s.applies(known):
            out.setdefault(s.line, set()).add(s.rule)
    return out
