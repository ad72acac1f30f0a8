"""A built object's source object: its kind, namespace and name as its resource file has them.

Kustomize renames on the way. Each kustomization a resource passes through may add a
``namePrefix``/``nameSuffix`` (or a ``PrefixSuffixTransformer`` in its ``transformers:``), and a
``namespace:`` moves it to that namespace. The transformations annotation lists those steps in
the order they ran, each with the file that configures it (:mod:`.origin`). Undoing them from
the last gives every name the object had on the way (a step is undone only where the name shows
it: ``namePrefix`` leaves some kinds alone), and the first of them, most undone first, that names
an object of the kind in the resource file is the source: in the built namespace, unless a
``namespace:`` step moved it. Patches match any of these names, as kustomize's do.

Each resource file is linted and indexed once per build (:class:`SourceFile`): its objects by
kind and name, its findings by identity, so that mapping a build's findings is linear in them.
The objects are read from the documents the lint composes (:func:`lint_resource`), not from a
second reading of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ...lint.linter import FileResult, lint_bytes
from ...lint.result import Shares
from ...model.data import Finding, Identity, Options
from ...model.workloads import typed_objects
from ...text.documents import Document, compose, parse_stream, text
from ...text.prefilter import escaped
from ...text.streams import chunks
from .origin import NAMESPACE_TRANSFORMER, Built, Transformation, document_head
from .unchanged import Linted

# Kustomize's transformers that rename, and the keys that configure them: in a kustomization
# (or a Component), and in a PrefixSuffixTransformer's own configuration.
_RENAMING: dict[str, tuple[str | None, str | None]] = {
    "PrefixTransformer": ("namePrefix", None),
    "SuffixTransformer": (None, "nameSuffix"),
    "PrefixSuffixTransformer": ("prefix", "suffix"),
}
# Bounds the names tried when many steps each may or may not have renamed an object.
_MAX_NAMES = 64


@dataclass(frozen=True)
class SourceObject:
    """An object of a resource file: kind, namespace, name and the line it starts on."""

    kind: str
    namespace: str | None
    name: str | None
    line: int
    # its document's index, when it is the document's one object (not part of its identity)
    document: int = field(default=-1, compare=False)


@dataclass
class SourceFile:
    """A resource file linted once: its findings, its objects by (kind, name), its findings by
    identity."""

    findings: list[Finding]
    objects: dict[tuple[str, str | None], list[SourceObject]] = field(default_factory=dict)
    by_identity: dict[Identity, list[Finding]] = field(default_factory=dict)
    # Each one-document chunk as linted, by document index (:mod:`.unchanged`), when the file
    # was linted so.
    documents: dict[int, Linted] = field(default_factory=dict)
    _first: dict[tuple[Identity, str], Finding] | None = None
    # Chunks the lint did not compose (a Service the pre-filter passed over, a List read item
    # by item), ``(data, line, document index)``: read for their objects once a lookup asks for
    # a kind their text could spell (:meth:`_read_kind`).
    _unread: list[tuple[bytes, int, int]] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        findings: list[Finding],
        data: bytes,
        documents: dict[int, Linted] | None = None,
        objects: Iterable[SourceObject] | None = None,
        unread: list[tuple[bytes, int, int]] | None = None,
    ) -> SourceFile:
        """Index a linted file's findings and its objects (read from ``data`` unless given;
        ``unread``: chunks whose objects are read when asked for)."""
        out = cls(findings, documents=documents or {}, _unread=unread or [])
        for obj in _objects(data) if objects is None else objects:
            out.objects.setdefault((obj.kind, obj.name), []).append(obj)
        for f in findings:
            out.by_identity.setdefault(f.identity, []).append(f)
        return out

    def source_object(self, b: Built, names: list[str]) -> SourceObject | None:
        """The object ``b`` was built from: the first of its ``names`` along the way (most
        undone first) that names an object of its kind here; else the object of the kind whose
        name is the longest part of the built name (a rename no step says, as a patch of
        ``/metadata/name`` makes)."""
        if b.kind is None:
            return None
        if self._unread:
            self._read_kind(b.kind)
        moved = b.origin.renamespaced
        for name in names:
            found = _pick(self.objects.get((b.kind, name), []), b.namespace, moved)
            if found is not None:
                return found
        built = b.name or ""
        for length in range(len(built) - 1, 0, -1):
            for start in range(len(built) - length + 1):
                part = built[start : start + length]
                found = _pick(self.objects.get((b.kind, part), []), b.namespace, moved)
                if found is not None:
                    return found
        return None

    def _read_kind(self, kind: str) -> None:
        """The objects of the chunks not read yet whose text spells ``kind`` or could (an
        escape), indexed where reading every chunk would put them (in file order)."""
        word = kind.encode()
        left, added = [], set()
        for data, line, index in self._unread:
            if word not in data and not escaped(data):
                left.append((data, line, index))
                continue
            for obj in _objects(data, line, index, own=False):
                key = (obj.kind, obj.name)
                self.objects.setdefault(key, []).append(obj)
                added.add(key)
        self._unread = left
        for key in added:
            self.objects[key].sort(key=lambda obj: obj.line)

    @property
    def first(self) -> dict[tuple[Identity, str], Finding]:
        """The first finding of each identity and message: the one :meth:`finding` gives."""
        if self._first is None:
            self._first = {}
            for f in self.findings:
                self._first.setdefault((f.identity, f.message), f)
        return self._first

    def finding(self, built: Finding, obj: SourceObject) -> Finding | None:
        """This file's finding that is the built one: the same identity once the object is
        its source object; the same message breaks a tie."""
        want = built.identity._replace(kind=obj.kind, namespace=obj.namespace, name=obj.name)
        same = self.by_identity.get(want, [])
        exact = [src for src in same if src.message == built.message]
        found = exact or same
        return found[0] if found else None


def lint_resource(data: bytes, shown: str, options: Options) -> tuple[FileResult, SourceFile]:
    """A UTF-8 resource file (no byte-order mark, not JSON) linted whole, and indexed: its
    objects read from the documents the lint composed (a chunk it did not compose whole, a List
    read item by item say, is composed again here), and each one-document chunk's share of the
    findings and pod templates by document index (:class:`~.unchanged.Linted`): exactly what
    linting it gives, since the linter reads each chunk on its own."""
    shares = Shares(_document_objects)
    result = lint_bytes(data, shown, options, shares=shares)
    if result.unrendered:  # (skipped whole: no shares)
        return result, SourceFile.of(result.findings, data)
    documents: dict[int, Linted] = {}
    objects: list[SourceObject] = []
    unread: list[tuple[bytes, int, int]] = []
    ends = [(s.index, s.findings, s.pods) for s in shares.chunks[1:]]
    ends.append((result.documents, len(result.findings), result.pods))
    for share, (index, found, pods) in zip(shares.chunks, ends):
        if share.kept:
            objects += [obj for kept in share.kept for obj in kept]
        else:  # (not composed by the lint: read when asked for, see SourceFile._read_kind)
            unread.append((share.chunk.data, share.chunk.line, share.index))
        if index == share.index + 1:
            mine = result.findings[share.findings : found]
            documents[share.index] = Linted(share.chunk, mine, pods - share.pods)
    return result, SourceFile.of(result.findings, data, documents, objects, unread)


def _document_objects(doc: Document) -> list[SourceObject]:
    """The objects of a composed document; one that is the document's only object knows its
    document's index."""
    root = doc.root
    found = typed_objects(doc)
    own = len(found) == 1 and found[0][0] is root and not found[0][1].endswith("List")
    out = []
    for node, kind in found:
        meta = doc.get(node, "metadata")
        name, namespace = text(doc.get(meta, "name")), text(doc.get(meta, "namespace"))
        out.append(SourceObject(kind, namespace, name, doc.pos(node)[0], doc.index if own else -1))
    return out


def _objects(
    data: bytes, line: int = 0, index: int = 0, own: bool = True
) -> Iterator[SourceObject]:
    """Every object of a file (or of a part of it, from its ``line`` and document ``index``),
    as :func:`~...model.workloads.typed_objects` finds them: from the ``metadata:`` block of a
    document in plain block style, else from the whole document composed again (a List, flow
    style, …). Without ``own``, none knows its document's index (a chunk the lint did not
    compose: no index the shortcut could trust)."""
    for chunk in chunks(data, line):
        head = document_head(chunk, index)
        if head is not None and head.versioned and not head.kind.endswith("List"):
            index += 1
            doc = head.metadata
            meta = doc.get(doc.root, "metadata")
            name, namespace = text(doc.get(meta, "name")), text(doc.get(meta, "namespace"))
            yield SourceObject(head.kind, namespace, name, head.line, index - 1 if own else -1)
            continue
        for item in compose(chunk, index):
            index += 1
            if isinstance(item, Document):
                for node, kind in typed_objects(item):
                    meta = item.get(node, "metadata")
                    name = text(item.get(meta, "name"))
                    yield SourceObject(
                        kind, text(item.get(meta, "namespace")), name, item.pos(node)[0]
                    )


def _pick(objects: list[SourceObject], namespace: str | None, moved: bool) -> SourceObject | None:
    """The one in ``namespace``, unless a ``namespace:`` step moved the object (the namespace
    it was built into then says nothing of the one it came from); else the only one with the
    name. None when several could be it (a namespace step moved one of them, the others deleted
    by a patch): taking one would map the finding to another object, its suppressions too."""
    if not moved:
        for obj in objects:
            if obj.namespace == namespace:
                return obj
    return objects[0] if len(objects) == 1 else None


class Renames:
    """The prefix and suffix each renaming step adds, read once per configuring file."""

    def __init__(self) -> None:
        self._docs: dict[str, list[Document]] = {}

    def _read(self, path: str) -> list[Document]:
        docs = self._docs.get(path)
        if docs is None:
            try:
                with open(path, "rb") as handle:
                    docs = parse_stream(handle.read())
            except OSError:
                docs = []
            self._docs[path] = docs
        return docs

    def namespaces(self, b: Built) -> set[str | None]:
        """The namespaces ``namespace:`` steps moved ``b`` to on the way (each step's
        kustomization says which)."""
        out: set[str | None] = set()
        for step in b.origin.steps:
            if step.kind == NAMESPACE_TRANSFORMER:
                docs = self._read(step.configured_in)
                out |= {text(d.get(d.root, "namespace")) for d in docs[:1]}
        return out

    def affixes(self, step: Transformation) -> tuple[str, str]:
        """(prefix, suffix) the step adds to names; empty strings where it adds none."""
        keys = _RENAMING.get(step.kind)
        if keys is None:
            return "", ""
        for doc in self._read(step.configured_in):
            root = doc.root
            if step.kind == "PrefixSuffixTransformer":
                if text(doc.get(root, "kind")) != step.kind:
                    continue
                if step.name is not None and text(doc.get(root, "metadata", "name")) != step.name:
                    continue
            prefix, suffix = keys
            return (
                (text(doc.get(root, prefix)) or "") if prefix else "",
                (text(doc.get(root, suffix)) or "") if suffix else "",
            )
        return "", ""

    def names(self, b: Built) -> list[str]:
        """Every name ``b`` had on the way, most undone first (its built name last)."""
        if b.name is None:
            return []
        if not b.origin.steps:
            return [b.name]
        names = [(b.name, 0)]
        for step in reversed(b.origin.steps):
            prefix, suffix = self.affixes(step)
            if not (prefix or suffix):
                continue
            grown = []
            for name, undone in names:
                shows = name.startswith(prefix) and name.endswith(suffix)
                if shows and len(name) > len(prefix) + len(suffix):
                    grown.append((name[len(prefix) : len(name) - len(suffix)], undone + 1))
                grown.append((name, undone))
            names = grown[:_MAX_NAMES]
        ordered = sorted(names, key=lambda pair: -pair[1])
        return list(dict.fromkeys(name for name, _ in ordered))
