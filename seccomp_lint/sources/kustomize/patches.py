"""The patches of a kustomization, and where in them a built object's field was set.

Kustomize applies a kustomization's patches in order: ``patchesStrategicMerge`` (file paths or
inline text), ``patchesJson6902`` and ``patches`` (each item a ``path:`` to a file or an inline
``patch:``, with an optional ``target``). :func:`find_site` follows an offending field's path
from the last patch applied to the first and returns the :class:`Site` that set it: the patch,
the document in it, the JSON 6902 operation (if it is one) and the line and column in the file
(for an inline patch: in the kustomization, inside its block scalar).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from yaml.nodes import Node, ScalarNode, SequenceNode

from ...edit.geometry import EDITOR_BREAK
from ...text.documents import Document, parse_stream, text
from ...text.errors import ToolContractError
from ...text.paths import Step, follow, node_path
from ...text.streams import json_file

# A name with one of these is matched as a regular expression (kustomize's targets are).
_REGEX = re.compile(r"[\\^$.*+?()\[\]{}|]")
# One requirement of a label selector: ``key``, ``!key``, ``key=v``, ``key==v``, ``key!=v``,
# ``key in (a, b)``, ``key notin (a, b)``.
_REQUIREMENT = re.compile(
    r"\s*(?:(!)\s*([\w./-]+)|([\w./-]+)\s*(?:(==?|!=)\s*([\w./-]*)"
    r"|\s(in|notin)\s*\(([^()]*)\))?)\s*(?:,|$)"
)


@dataclass(frozen=True)
class Patch:
    """One patch of a kustomization: its documents and where their lines are in a file."""

    file: str
    docs: list[Document]
    target: dict | None
    line_shift: int = 0  # for an inline patch: the kustomization line before its text
    column_shift: int = 0
    inline: bool = False  # written inside the kustomization, not a file of its own
    data: bytes = b""  # the patch's own text (an inline patch's value)
    # An inline patch: the path to its scalar in the kustomization's data, and whether its
    # lines map to the kustomization's (a literal block scalar, ``|`` or ``|-``).
    holder: tuple[str | int, ...] = ()
    block: bool = False

    @property
    def is_json(self) -> bool:
        return not self.inline and json_file(self.file)

    @property
    def operations(self) -> bool:
        """Whether this is a JSON 6902 patch (a list of operations)."""
        return any(isinstance(doc.root, SequenceNode) for doc in self.docs)


@dataclass(frozen=True)
class Site:
    """Where a patch sets a field of a built object."""

    patch: Patch
    doc: int  # index of the document in ``patch.docs``
    op: int | None  # index of the JSON 6902 operation, None for a strategic-merge patch
    line: int  # 1-based, in ``patch.file``
    column: int


def pointer(steps: list[Step]) -> list[str]:
    """The steps as JSON pointer tokens."""
    return [str(s[0]) for s in steps]


def op_tokens(doc: Document, op: Node) -> list[str]:
    """A JSON 6902 operation's ``path`` as unescaped tokens."""
    raw = text(doc.get(op, "path")) or ""
    return [t.replace("~1", "/").replace("~0", "~") for t in raw.split("/")[1:]]


@dataclass
class Patches:
    """A kustomization's patches in the order kustomize applies them, each document indexed by
    the object name it targets, so that finding a built object's patches does not read them all.
    """

    items: list[Patch]
    # name -> (patch, document) of the patches whose target or document names it
    named: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # those that may match any name: no name, or a regular expression
    loose: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def of(cls, kustomization: str) -> Patches:
        """Read and index the patches of a kustomization (none when it cannot be read)."""
        out = cls(list(patches_of(kustomization)))
        for i, patch in enumerate(out.items):
            for j, doc in enumerate(patch.docs):
                if patch.target is not None:
                    name = patch.target.get("name")
                elif isinstance(doc.root, SequenceNode):
                    name = None
                else:
                    name = text(doc.get(doc.root, "metadata", "name"))
                if name is None or _REGEX.search(name):
                    out.loose.append((i, j))
                else:
                    out.named.setdefault(name, []).append((i, j))
        return out

    def candidates(self, names: list[str]) -> list[tuple[int, int]]:
        """The (patch, document) pairs that may touch an object with one of ``names``: the
        last patch first, its documents in order (as kustomize's last word wins)."""
        found = set(self.loose)
        for name in names:
            found.update(self.named.get(name, ()))
        return sorted(found, key=lambda pair: (-pair[0], pair[1]))


def find_site(
    applied: list[Patches],
    built: Document,
    line: int,
    column: int,
    kind: str | None,
    names: list[str],
    namespaces: frozenset[str | None] = frozenset(),
) -> Site | None:
    """The patch that set the field at (line, column) of a built object, the last applied
    first; ``applied``: the patches of each kustomization that patched it, in order;
    ``names``: every name the object had on the way; ``namespaces``: the namespaces it is
    known to have had (its resource file's, the built one; empty: any). A patch is taken only
    where kustomize would apply it to the object: its target's kind, name, namespace and label
    and annotation selectors (read on the built object), or a strategic-merge document's kind,
    name and namespace."""
    steps = node_path(built, line, column)
    if not steps:
        return None
    seen = frozenset(_effective(n) for n in namespaces)
    for patches in reversed(applied):
        for i, j in patches.candidates(names):
            patch = patches.items[i]
            if not _selects(patch.target, built, seen):
                continue
            found = _locate(patch, j, steps, kind, names, seen)
            if found is not None:
                op, (row, col) = found
                return Site(patch, j, op, row + patch.line_shift, col + patch.column_shift)
    return None


def patches_of(kustomization: str) -> Iterator[Patch]:
    """Every patch a kustomization applies, in the order kustomize applies them."""
    try:
        with open(kustomization, "rb") as handle:
            data = handle.read()
    except OSError:
        return
    docs = parse_stream(data)
    if not docs:
        return
    doc = docs[0]
    base = os.path.dirname(kustomization)
    # Lines as editors count them (the positions of ``doc.pos``): not str.splitlines, which
    # also breaks at NEL, LS and PS, and would take a line after one for the next.
    lines = EDITOR_BREAK.split(data.decode("utf-8", "replace"))
    for field_name in ("patchesStrategicMerge", "patchesJson6902", "patches"):
        seq = doc.get(doc.root, field_name)
        if not isinstance(seq, SequenceNode):
            continue
        for i, item in enumerate(seq.value):
            if isinstance(item, ScalarNode):  # patchesStrategicMerge: a path or inline text
                yield from _patch_from(base, kustomization, doc, item, None, lines, (field_name, i))
                continue
            target = _plain(doc, doc.get(item, "target"))
            body, key = doc.get(item, "path"), "path"
            if body is None:
                body, key = doc.get(item, "patch"), "patch"
            if isinstance(body, ScalarNode):
                yield from _patch_from(
                    base, kustomization, doc, body, target, lines, (field_name, i, key)
                )


def _patch_from(
    base: str,
    kustomization: str,
    doc: Document,
    node: ScalarNode,
    target,
    lines: list[str],
    holder: tuple[str | int, ...],
) -> Iterator[Patch]:
    value = node.value
    if "\n" not in value and not value.lstrip().startswith(("{", "[", "-")):
        path = os.path.normpath(os.path.join(base, value))
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return
        yield Patch(path, parse_stream(data), target, data=data)
        return
    shift, indent = doc.pos(node)[0], 0
    data = value.encode()
    if node.style == "|" and shift < len(lines):
        body = lines[shift] if shift < len(lines) else ""
        indent = len(body) - len(body.lstrip(" "))
        yield Patch(
            kustomization, parse_stream(data), target, shift, indent, True, data, holder, True
        )
    else:  # another scalar style: the lines do not map, so point at the patch itself
        yield Patch(kustomization, parse_stream(data), target, 0, 0, True, data, holder)


def _plain(doc: Document, node: Node | None):
    if node is None:
        return None
    entries = doc.mapping(node) or {}
    return {k: text(v) for k, (_, v) in entries.items()}


def _name_matches(pattern: str | None, names: list[str]) -> bool:
    """Whether a patch's name (a target's may be a regular expression) names the object."""
    if pattern is None:
        return True
    if pattern in names:
        return True
    if not _REGEX.search(pattern):
        return False
    try:
        return any(re.fullmatch(pattern, n) for n in names)
    except re.error:
        return False


def _effective(namespace: str | None) -> str:
    """A namespace as kustomize compares them: none is ``default``."""
    return namespace or "default"


def _selects(target: dict | None, built: Document, namespaces: frozenset[str]) -> bool:
    """Whether a patch's target, beyond kind and name, may select the object: its namespace,
    and its label and annotation selectors read on the built object (a selector this does not
    read selects nothing: the finding then stays at the kustomization's patches)."""
    if not target:
        return True
    if target.get("namespace") and namespaces and _effective(target["namespace"]) not in namespaces:
        return False
    for key, field_name in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(key)
        if selector is None:
            continue
        meta = built.get(built.root, "metadata", field_name)
        entries = built.mapping(meta) or {} if meta is not None else {}
        have = {k: text(v) for k, (_, v) in entries.items()}
        if not _matches(selector, have):
            return False
    return True


def _matches(selector: str, have: dict[str, str | None]) -> bool:
    """Whether labels (or annotations) satisfy a Kubernetes selector; False for one this does
    not parse."""
    at = 0
    while at < len(selector):
        found = _REQUIREMENT.match(selector, at)
        if found is None or found.end() == at:
            return False
        at = found.end()
        bang, absent, key, op, value, set_op, values = found.groups()
        if bang:
            ok = absent not in have
        elif op in ("=", "=="):
            ok = have.get(key) == value and key in have
        elif op == "!=":
            ok = have.get(key) != value
        elif set_op:
            listed = {v.strip() for v in values.split(",")}
            ok = (key in have and have[key] in listed) == (set_op == "in")
        else:
            ok = key in have
        if not ok:
            return False
    return True


def _locate(
    patch: Patch,
    index: int,
    steps: list[Step],
    kind: str | None,
    names: list[str],
    namespaces: frozenset[str] = frozenset(),
) -> tuple[int | None, tuple[int, int]] | None:
    """(operation, (line, column)) of the offending field in one document of a patch."""
    target = patch.target or {}
    if target.get("kind") not in (None, kind):
        return None
    if not _name_matches(target.get("name"), names):
        return None
    doc = patch.docs[index]
    root = doc.root
    if isinstance(root, SequenceNode):  # JSON 6902 operations
        return _locate_ops(doc, root, steps)
    if not patch.target:
        name = text(doc.get(root, "metadata", "name"))
        if text(doc.get(root, "kind")) != kind or not _name_matches(name, names):
            return None
        namespace = _effective(text(doc.get(root, "metadata", "namespace")))
        if namespaces and namespace not in namespaces:
            return None  # (a document without one patches the default namespace's object)
    got = follow(doc, root, steps)
    if got and got[1] == len(steps):
        return None, doc.pos(got[0])
    return None


def _locate_ops(doc: Document, ops: SequenceNode, steps: list[Step]):
    want = pointer(steps)
    for index in reversed(range(len(ops.value))):
        op = ops.value[index]
        if text(doc.get(op, "op")) not in ("add", "replace", "copy", "move"):
            continue
        tokens = op_tokens(doc, op)
        if tokens != want[: len(tokens)]:
            continue
        value = doc.get(op, "value")
        rest = steps[len(tokens) :]
        if value is not None and rest:
            got = follow(doc, value, rest)
            if got and got[1] == len(rest):
                return index, doc.pos(got[0])
        entry = doc.entry(op, "value") or doc.entry(op, "path")
        if entry is None:
            raise ToolContractError("kustomize applied a JSON 6902 operation that has no path")
        return index, doc.pos(entry[0])
    return None
