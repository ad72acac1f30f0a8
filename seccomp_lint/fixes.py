"""Fixes: text edits computed from parse positions, applied to the original text, then verified.

A fix never re-dumps a document. Each edit splices new text between two positions of the
original, so every byte outside the edits (comments, quoting, blank lines, ``---``, CRLF, a BOM)
stays as it was, and inserted lines copy the indentation of the mapping they go into. Each fix
also states its intended change structurally (set or delete the value at a path), so ``--fix``
can re-parse the result and prove the data changed by exactly that much before it writes.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import accumulate
from typing import BinaryIO, TextIO

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .documents import (
    MAX_DEPTH,
    MERGE,
    STR,
    DecodeError,
    Document,
    decode,
    is_null,
    text,
    too_deep,
)
from .model import Edit, Finding, Fix, Options, Pos
from .seccomp import CONTAINER_ANNOTATION, POD_ANNOTATION, Setting, read_annotation, same_profile
from .workloads import PodTemplate

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

SAFE, UNSAFE = "safe", "unsafe"
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
# Enough for every fix of one pod template to land one after the other.
MAX_ROUNDS = 12
# Line breaks as libyaml counts them, so (line, column) marks map to offsets.
_BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
_BLANK_REST = re.compile(r"[ \t]*(?:#.*)?\Z")
_KEY_LINE_REST = re.compile(r"[ \t]*:[ \t]*(?:#.*)?\Z")
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*\Z")


@dataclass(frozen=True)
class Change:
    """The intended change to a document's data: set (JSON ``value``) or delete at ``path``."""

    op: str  # "set" | "delete"
    path: tuple[str | int, ...]
    value: str = "null"


@dataclass(frozen=True)
class PlannedFix(Fix):
    """A fix with what ``--fix`` needs to apply and verify it."""

    document: int = 0
    scope: tuple = ()  # the pod template it touches: one fix per scope per round
    changes: tuple[Change, ...] = ()


class NoFix(Exception):
    """This shape is not fixed automatically."""


@dataclass
class _Plan:
    description: str
    applicability: str
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def add(self, edits: list[tuple[int, int, str]], changes: list[Change]) -> None:
        self.edits += edits
        self.changes += changes


# --------------------------------------------------------------------------- document geometry


class _Ctx:
    """One document's text, line table and node paths, built once per document on demand."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = text = doc.text.decode("utf-8")
        if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
            self.starts = [0]
            self.ends: list[int] = []
            for match in _BREAK.finditer(text):
                self.ends.append(match.start())
                self.starts.append(match.end())
            self.ends.append(len(text))
            first = _BREAK.search(text)
            self.nl = first.group() if first and first.group() in ("\r\n", "\r") else "\n"
        else:  # only \n breaks (nearly every file): line table from str.split, in C
            widths = map((1).__add__, map(len, text.split("\n")))  # each line and its \n
            self.starts = list(accumulate(widths, initial=0))
            self.starts.pop()
            self.ends = [start - 1 for start in self.starts[1:]]
            self.ends.append(len(text))
            self.nl = "\n"
        self._parents: dict[int, tuple[Node, str | int | None, Node | None]] | None = None
        self._key_owner: dict[int, Node] = {}
        self._ambiguous: set[int] = set()

    # positions
    def off(self, line: int, column: int) -> int:
        return self.starts[line] + column

    def start(self, node: Node) -> int:
        return self.off(node.start_mark.line, node.start_mark.column)

    def end(self, node: Node) -> int:
        return self.off(node.end_mark.line, node.end_mark.column)

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def rest(self, offset: int) -> str:
        return self.text[offset : self.ends[self.line_of(offset)]]

    def own_line(self, node: Node) -> bool:
        """Whether only blanks precede the node on its line."""
        line = node.start_mark.line
        return self.text[self.starts[line] : self.start(node)].strip(" ") == ""

    def pos(self, offset: int) -> Pos:
        line = self.line_of(offset)
        return Pos(line + self.doc.line_offset + 1, offset - self.starts[line] + 1)

    def after_line(self, line: int, block: str) -> tuple[int, int, str]:
        """Insert whole lines (``block`` ends with a break) after ``line``."""
        if line + 1 < len(self.starts):
            at = self.starts[line + 1]
            return at, at, block
        at = len(self.text)  # the last line has no break: keep it that way
        return at, at, self.nl + block[: -len(self.nl)]

    # paths
    def _index(self) -> None:
        # One walk of the document (inlined: it visits every node of every document with a fix).
        root = self.doc.root
        # The root's entry marks it seen (an alias of it is ambiguous); it is dropped at the end.
        parents: dict[int, tuple[Node, str | int | None, Node | None]] = {
            id(root): (root, None, None)
        }
        key_owner = self._key_owner
        ambiguous = self._ambiguous
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, MappingNode):
                names: dict[str, Node] = {}
                for key, value in node.value:
                    key_owner[id(key)] = node
                    step = key.value if key.tag == STR and isinstance(key, ScalarNode) else None
                    if step is not None:
                        if step in names:
                            ambiguous.update((id(value), id(names[step])))
                        names[step] = value
                    if id(value) in parents:
                        ambiguous.add(id(value))  # an alias: one node, several places
                        continue
                    parents[id(value)] = (node, step, key)
                    if not isinstance(value, ScalarNode):
                        stack.append(value)
            elif isinstance(node, SequenceNode):
                for i, item in enumerate(node.value):
                    if id(item) in parents:
                        ambiguous.add(id(item))
                        continue
                    parents[id(item)] = (node, i, None)
                    if not isinstance(item, ScalarNode):
                        stack.append(item)
        del parents[id(root)]
        self._parents = parents

    def _chain(self, target: Node) -> list[tuple[Node, str | int | None, Node | None, bool]] | None:
        """The links (parent, step, key, repeated) from the root down to ``target`` (a node or a
        key), found by position instead of indexing the whole document; None where position is
        not enough: in a document with anchors a node can sit in several places.

        ``repeated``: the step's key occurs twice in that mapping (decoders disagree on it).
        """
        if b"&" in self.doc.text:
            return None
        if target is self.doc.root:
            return []
        lo, hi = target.start_mark.index, target.end_mark.index
        stack: list[tuple[Node, list]] = [(self.doc.root, [])]
        while stack:
            node, chain = stack.pop()
            found = None
            inside: list[tuple[Node, list]] = []
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    step = key.value if key.tag == STR and isinstance(key, ScalarNode) else None
                    link = (node, step, key)
                    if key is target or value is target:
                        found = link
                        break
                    if not isinstance(value, ScalarNode):
                        if value.start_mark.index <= lo and hi <= value.end_mark.index:
                            inside.append((value, [*chain, link]))
            elif isinstance(node, SequenceNode):
                for i, item in enumerate(node.value):
                    link = (node, i, None)
                    if item is target:
                        found = link
                        break
                    if not isinstance(item, ScalarNode):
                        if item.start_mark.index <= lo and hi <= item.end_mark.index:
                            inside.append((item, [*chain, link]))
            if found is not None:
                return [(*link, _repeated(*link)) for link in [*chain, found]]
            stack.extend(reversed(inside))
        return None

    def parent(self, node: Node) -> tuple[Node, str | int | None, Node | None] | None:
        if self._parents is None:
            chain = self._chain(node)
            if chain is not None:
                return chain[-1][:3] if chain else None
            self._index()
        return self._parents.get(id(node))  # type: ignore[union-attr]

    def key_owner(self, key: Node) -> MappingNode:
        if self._parents is None:
            chain = self._chain(key)
            if chain is not None:
                if not chain or chain[-1][2] is not key:
                    raise NoFix("key not found")
                return chain[-1][0]  # type: ignore[return-value]
            self._index()
        owner = self._key_owner.get(id(key))
        if owner is None:
            raise NoFix("key not found")
        return owner

    def path(self, node: Node) -> tuple[str | int, ...]:
        """Keys and indexes from the document root; NoFix behind an alias or merge key."""
        if self._parents is None:
            chain = self._chain(node)
            if chain is not None:
                for _, step, _, repeated in reversed(chain):
                    if repeated:
                        raise NoFix("the value is shared through an anchor or a repeated key")
                    if step is None:
                        raise NoFix("the value comes from a merge key")
                return tuple(link[1] for link in chain)  # type: ignore[misc]
            self._index()
        steps: list[str | int] = []
        while node is not self.doc.root:
            if id(node) in self._ambiguous:
                raise NoFix("the value is shared through an anchor or a repeated key")
            up = self.parent(node)
            if up is None or up[1] is None:
                raise NoFix("the value comes from a merge key")
            steps.append(up[1])
            node = up[0]
        return tuple(reversed(steps))


def _repeated(parent: Node, step: str | int | None, key: Node | None) -> bool:
    """Whether the string key ``step`` occurs more than once in the mapping ``parent``."""
    if not isinstance(step, str):
        return False
    return sum(1 for k, _ in parent.value if k.tag == STR and k.value == step) > 1


# The linter asks for the fixes of one document's problems in a row: remember that document only
# (a cache that outlived its documents would keep every node tree of a large run alive).
_LAST: list[_Ctx] = []


def _ctx(doc: Document) -> _Ctx:
    if _LAST and _LAST[0].doc is doc:
        return _LAST[0]
    _LAST[:] = [_Ctx(doc)]
    return _LAST[0]


# --------------------------------------------------------------------------- rendering


@lru_cache(maxsize=256)
def _plain_ok(value: str) -> bool:
    if not _PLAIN.match(value):
        return False
    try:
        return yaml.load(value, Loader=_Loader) == value
    except yaml.YAMLError:
        return False


def _scalar(value: str, js: bool) -> str:
    if not js and _plain_ok(value):
        return value
    return json.dumps(value)


def _flow(value: object, js: bool) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{_scalar(k, js)}: {_flow(v, js)}" for k, v in value.items())
        return "{" + inner + "}"
    return _scalar(str(value), js)


def _block(key: str, value: object, indent: int, step: int, nl: str) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        inner = "".join(_block(k, v, indent + step, step, nl) for k, v in value.items())
        return f"{pad}{_scalar(key, False)}:{nl}{inner}"
    return f"{pad}{_scalar(key, False)}: {_scalar(str(value), False)}{nl}"


def _js(*keys: Node | None) -> bool:
    """JSON style (double-quoted keys) when the neighbouring keys are written that way."""
    return any(k is not None and getattr(k, "style", None) == '"' for k in keys)


# --------------------------------------------------------------------------- edit primitives


def _explicit(mapping: MappingNode, name: str) -> tuple[Node, Node] | None:
    found = None
    for key, value in mapping.value:
        if key.tag == MERGE:
            raise NoFix("the mapping uses a merge key")
        if isinstance(key, ScalarNode) and key.tag == STR and key.value == name:
            if found is not None:
                raise NoFix(f"the key {name!r} is repeated")
            found = (key, value)
    return found


def _step(mapping: Node | None, key: Node | None, default: int = 2) -> int:
    """The indentation step of a block mapping under ``key``."""
    if isinstance(mapping, MappingNode) and not mapping.flow_style and mapping.value and key:
        step = mapping.value[0][0].start_mark.column - key.start_mark.column
        if step > 0:
            return step
    return default


def _add_entry(
    c: _Ctx, mapping: MappingNode, parent_key: Node | None, name: str, value: dict, step: int
) -> list[tuple[int, int, str]]:
    """Insert ``name: value`` into a mapping that lacks ``name``."""
    if mapping.flow_style:
        brace = c.start(mapping)
        if c.text[brace : brace + 1] != "{" or c.text[c.end(mapping) - 1 : c.end(mapping)] != "}":
            raise NoFix("unexpected flow mapping text")
        js = _js(parent_key, *(k for k, _ in mapping.value))
        entry = f"{_scalar(name, js)}: {_flow(value, js)}"
        if not mapping.value:
            return [(brace + 1, brace + 1, entry)]
        if c.rest(brace + 1).strip() == "":  # one entry per line: keep it so
            first = mapping.value[0][0]
            return [(brace + 1, brace + 1, f"{c.nl}{' ' * first.start_mark.column}{entry},")]
        return [(brace + 1, brace + 1, entry + ", ")]
    first_key, first_value = mapping.value[0]
    if not c.own_line(first_key):
        # A sequence item (``- name: app``): insert after its first entry.
        if not (
            isinstance(first_value, ScalarNode)
            and first_value.style not in ("|", ">")
            and first_value.end_mark.line == first_key.start_mark.line
            and _BLANK_REST.match(c.rest(c.end(first_value)))
        ):
            raise NoFix("no line to insert after")
        indent = first_key.start_mark.column
        block = _block(name, value, indent, step, c.nl)
        return [c.after_line(first_key.start_mark.line, block)]
    if parent_key is None or parent_key.start_mark.line >= first_key.start_mark.line:
        raise NoFix("no line to insert after")
    if not _KEY_LINE_REST.match(c.rest(c.end(parent_key))):
        raise NoFix("the key line holds more than the key")
    indent = first_key.start_mark.column
    block = _block(name, value, indent, _step(mapping, parent_key, step), c.nl)
    return [c.after_line(parent_key.start_mark.line, block)]


def _fill_null(c: _Ctx, key: Node, value: Node, new: dict, step: int) -> list[tuple[int, int, str]]:
    """Give a key whose value is null (``key:``, ``key: null``, ``key: ~``) a mapping value."""
    start, end = c.start(value), c.end(value)
    if end > start:
        return [(start, end, _flow(new, _js(key)))]
    owner = c.key_owner(key)
    if owner.flow_style or not _BLANK_REST.match(c.rest(start)):
        raise NoFix("empty value in an unexpected place")
    indent = key.start_mark.column + step
    block = "".join(_block(k, v, indent, step, c.nl) for k, v in new.items())
    return [c.after_line(key.start_mark.line, block)]


def _replace_scalar(c: _Ctx, node: Node, new: str) -> list[tuple[int, int, str]]:
    """Replace a one-line scalar's text, keeping its quoting."""
    if not isinstance(node, ScalarNode) or node.start_mark.line != node.end_mark.line:
        raise NoFix("not a one-line scalar")
    start, end = c.start(node), c.end(node)
    raw = c.text[start:end]
    if node.style in ("'", '"'):
        if len(raw) < 2 or raw[0] != node.style or raw[-1] != node.style:
            raise NoFix("unexpected scalar text")
        return [(start + 1, end - 1, new)]
    if node.style not in (None, "") or raw != node.value:
        raise NoFix("unexpected scalar text")
    if not _plain_ok(new):
        new = json.dumps(new)
    return [(start, end, new)]


def _replace_with_flow(
    c: _Ctx, node: Node, new: dict, key: Node | None
) -> list[tuple[int, int, str]]:
    _replace_scalar(c, node, "x")  # the same shape checks
    return [(c.start(node), c.end(node), _flow(new, _js(key)))]


def _last_end(c: _Ctx, node: Node) -> int:
    """Where the text of a node's last piece of content ends."""
    for _ in range(1000):
        if isinstance(node, ScalarNode):
            if node.style in ("|", ">"):
                raise NoFix("block scalar")
            return c.end(node)
        if getattr(node, "flow_style", False) or not node.value:
            return c.end(node)
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    raise NoFix("too deep")


def _delete_entry(c: _Ctx, mapping: MappingNode, index: int) -> list[tuple[int, int, str]]:
    key, value = mapping.value[index]
    if mapping.flow_style:
        if len(mapping.value) == 1:
            return [(c.start(key), c.end(value), "")]
        if index > 0:
            return [(c.end(mapping.value[index - 1][1]), c.end(value), "")]
        return [(c.start(key), c.start(mapping.value[1][0]), "")]
    if not c.own_line(key):
        raise NoFix("the key does not start its line")
    end = _last_end(c, value)
    last = c.line_of(end)
    if last < key.start_mark.line or not _BLANK_REST.match(c.rest(end)):
        raise NoFix("unexpected text after the value")
    start = c.starts[key.start_mark.line]
    if last + 1 < len(c.starts):
        return [(start, c.starts[last + 1], "")]
    # The entry ends the text without a line break: take the break before it instead.
    return [(c.ends[key.start_mark.line - 1] if key.start_mark.line else start, len(c.text), "")]


def _remove(c: _Ctx, mapping: MappingNode, name: str, levels: int = 2) -> tuple[list, list[Change]]:
    """Remove ``name`` from a mapping; a block mapping left empty goes too (up to ``levels``
    mappings up, e.g. ``annotations`` and then ``metadata``), or else becomes ``{}``."""
    if _explicit(mapping, name) is None:
        raise NoFix(f"{name!r} not found")
    index = next(i for i, (k, _) in enumerate(mapping.value) if k.value == name)
    here = c.path(mapping)
    if len(mapping.value) > 1 or mapping.flow_style:
        return _delete_entry(c, mapping, index), [Change("delete", (*here, name))]
    up = c.parent(mapping)
    if up is None or up[2] is None:
        raise NoFix("no parent mapping")
    parent, step, key = up
    block_parent = isinstance(parent, MappingNode) and not parent.flow_style
    if levels and block_parent and isinstance(step, str):
        try:
            return _remove(c, parent, step, levels - 1)
        except NoFix:
            pass
    end = _last_end(c, mapping)
    if not _BLANK_REST.match(c.rest(end)):
        raise NoFix("unexpected text after the value")
    line_end = c.ends[c.line_of(end)]
    return [(c.end(key), line_end, ": {}")], [Change("set", here, "{}")]


def _ensure_field(
    c: _Ctx, owner: Node | None, owner_key: Node | None, value: dict, step: int
) -> tuple[list, list[Change]]:
    """Set ``securityContext.seccompProfile`` in a pod spec or container that has none."""
    if not isinstance(owner, MappingNode):
        raise NoFix("no mapping to add to")
    here = c.path(owner)
    sc = _explicit(owner, "securityContext")
    if sc is None:
        new = {"seccompProfile": value}
        edits = _add_entry(c, owner, owner_key, "securityContext", new, step)
        return edits, [Change("set", (*here, "securityContext"), json.dumps(new))]
    key, node = sc
    if is_null(node):
        new = {"seccompProfile": value}
        return _fill_null(c, key, node, new, step), [
            Change("set", (*here, "securityContext"), json.dumps(new))
        ]
    if not isinstance(node, MappingNode):
        raise NoFix("securityContext is not a mapping")
    where = (*c.path(node), "seccompProfile")
    sp = _explicit(node, "seccompProfile")
    if sp is not None:
        if not is_null(sp[1]):
            raise NoFix("seccompProfile is already set")
        return _fill_null(c, sp[0], sp[1], value, step), [Change("set", where, json.dumps(value))]
    edits = _add_entry(c, node, key, "seccompProfile", value, step)
    return edits, [Change("set", where, json.dumps(value))]


# --------------------------------------------------------------------------- fixes per rule


def _spec_step(pod: PodTemplate) -> int:
    return _step(pod.spec, pod.spec_key)


def _value_of(setting: Setting) -> dict:
    if setting.type == "Localhost":
        return {"type": "Localhost", "localhostProfile": setting.profile}
    return {"type": setting.type}


def _shown(value: dict) -> str:
    return _flow(value, False)


def _owner(
    pod: PodTemplate, name: str | None
) -> tuple[Node | None, Node | None, Setting | None, str]:
    """Where the field of the pod (None) or a container lives: mapping, key, setting, label."""
    if name is None:
        return pod.spec, pod.spec_key, pod.pod_field, f"{pod.path}.securityContext"
    for container in pod.containers:
        if container.name == name:
            label = f'the securityContext of container "{name}"'
            return container.node, None, container.field_setting, label
    raise NoFix(f"no container named {name!r}")


def _type_node(c: _Ctx, setting: Setting) -> Node:
    if not isinstance(setting.value, MappingNode):
        raise NoFix("not a mapping")
    entry = _explicit(setting.value, "type")
    if entry is None:
        raise NoFix("no type")
    return entry[1]


def _missing(c: _Ctx, pod: PodTemplate, problem) -> _Plan:
    if problem.setting is not None:  # --require-runtime-default on a Localhost profile
        return _away_from_localhost(c, problem.setting)
    if pod.is_windows:
        raise NoFix("Windows pod")
    where = f"{pod.path}.securityContext"
    plan = _Plan(f"add seccompProfile: {{type: RuntimeDefault}} to {where}", SAFE)
    plan.add(*_ensure_field(c, pod.spec, pod.spec_key, RUNTIME_DEFAULT, _spec_step(pod)))
    return plan


def _away_from_localhost(c: _Ctx, setting: Setting) -> _Plan:
    if setting.origin != "field" or not isinstance(setting.value, MappingNode):
        raise NoFix("not a field")
    plan = _Plan("set type: RuntimeDefault and remove localhostProfile", UNSAFE)
    type_node = _type_node(c, setting)
    plan.add(_replace_scalar(c, type_node, "RuntimeDefault"), [
        Change("set", c.path(type_node), '"RuntimeDefault"')
    ])
    plan.add(*_remove(c, setting.value, "localhostProfile"))
    return plan


def _unconfined(c: _Ctx, pod: PodTemplate, problem) -> _Plan:
    s = problem.setting
    if s is None:
        raise NoFix("no setting")
    if s.origin == "annotation":
        plan = _Plan(f"replace {s.key.value}: unconfined with runtime/default", UNSAFE)
        node = s.value
        plan.add(_replace_scalar(c, node, "runtime/default"), [
            Change("set", c.path(node), '"runtime/default"')
        ])
        return plan
    node = _type_node(c, s)
    plan = _Plan("replace type: Unconfined with RuntimeDefault", UNSAFE)
    plan.add(_replace_scalar(c, node, "RuntimeDefault"), [
        Change("set", c.path(node), '"RuntimeDefault"')
    ])
    return plan


def _invalid(c: _Ctx, pod: PodTemplate, problem) -> _Plan:
    s = problem.setting
    if s is None or s.origin != "field":
        raise NoFix("not a field")
    if s.corrected and s.type_key is None:
        if s.corrected == "Localhost" or not isinstance(s.value, ScalarNode):
            raise NoFix("ambiguous")
        new = {"type": s.corrected}
        plan = _Plan(f"write seccompProfile: {_shown(new)}", SAFE)
        plan.add(_replace_with_flow(c, s.value, new, s.key), [
            Change("set", c.path(s.value), json.dumps(new))
        ])
        return plan
    entries = c.doc.mapping(s.value) or {}
    if any(k.tag == MERGE for k, _ in getattr(s.value, "value", [])):
        raise NoFix("merge key")
    others = set(entries) - {"type"}
    profile = text(entries["localhostProfile"][1]) if "localhostProfile" in entries else None
    if s.corrected:
        if s.corrected == "Localhost":
            ok = others == {"localhostProfile"} and profile and s.problem and "type" in s.problem
        else:
            ok = not others
        if not ok:
            raise NoFix("the corrected setting would still be rejected")
        node = _type_node(c, s)
        plan = _Plan(f"write type: {s.corrected}", SAFE)
        plan.add(_replace_scalar(c, node, s.corrected), [
            Change("set", c.path(node), json.dumps(s.corrected))
        ])
        return plan
    if s.type in ("RuntimeDefault", "Unconfined") and others == {"localhostProfile"}:
        plan = _Plan(f"remove localhostProfile (type is {s.type})", UNSAFE)
        plan.add(*_remove(c, s.value, "localhostProfile"))
        return plan
    raise NoFix("needs a person")


def _migrate(
    c: _Ctx, pod: PodTemplate, key: Node, setting: Setting, template_annotation: Setting | None
) -> _Plan:
    """Move an annotation's profile to the field (unless it is there already), drop the key."""
    if not setting.valid:
        raise NoFix("the annotation value is not valid")
    owner, owner_key, current, label = _owner(pod, setting.container)
    name = key.value
    if pod.is_windows:
        plan = _Plan(f"remove the annotation {name} (Windows pods have no seccomp)", SAFE)
        plan.add(*_remove(c, c.key_owner(key), name))
        return plan
    value = _value_of(setting)
    agreed = current if current is not None else template_annotation
    if agreed is not None:
        if not (agreed.valid and same_profile(agreed, setting)):
            raise NoFix("the annotation and the field disagree")
        where = "the field" if current is not None else "the pod template's annotation"
        plan = _Plan(f"remove the annotation {name} ({where} already says {_shown(value)})", SAFE)
        plan.add(*_remove(c, c.key_owner(key), name))
        return plan
    # Writing an explicit Unconfined turns seccomp off where the ignored annotation (1.27+) or
    # a node's SeccompDefault would not: a person should look at that one. A Localhost or
    # RuntimeDefault annotation is moved as a safe fix even where 1.27+ ignores it: it states
    # the author's intent, and it was in force (its profile on the nodes) before 1.27.
    safety = UNSAFE if setting.type == "Unconfined" else SAFE
    plan = _Plan(f"set seccompProfile: {_shown(value)} in {label} and remove {name}", safety)
    plan.add(*_ensure_field(c, owner, owner_key, value, _spec_step(pod)))
    plan.add(*_remove(c, c.key_owner(key), name))
    return plan


def _deprecated(c: _Ctx, pod: PodTemplate, problem) -> _Plan:
    s = problem.setting
    if s is None or s.origin != "annotation":
        raise NoFix("no setting")
    return _migrate(c, pod, s.key, s, None)


def _misplaced(c: _Ctx, pod: PodTemplate, problem) -> _Plan:
    key = problem.node
    entry = next(((k, v) for k, v in pod.misplaced_annotations() if k is key), None)
    if entry is None:
        raise NoFix("annotation not found")
    name = None if key.value == POD_ANNOTATION else key.value[len(CONTAINER_ANNOTATION) :]
    setting = read_annotation(pod.doc, entry, name)
    template = pod.annotation_settings.get(name)
    return _migrate(c, pod, key, setting, template)


def _windows(c: _Ctx, pod: PodTemplate, problem) -> _Plan:
    s = problem.setting
    if s is None:
        raise NoFix("no setting")
    what = "seccompProfile" if s.origin == "field" else f"the annotation {s.key.value}"
    plan = _Plan(f"remove {what} (Windows has no seccomp)", UNSAFE)
    plan.add(*_remove(c, c.key_owner(s.key), s.key.value))
    return plan


_BUILDERS: dict[str, Callable[[_Ctx, PodTemplate, object], _Plan]] = {
    "deprecated-seccomp-annotation": _deprecated,
    "misplaced-seccomp-annotation": _misplaced,
    "invalid-seccomp-profile": _invalid,
    "unconfined-seccomp-profile": _unconfined,
    "seccomp-on-windows-pod": _windows,
    "missing-seccomp-profile": _missing,
}
# Applied first when two fixes touch one pod template: migrations keep the author's intent.
_PRIORITY = {rule: i for i, rule in enumerate(_BUILDERS)}


def fix_for(rule_id: str, problem, pod: PodTemplate) -> Fix | None:
    """The fix for one rule's problem in a pod template, or None when a person must decide."""
    build = _BUILDERS.get(rule_id)
    if build is None:
        return None
    try:
        c = _ctx(pod.doc)
        plan = build(c, pod, problem)
        if pod.doc.helm_source:
            # Rendered output is regenerated from the chart: the change belongs in the template.
            return Fix(
                f"{plan.description}, in the chart template {pod.doc.helm_source} (rendered "
                "output is not rewritten)",
                plan.applicability,
            )
        scope = (pod.doc.index, *c.path(pod.spec if pod.spec is not None else pod.doc.root))
        edits = tuple(
            Edit(c.pos(start), c.pos(end), content) for start, end, content in sorted(plan.edits)
        )
        return PlannedFix(
            plan.description,
            plan.applicability,
            edits,
            document=pod.doc.index,
            scope=scope,
            changes=tuple(plan.changes),
        )
    except NoFix:
        return None
    except (RecursionError, IndexError, KeyError, ValueError, AttributeError, TypeError):
        return None  # an unusual shape must never stop linting


# --------------------------------------------------------------------------- apply and verify


class Rejected(Exception):
    """A fix (or a set of fixes) that cannot be applied; the message says why."""


def _line_starts(body: str) -> list[int]:
    return [0, *(m.end() for m in _BREAK.finditer(body))]


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
    return list(yaml.load_all(body, Loader=_Loader))


def _same(a: object, b: object) -> bool:
    """Equal data of equal types (``1 == True`` and ``1 == 1.0`` are differences here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        other: dict = b  # type: ignore[assignment]
        return a.keys() == other.keys() and all(_same(v, other[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def _apply_change(data: object, change: Change) -> None:
    *steps, last = change.path
    node = data
    for step in steps:
        node = node[step]  # type: ignore[index]
    if change.op == "set":
        node[last] = json.loads(change.value)  # type: ignore[index]
    else:
        del node[last]  # type: ignore[attr-defined]


def verify(old: str, new: str, fixes: list[PlannedFix], is_json: bool) -> None:
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


# --------------------------------------------------------------------------- one file


@dataclass
class FileFix:
    """The outcome of fixing one file (or stdin)."""

    path: str
    original: bytes
    fixed: bytes
    findings: list[Finding]  # what remains after the fixes
    fixed_count: int = 0
    held_back: int = 0  # unsafe fixes not applied
    documents: int = 0
    notice: str | None = None
    error: str | None = None
    before: list[Finding] = field(default_factory=list)  # the findings before any fix

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def _key(f: Finding) -> tuple:
    return (f.rule, f.object, f.container, f.message)


def _fingerprint(f: Finding) -> tuple:
    """A finding across rounds: what it says, and where in the data its fix would act."""
    if not isinstance(f.fix, PlannedFix):
        return (*_key(f), None)
    return (*_key(f), f.fix.scope, tuple(change.path for change in f.fix.changes))


def applicable(f: Finding, unsafe: bool) -> bool:
    """Whether ``--fix`` (with or without ``--unsafe-fixes``) applies the finding's fix."""
    fix = f.fix
    return (
        isinstance(fix, PlannedFix)
        and bool(fix.edits)
        and (unsafe or fix.applicability == SAFE)
    )


def _choose(candidates: list[Finding]) -> list[list[Finding]]:
    """Fixes for one round: the first per pod template; identical fixes go together."""
    ordered = sorted(candidates, key=lambda f: (_PRIORITY.get(f.rule, 99), f.line, f.column))
    groups: dict[tuple, list[Finding]] = {}
    taken: dict[tuple, tuple] = {}
    for f in ordered:
        fix: PlannedFix = f.fix  # type: ignore[assignment]
        same = (fix.edits, fix.changes)
        if fix.scope in taken and taken[fix.scope] != same:
            continue
        taken[fix.scope] = same
        groups.setdefault((fix.scope, same), []).append(f)
    return list(groups.values())


def _try(body: str, fixes: list[PlannedFix], is_json: bool) -> str:
    new = apply_edits(body, [e for fix in fixes for e in fix.edits])
    verify(body, new, fixes, is_json)
    return new


def _explain(f: Finding, reason: str) -> Finding:
    note = f"--fix could not apply the fix: {reason}"
    fix = f.fix
    if fix is not None:
        fix = Fix(f"{fix.description} (not applied: {reason})", fix.applicability, fix.edits)
    return replace(f, help=f"{f.help}; {note}" if f.help else note, fix=fix)


def fix_bytes(
    data: bytes, path: str, options: Options, unsafe: bool = False, is_json: bool = False
) -> FileFix:
    """Apply every applicable fix to a stream, round by round, verifying each round."""
    from .linter import lint_bytes

    # Every document parsed, so document indexes are those of the YAML stream.
    options = replace(options, prefilter=False)
    result = lint_bytes(data, path, options, is_json)
    out = FileFix(path, data, data, result.findings, documents=result.documents)
    out.before = result.findings
    if result.error or result.notice:
        out.error, out.notice = result.error, result.notice
        return out
    if any(f.rule == "yaml-syntax-error" for f in result.findings):
        out.notice = "not fixed: the file does not parse cleanly (yaml-syntax-error)"
        return out
    try:
        raw, encoding, bom = decode(data)
        body = raw.decode("utf-8")
    except (DecodeError, UnicodeDecodeError) as exc:
        out.notice = f"not fixed: {exc}"
        return out

    def encode(text_: str) -> bytes:
        return bom + text_.encode(encoding)

    findings = result.findings
    failed: dict[tuple, str] = {}
    applied: set[tuple] = set()
    for _ in range(MAX_ROUNDS):
        candidates = [
            f for f in findings if applicable(f, unsafe) and _fingerprint(f) not in failed
        ]
        for f in candidates:
            if _fingerprint(f) in applied:
                failed[_fingerprint(f)] = "applying it did not resolve the finding"
        candidates = [f for f in candidates if _fingerprint(f) not in failed]
        if not candidates:
            break
        groups = _choose(candidates)
        try:
            new = _try(body, [g[0].fix for g in groups], is_json)  # type: ignore[misc]
        except Rejected as exc:
            if len(groups) == 1:
                for f in groups[0]:
                    failed[_fingerprint(f)] = str(exc)
                continue
            new = None
            for group in groups:  # together they fail: find the ones that work alone
                try:
                    new = _try(body, [group[0].fix], is_json)  # type: ignore[list-item]
                    groups = [group]
                    break
                except Rejected as alone:
                    for f in group:
                        failed[_fingerprint(f)] = str(alone)
            if new is None:
                continue
        body = new
        applied.update(_fingerprint(f) for g in groups for f in g)
        result = lint_bytes(encode(body), path, options, is_json)
        findings = result.findings
    out.fixed = encode(body)
    out.documents = result.documents
    remaining = Counter(_key(f) for f in findings)
    out.fixed_count = sum((Counter(_key(f) for f in out.before) - remaining).values())
    out.findings = [_explain(f, failed[_fingerprint(f)]) if _fingerprint(f) in failed else f
                    for f in findings]
    out.held_back = sum(
        1 for f in findings if not unsafe and applicable(f, True) and not applicable(f, False)
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
        a.splitlines(keepends=True), b.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    out = []
    for line in lines:
        ended = line.endswith(("\n", "\r"))
        out.append(line if ended else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --------------------------------------------------------------------------- command line


@dataclass
class _Totals:
    fixed: int = 0
    files: int = 0
    held_back: int = 0
    errors: bool = False


def _looks_json(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))


def run(
    paths: list[str],
    options: Options,
    report: Callable,
    fmt: str = "text",
    *,
    diff: bool = False,
    unsafe: bool = False,
    jobs: int = 1,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stdout_bytes: BinaryIO | None = None,
    stderr: TextIO | None = None,
    config=None,
) -> int:
    """``--fix`` / ``--diff``: rewrite (or show) fixes, report what remains, return the exit code.

    ``report(run, out)`` writes the remaining findings in the chosen format. Exit codes: 1 when a
    file was rewritten (or would be, with ``diff``) or findings remain, 0 when nothing needed doing,
    2 on errors.
    """
    from .report import Run, counted, escape
    from .sources import STDIN, gather, lint_all

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    gathered = gather(paths, config, stderr)
    if gathered is None:
        return 2
    inputs, passed_over = gathered
    from_stdin = any(i.path == STDIN for i in inputs)
    totals = _Totals(errors=passed_over)
    result = Run()

    def collect(ff: FileFix) -> None:
        ff.findings = [_point_to_source(f) for f in ff.findings]
        if ff.error:
            result.errors.append((ff.path, ff.error))
            print(f"seccomp-lint: {escape(ff.path)}: {escape(ff.error)}", file=stderr)
            totals.errors = True
            return
        if ff.notice:
            result.skipped.append((ff.path, ff.notice))
            print(f"seccomp-lint: {escape(ff.path)}: {escape(ff.notice)}", file=stderr)
        if ff.changed:
            totals.files += 1
            totals.fixed += ff.fixed_count
            if diff:
                stdout.write(unified_diff(ff.path, ff.original, ff.fixed))
        totals.held_back += ff.held_back
        result.files += 1
        result.documents += ff.documents
        result.findings.extend(sorted(ff.findings, key=lambda f: (f.line, f.column, f.rule)))

    def muted(path: str) -> Options:
        if config is None or not config.per_path_ignores:
            return options
        return replace(options, ignore=options.ignore | frozenset(config.ignored_rules(path)))

    for fr in lint_all([i for i in inputs if i.path != STDIN], options, jobs):
        file_options = muted(fr.path)
        fr.findings = [f for f in fr.findings if f.rule not in file_options.ignore]
        if fr.error or not any(applicable(f, True) for f in fr.findings):
            collect(
                FileFix(fr.path, b"", b"", fr.findings, 0, 0, fr.documents, fr.notice, fr.error)
            )
        else:
            collect(_fix_file(fr.path, file_options, unsafe, diff, stderr))
    if from_stdin:
        data = (stdin or sys.stdin.buffer).read()
        ff = fix_bytes(data, "<stdin>", options, unsafe, _looks_json(data))
        if not diff:
            sink = stdout_bytes or sys.stdout.buffer
            sink.write(ff.fixed)
            sink.flush()
        collect(ff)

    summary_out = stderr if diff or from_stdin or fmt != "text" else stdout
    if not diff:
        # With stdin the fixed stream owns stdout, so the report goes to stderr.
        report(result, stderr if from_stdin else stdout)
    verb = "Would fix" if diff else "Fixed"
    print(
        f"{verb} {counted(totals.fixed, 'finding')} in {counted(totals.files, 'file')}.",
        file=summary_out,
    )
    if totals.held_back:
        n = totals.held_back
        print(
            f"{counted(n, 'unsafe fix')} {'was' if n == 1 else 'were'} held back "
            "(review them, then rerun with --unsafe-fixes).",
            file=summary_out,
        )
    if totals.errors:
        return 2
    if diff:  # as the issue specifies: 1 when there is a diff (plain linting gates findings)
        return 1 if totals.files else 0
    return 1 if totals.files or result.findings else 0


def _point_to_source(f: Finding) -> Finding:
    """A fix that cannot be applied here (Helm output) names the change to make elsewhere."""
    if f.fix is None or f.fix.edits or isinstance(f.fix, PlannedFix):
        return f
    if "not applied" in f.fix.description:
        return f
    return replace(f, help=f"{f.help}; fix: {f.fix.description}" if f.help else f.fix.description)


def _fix_file(path: str, options: Options, unsafe: bool, diff: bool, stderr: TextIO) -> FileFix:
    """Fix one file; write it atomically unless ``diff`` or it changed on disk meanwhile."""
    from . import writer

    try:
        stamp = writer.stamp(path)
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileFix(path, b"", b"", [], error=f"cannot read: {exc.strerror or exc}")
    ff = fix_bytes(data, path, options, unsafe, path.endswith(".json"))
    if not ff.changed or diff:
        return ff
    why = writer.replace_atomically(path, ff.fixed, data, stamp)
    if why:
        print(f"seccomp-lint: {path}: not rewritten: {why}", file=stderr)
        return replace(ff, fixed=data, findings=ff.before, fixed_count=0)
    return ff
