"""Which suppressions one reading of a text used, for ``unused-suppression``.

A reading (one document; a List read item by item, its envelope and duplicate keys included)
registers the suppressions it judges: those that apply, whose rule runs, outside Helm-rendered
documents. The stamper marks each one that suppressed a finding; what is left unmarked once
the whole reading is stamped is unused.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from ..model.data import ObjectRef, Options
from ..rules import RULES
from ..rules.base import Rule
from ..text.documents import Document
from ..text.suppressions import Suppression

_KNOWN = frozenset(rule.ID for rule in RULES)


@dataclass
class Usage:
    """The suppressions a reading judges, with the document that holds each (its fix edits
    that document's text) and the object an annotation belongs to; and those that were used."""

    judged: Collection[str]  # the rules whose suppressions are judged
    known: Collection[str]
    written: list[tuple[Suppression, Document, ObjectRef | None]] = field(default_factory=list)
    used_comments: set[tuple[int, str]] = field(default_factory=set)  # (line, rule)
    used_annotations: set[tuple[int, int, str]] = field(default_factory=set)

    @classmethod
    def of(cls, options: Options, rules: list[Rule], unused: Rule) -> Usage | None:
        """A record for one reading, when ``unused`` (unused-suppression) runs."""
        if unused not in rules:
            return None
        judged = options.judged if options.judged is not None else {rule.ID for rule in rules}
        return cls(judged, _KNOWN)

    def register(
        self, found: Iterable[Suppression], doc: Document, obj: ObjectRef | None = None
    ) -> None:
        """Judge these suppressions, written in ``doc``."""
        if doc.helm_source:
            return  # judged in the chart's templates, where they are written
        for s in found:
            if s.applies(self.known) and s.rule in self.judged:
                self.written.append((s, doc, obj))

    def mark(self, rule: str, annotations: Iterable[Suppression], lines: Iterable[int]) -> None:
        """A finding of ``rule`` was suppressed by these annotations and the comments of
        ``rule`` on these lines: all of them are used."""
        self.used_annotations.update((s.line, s.column, s.rule) for s in annotations)
        self.used_comments.update((line, rule) for line in lines)

    def unused(self) -> list[tuple[Document, ObjectRef | None, list[Suppression]]]:
        """The unused suppressions, by the document that holds them and their object."""
        groups: dict[tuple[int, ObjectRef | None], tuple[Document, list[Suppression]]] = {}
        seen: set[tuple[int, int, str, bool]] = set()
        for s, doc, obj in self.written:
            comment = s.node is None
            if comment and (s.line, s.rule) in self.used_comments:
                continue
            if not comment and (s.line, s.column, s.rule) in self.used_annotations:
                continue
            if (s.line, s.column, s.rule, comment) in seen:
                continue  # registered twice (an annotation shared by pod templates)
            seen.add((s.line, s.column, s.rule, comment))
            groups.setdefault((id(doc), obj), (doc, []))[1].append(s)
        return [(doc, obj, found) for (_, obj), (doc, found) in groups.items()]
