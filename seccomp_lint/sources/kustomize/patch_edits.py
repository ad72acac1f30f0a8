"""In-place fixes of JSON 6902 patches and inline patches, from the fix planned on the build.

A finding the build shows may be set by a patch that is not a manifest of its own: a JSON 6902
patch (a list of operations, in a file or inline) or an inline strategic-merge patch (a block
scalar inside ``kustomization.yaml``). The rule's fix was planned on the build output as a
structural change (a path from the built object's root); here that change is carried into the
patch's own data (through the operation's ``path`` and ``value``, or the strategic-merge
document, matching list items by ``name``) and made with the same text primitives as every other
fix: a one-word change stays one word, quoting and comments are kept.

Each rewrite is verified before anything is written: the patch's new text parses to its old data
plus exactly that change; for an inline patch the kustomization's data must differ only in that
patch's text (every other byte of the kustomization is kept, so it stays byte-identical outside
the block). The caller then rebuilds and undoes what the build does not show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ...edit.edits import (
    Context,
    NoFix,
    add_entry,
    explicit,
    fill_null,
    indent_step,
    remove,
    replace_scalar,
    replace_with_flow,
)
from ...edit.splices import Rejected, apply_edits, verify
from ...model.data import Applicability, Change, ChangeOp, Edit, Fix, Pos
from ...text.documents import Document, is_null, text
from ...text.streams import DecodeError, decode
from ..adapter import Mapped
from .build import InSource
from .patches import Patch, Site, op_tokens


@dataclass
class Rewrite:
    """The new text of one file (a patch file or a kustomization) and which findings it fixes."""

    path: str
    original: bytes
    fixed: bytes
    done: list[Mapped[InSource]] = field(default_factory=list)
    declined: list[tuple[Mapped[InSource], str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


@dataclass(frozen=True)
class _Plan:
    """One finding's edits in its patch's text and its changes in the patch's data."""

    site: Site
    edits: tuple[Edit, ...]
    changes: tuple[Change, ...]


def rewrite(path: str, data: bytes, items: list[Mapped[InSource]]) -> Rewrite:
    """Fix the findings set by patches in one file (``data``: its text on disk), each added only
    if the text with it (and those before it) still verifies."""
    out = Rewrite(path, data, data)
    plans: list[tuple[Mapped[InSource], _Plan]] = []
    for m in items:
        try:
            plans.append((m, plan(m)))
        except NoFix as exc:
            out.declined.append((m, str(exc)))
    accepted: list[_Plan] = []
    for m, p in plans:
        if any(
            _where(q) == _where(p) for q in accepted
        ):  # another finding with the very same fix (one operation, many
            out.done.append(m)  # objects): it lands with it
            continue
        try:
            fixed = _apply(data, [*accepted, p])
        except (Rejected, NoFix, DecodeError, UnicodeError) as exc:
            out.declined.append((m, str(exc)))
            continue
        accepted.append(p)
        out.done.append(m)
        out.fixed = fixed
    return out


def _where(p: _Plan) -> tuple:
    site = p.site
    return (site.patch.file, site.patch.holder, site.doc, site.op, p.edits, p.changes)


def plan(m: Mapped[InSource]) -> _Plan:
    """The edits and changes that carry the build's fix of a finding into its patch."""
    site, fix, b = m.ref.site, m.rendered.fix, m.ref.built
    if site is None or b is None or fix is None or not fix.changes:
        raise NoFix("no fix to carry into the patch")
    if site.patch.inline and not site.patch.block:
        raise NoFix("the inline patch is not a literal block scalar (|)")
    doc = site.patch.docs[site.doc]
    c = Context(doc)
    edits: list[Edit] = []
    changes: list[Change] = []
    for change in fix.changes:
        if site.op is None:
            where = _merge_path(doc, b.doc, change.path)
        else:
            where = _operation_path(doc, site.op, change.path)
        for start, end, content in _change(c, where, change):
            edits.append(Edit(c.pos(start), c.pos(end), content))
        changes.append(Change(change.op, where, change.value))
    return _Plan(site, tuple(edits), tuple(changes))


def _merge_path(doc: Document, built: Document, path: tuple) -> tuple[str | int, ...]:
    """A built path in a strategic-merge patch: list items are found by their ``name``."""
    out: list[str | int] = []
    b: Node | None = built.root
    p: Node | None = doc.root
    for step in path:
        if isinstance(step, int):
            if not isinstance(b, SequenceNode) or step >= len(b.value):
                raise NoFix("the change is not in the built object")
            b = b.value[step]
            name = text(built.get(b, "name"))
            if name is None or not isinstance(p, SequenceNode):
                raise NoFix("the patch does not hold that list item")
            index = next(
                (i for i, item in enumerate(p.value) if text(doc.get(item, "name")) == name), None
            )
            if index is None:
                raise NoFix(f"the patch does not hold the list item named {name!r}")
            out.append(index)
            p = p.value[index]
        else:
            out.append(step)
            b = built.get(b, step)
            found = explicit(p, step) if isinstance(p, MappingNode) else None
            p = found[1] if found else None
    return tuple(out)


def _operation_path(doc: Document, index: int, path: tuple) -> tuple[str | int, ...]:
    """A built path inside a JSON 6902 operation's ``value``."""
    op = doc.root.value[index] if isinstance(doc.root, SequenceNode) else None
    if op is None or doc.get(op, "value") is None:
        raise NoFix("the operation has no value")
    tokens = op_tokens(doc, op)
    if len(path) < len(tokens) or [str(s) for s in path[: len(tokens)]] != tokens:
        raise NoFix("the change reaches outside the operation's value")
    return (index, "value", *path[len(tokens) :])


def _change(c: Context, path: tuple[str | int, ...], change: Change) -> list[tuple[int, int, str]]:
    """Text spans that make ``change`` at ``path`` of the document."""
    node: Node = c.doc.root
    key: Node | None = None
    new = json.loads(change.value)
    for depth, step in enumerate(path[:-1]):
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or step >= len(node.value):
                raise NoFix("the list item is not in the patch")
            node, key = node.value[step], None
            continue
        if not isinstance(node, MappingNode):
            raise NoFix(f"{step!r} is not under a mapping in the patch")
        found = explicit(node, step)
        if found is None:  # the rest of the path goes in as one nested value
            rest = path[depth + 1 :]
            if change.op != ChangeOp.SET or any(isinstance(s, int) for s in rest):
                raise NoFix("the patch lacks the place to change")
            for name in reversed(rest):
                new = {name: new}
            return add_entry(c, node, key, step, new, indent_step(node, key))
        key, node = found
    last = path[-1]
    if not isinstance(node, MappingNode) or not isinstance(last, str):
        raise NoFix("the value to change is not a mapping entry in the patch")
    found = explicit(node, last)
    if change.op == ChangeOp.DELETE:
        if found is None:
            raise NoFix(f"{last!r} is not in the patch")
        return remove(c, node, last, levels=0)[0]
    if found is None:
        if not isinstance(new, dict):
            raise NoFix(f"{last!r} is not in the patch")
        return add_entry(c, node, key, last, new, indent_step(node, key))
    k, v = found
    if is_null(v) and isinstance(new, dict):
        return fill_null(c, k, v, new, indent_step(node, key))
    if isinstance(v, ScalarNode) and isinstance(new, str):
        return replace_scalar(c, v, new)
    if isinstance(v, ScalarNode) and isinstance(new, dict):
        return replace_with_flow(c, v, new, k)
    raise NoFix(f"{last!r} is written in a form seccomp-lint does not rewrite")


def _fix(p: _Plan, edits: tuple[Edit, ...] = ()) -> Fix:
    return Fix("", Applicability.SAFE, edits or p.edits, p.changes, p.site.doc)


def _apply(data: bytes, plans: list[_Plan]) -> bytes:
    """The file's new text with every plan's edits, verified; Rejected otherwise."""
    raw, encoding, bom = decode(data)
    body = raw.decode("utf-8")
    first = plans[0].site.patch
    if not first.inline:
        new = apply_edits(body, [e for p in plans for e in p.edits])
        verify(body, new, [_fix(p) for p in plans], first.is_json)
        return bom + new.encode(encoding)
    # Inline patches: each patch's value is fixed and verified as a text of its own, then the
    # edits are moved into the kustomization, where only those patches' text may change.
    nl = "\r\n" if "\r\n" in body else "\n"
    by_patch: dict[tuple, list[_Plan]] = {}
    for p in plans:
        by_patch.setdefault(p.site.patch.holder, []).append(p)
    outer: list[Edit] = []
    holders: list[Change] = []
    for group in by_patch.values():
        patch = group[0].site.patch
        value = patch.data.decode("utf-8")
        fixed = apply_edits(value, [e for p in group for e in p.edits])
        verify(value, fixed, [_fix(p) for p in group], False)
        outer.extend(_moved(patch, e, nl) for p in group for e in p.edits)
        holders.append(Change(ChangeOp.SET, patch.holder, json.dumps(fixed)))
    new = apply_edits(body, outer)
    verify(body, new, [Fix("", Applicability.SAFE, tuple(outer), tuple(holders))], False)
    return bom + new.encode(encoding)


def _moved(patch: Patch, e: Edit, nl: str) -> Edit:
    """An edit of an inline patch's text as an edit of the kustomization holding it."""
    pad = " " * patch.column_shift
    content = e.content.replace("\r\n", "\n").replace("\n", nl + pad)

    def at(p: Pos) -> Pos:
        return Pos(p.line + patch.line_shift, p.column + patch.column_shift)

    return Edit(at(e.start), at(e.end), content)
