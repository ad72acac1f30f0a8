"""Set one key in a Helm values file as a text splice: every other byte stays as it was.

``set_value(text, ("podSecurityContext", "seccompProfile", "type"), "RuntimeDefault")`` finds
the deepest part of the path the file already has (by parse positions) and writes only the rest:

* the scalar at the end of the path: its word is replaced (quotes kept);
* a block mapping without the next key: the key and its nested lines are added after the
  mapping's last entry, at the mapping's indentation (the document's end for the top level);
* ``key: {}`` or ``key:`` (null), as ``helm create`` writes them, often followed by commented
  defaults: ``{}`` is dropped and the nested lines go right under the key, before the comments;
* a non-empty flow mapping: ``, key: {...}`` before its closing brace.

The result is checked by parsing it: its data must be the old data with exactly that key set,
else :class:`ValuesEditError` says why and nothing is returned.
"""

from __future__ import annotations

import copy
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from ...text.documents import is_null

_PLAIN = re.compile(r"^[A-Za-z_][\w.-]*$")


class ValuesEditError(Exception):
    """The values file cannot be changed as asked; the message says why."""


def _load(text: str, what: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValuesEditError(f"{what} does not parse: {exc}") from None


def _compose(text: str) -> Node | None:
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ValuesEditError(f"it does not parse: {exc}") from None
    if len(nodes) > 1:
        raise ValuesEditError("it holds more than one YAML document")
    return nodes[0] if nodes else None


def _entry(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def _key(word: str) -> str:
    return (
        word if _PLAIN.match(word) else '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    )


def _block(steps: tuple[str, ...], value: str, column: int, step: int, nl: str) -> str:
    """``a:\\n  b: value`` lines for ``steps``, the first at ``column``; no final line break."""
    lines = []
    for depth, word in enumerate(steps):
        pad = " " * (column + depth * step)
        last = depth == len(steps) - 1
        lines.append(f"{pad}{_key(word)}: {value}" if last else f"{pad}{_key(word)}:")
    return nl.join(lines)


def _flow(steps: tuple[str, ...], value: str) -> str:
    out = value
    for word in reversed(steps[1:]):
        out = f"{{{_key(word)}: {out}}}"
    return f"{_key(steps[0])}: {out}"


def _indent_step(root: Node | None) -> int:
    """The indentation one nesting level adds in this file (2 when it shows none)."""
    todo = [root] if isinstance(root, MappingNode) else []
    while todo:
        node = todo.pop(0)
        if not isinstance(node, MappingNode) or node.flow_style:
            continue
        for k, v in node.value:
            if isinstance(v, MappingNode) and not v.flow_style and v.value:
                inner = v.value[0][0].start_mark.column - k.start_mark.column
                if inner > 0:
                    return inner
            todo.append(v)
    return 2


def _line_end(text: str, index: int) -> int:
    """The offset of the line break ending the line that holds ``index`` (or the text's end)."""
    found = text.find("\n", index)
    if found < 0:
        return len(text)
    return found - 1 if found > 0 and text[found - 1] == "\r" else found


def _last_line_end(node: Node, text: str) -> int:
    """Where the last line of a block mapping's last entry ends."""
    while isinstance(node, MappingNode) and node.value and not node.flow_style:
        node = node.value[-1][1]
    end = node.end_mark.index
    # A block scalar's end is the start of the line after it.
    while end > 0 and text[end - 1] in "\r\n":
        end -= 1
    return _line_end(text, end)


def set_value(text: str, path: tuple[str, ...], value: str) -> tuple[str, object]:
    """The text with ``path`` set to the plain scalar ``value``, and the value it had before
    (None when absent). Raises :class:`ValuesEditError` when that cannot be done verifiably."""
    nl = "\r\n" if "\r\n" in text else "\n"
    root = _compose(text)
    if root is None:  # empty, or only comments
        return _verified(text, _append(text, _block(path, value, 0, 2, nl), nl), path, value), None
    step = _indent_step(root)
    parent = root
    for depth, word in enumerate(path):
        rest = path[depth:]
        if not isinstance(parent, MappingNode):
            raise ValuesEditError(f"{'.'.join(path[:depth]) or 'the file'} is not a mapping")
        found = _entry(parent, word)
        if found is None:
            if parent.flow_style:
                at = _flow_end(text, parent)
                new = text[:at] + (", " if parent.value else "") + _flow(rest, value) + text[at:]
            elif parent is root:
                new = _append(text, _block(rest, value, 0, step, nl), nl)
            else:
                column = parent.value[0][0].start_mark.column
                at = _last_line_end(parent, text)
                new = text[:at] + nl + _block(rest, value, column, step, nl) + text[at:]
            return _verified(text, new, path, value), None
        key_node, node = found
        if depth == len(path) - 1:
            return _set_leaf(text, key_node, node, path, value)
        if isinstance(node, MappingNode) and (node.value or parent.flow_style):
            parent = node
            continue
        if is_null(node) or isinstance(node, MappingNode):
            # ``key: {}`` / ``key:`` / ``key: null``: the nested lines go under the key.
            new = _open(text, key_node, node, path[depth + 1 :], value, step, nl)
            return _verified(text, new, path, value), None
        raise ValuesEditError(f"{'.'.join(path[: depth + 1])} is not a mapping")
    raise ValuesEditError("empty path")


def _flow_end(text: str, node: MappingNode) -> int:
    """Just after the last non-blank character before a flow mapping's closing brace."""
    close = text.rfind("}", node.start_mark.index, node.end_mark.index)
    if close < 0:
        raise ValuesEditError("cannot find the end of a flow mapping")
    at = close
    while at > node.start_mark.index + 1 and text[at - 1] in " \t":
        at -= 1
    return at


def _open(
    text: str, key: Node, node: Node, rest: tuple[str, ...], value: str, step: int, nl: str
) -> str:
    """``key: {}`` (or null) made a block mapping holding ``rest``; comments after it kept."""
    start, end = node.start_mark.index, node.end_mark.index
    if start != end:
        # Drop ``{}`` / ``null`` and the blanks before it; a trailing comment stays.
        cut = start
        while cut > key.end_mark.index and text[cut - 1] in " \t":
            cut -= 1
        if text[cut - 1] != ":":
            raise ValuesEditError("cannot find the value after its key")
        text = text[:cut] + text[end:]
    at = _line_end(text, key.end_mark.index)
    column = key.start_mark.column + step
    return text[:at] + nl + _block(rest, value, column, step, nl) + text[at:]


def _set_leaf(
    text: str, key: Node, node: Node, path: tuple[str, ...], value: str
) -> tuple[str, object]:
    if not isinstance(node, ScalarNode):
        raise ValuesEditError(f"{'.'.join(path)} is not a scalar")
    old = _lookup(_load(text, "the values file"), path)
    if old == value:
        return text, old
    if node.style in ('"', "'"):
        start, end = node.start_mark.index + 1, node.end_mark.index - 1
    elif node.style is None and (node.start_mark.line == node.end_mark.line) and not is_null(node):
        start, end = node.start_mark.index, node.end_mark.index
    elif is_null(node) and node.start_mark.index == node.end_mark.index:
        start = end = key.end_mark.index + 1  # after ``key:``
        value = " " + value
    else:
        raise ValuesEditError(f"{'.'.join(path)} is written in a form this fix does not edit")
    new = text[:start] + value + text[end:]
    return _verified(text, new, path, value.strip()), old


def _append(text: str, block: str, nl: str) -> str:
    if text and not text.endswith("\n"):
        text += nl
    return text + block + nl


def _verified(old: str, new: str, path: tuple[str, ...], value: str) -> str:
    """``new``, after checking its data is ``old``'s with exactly ``path`` set to ``value``."""
    before = _load(old, "the values file")
    after = _load(new, "the changed values file")
    expected = copy.deepcopy(before) if isinstance(before, dict) else {}
    here = expected
    for word in path[:-1]:
        if not isinstance(here.get(word), dict):
            here[word] = {}
        here = here[word]
    here[path[-1]] = value
    if after != expected:
        raise ValuesEditError("the changed file would not hold exactly the intended key")
    return new


def _lookup(data: object, path: tuple[str, ...]) -> object:
    for word in path:
        if not isinstance(data, dict):
            return None
        data = data.get(word)
    return data
