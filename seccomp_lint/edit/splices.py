"""Text splices and their verification: apply a fix's edits to a text, and check that the new
text holds the old data plus exactly the fix's structural changes, as the API server would
decode both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from yaml.nodes import MappingNode, Node, SequenceNode

from ..model.data import Change, ChangeOp, Edit, Fix, Identity, Pos
from ..text.depth import MAX_DEPTH, libyaml_limits_depth, too_deep
from ..text.documents import ParseError, load_all, parse_stream
from .edits import append_path, explicit, set_path, tree_step
from .geometry import EDITOR_BREAK, Context, NoFix


class Rejected(Exception):
    """A fix (or a set of fixes) that cannot be applied; the message says why."""


class Worse(Rejected):
    """Fixes that would add findings (``added``: their identities); another fix applied first
    may change that."""

    def __init__(self, message: str, added: set[Identity] | None = None) -> None:
        super().__init__(message)
        self.added = added or set()


def _line_starts(body: str) -> list[int]:
    return [0, *(m.end() for m in EDITOR_BREAK.finditer(body))]


def apply_edits(body: str, edits: list[Edit], first_line: int = 0) -> str:
    """Splice edits (1-based positions, end exclusive) into ``body``, whose first line is the
    file's line ``first_line`` (0-based); overlapping edits fail."""
    starts = _line_starts(body)

    def offset(p: Pos) -> int:
        line = p.line - first_line
        if not 1 <= line <= len(starts):
            raise Rejected(f"edit position {p.line}:{p.column} is outside the file")
        at = starts[line - 1] + p.column - 1
        limit = starts[line] if line < len(starts) else len(body)
        if at > limit:
            raise Rejected(f"edit position {p.line}:{p.column} is outside the line")
        return at

    spans = sorted({_tabbed(body, offset(e.start), offset(e.end), e.content) for e in edits})
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


_LEADING_SPACES = re.compile(r"(?m)^ +")
_TABS = re.compile(r"\t*")


def _tabbed(body: str, start: int, end: int, content: str) -> tuple[int, int, str]:
    """An edit whose new lines are indented with tabs where the text around it is.

    Fixes measure indentation in columns, and a JSON file's tabs are read as one column each
    (YAML allows no tabs there); so where the line the edit lands on is indented with tabs, an
    inserted line's leading spaces become as many tabs."""
    line = body.rfind("\n", 0, start) + 1
    at_line_start = start == line
    if "\n" not in content and not (at_line_start and content.startswith(" ")):
        return start, end, content
    indent = _TABS.match(body, line).end()  # type: ignore[union-attr]  # always matches
    if indent == line or body.startswith(" ", indent):
        return start, end, content
    head, sep, rest = ("", "", content) if at_line_start else content.partition("\n")
    rest = _LEADING_SPACES.sub(lambda m: "\t" * len(m.group()), rest)
    return start, end, head + sep + rest


def _load(body: str, is_json: bool) -> list:
    if is_json:
        try:
            return [json.loads(body)]
        except ValueError:
            pass
    # libyaml's composer recurses in C: a hostile nesting depth would crash, not raise, unless
    # this libyaml refuses such nesting itself (0.2.6 and newer).
    deep = None if libyaml_limits_depth() else too_deep(body.encode("utf-8"))
    if deep is not None:
        raise Rejected(f"nested deeper than {MAX_DEPTH} levels at line {deep[0] + 1}")
    return load_all(body)


def _same(a: object, b: object) -> bool:
    """Equal data of equal types (``1 == True`` and ``1 == 1.0`` are differences here)."""
    if type(a) is not type(b):
        return False
    # b is of a's type: the isinstance tests on b only tell mypy so.
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def parse_data(text: str, is_json: bool, failure: str = "the file does not parse") -> list:
    """The data of a text's documents, as the API server would decode it; Rejected when it
    does not parse."""
    try:
        return _load(text, is_json)
    except Rejected:
        raise
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Rejected(f"{failure} ({first})") from None


def verify(old: str, new: str, fixes: list[Fix], is_json: bool, before: list | None = None) -> None:
    """Raise Rejected unless ``new`` holds the data of ``old`` plus exactly the fixes' changes
    (:func:`changed_exactly`, each change's path led by its fix's document index).

    ``before`` is the old data when the caller has it already.
    """
    strict_json = is_json and old.lstrip().startswith(("{", "["))
    if before is None:
        before = parse_data(old, strict_json)
    after = parse_data(new, strict_json, "the fixed text would not parse")
    if len(before) != len(after):
        raise Rejected(f"the fixed text would hold {len(after)} documents, not {len(before)}")
    changes = [
        Change(change.op, (fix.document, *change.path), change.value)
        for fix in fixes
        for change in fix.changes
    ]
    # Parsed here, so owned here: expanded (copied) only when the text can hold an alias.
    why = _differences(before, _expanded(after) if "*" in new else after, changes)
    if why is not None:
        raise Rejected(why)


def changed_exactly(old_data: object, new_data: object, changes: Sequence[Change]) -> str | None:
    """None when ``new_data`` is ``old_data`` with exactly ``changes`` made (in that order),
    else why not. Neither argument is changed.

    The data is compared with YAML aliases expanded: a node shared through an anchor counts at
    every place it shows, so a change made through one of them is a change at each.
    """
    try:
        after = _expanded(new_data)
    except RecursionError:
        return "cannot check the change (RecursionError)"
    except Rejected as exc:
        return str(exc)
    return _differences(old_data, after, changes)


_MORE = "the edit would change more than the intended value"
# Containers an expansion may copy a second time (through aliases) before it gives up.
_ALIAS_BUDGET = 100_000


def _expanded(data: object) -> object:
    """A copy of parsed data in which no container is shared (each alias its own copy)."""
    seen: set[int] = set()
    active: set[int] = set()
    budget = [_ALIAS_BUDGET]

    def copy(node: object) -> object:
        if not isinstance(node, (dict, list)):
            return node
        key = id(node)
        if key in active:
            raise Rejected("cannot check the change (the data refers to itself through an alias)")
        if key in seen:
            budget[0] -= 1
            if budget[0] < 0:
                raise Rejected("cannot check the change (too many aliases)")
        seen.add(key)
        active.add(key)
        if isinstance(node, dict):
            out: object = {k: copy(v) for k, v in node.items()}
        else:
            out = [copy(v) for v in node]
        active.discard(key)
        return out

    return copy(data)


def _differences(before: object, after: object, changes: Sequence[Change]) -> str | None:
    """Why ``after`` (owned: changes are undone in it) is not ``before`` plus ``changes``."""
    try:
        for change in reversed(changes):
            _undo(after, before, change)
        same = _same(before, after)
    except Rejected as exc:
        return str(exc)
    except (KeyError, IndexError):  # the change is not where it says it is
        return _MORE
    except (TypeError, RecursionError) as exc:
        return f"cannot check the change ({type(exc).__name__})"
    return None if same else _MORE


def _undo(after: object, before: object, change: Change) -> None:
    """Check that ``after`` holds the change, and put back what ``before`` had there."""
    *steps, last = change.path
    for step in steps:
        after = after[step]  # type: ignore[index]
        before = before[step]  # type: ignore[index]
    had = last in before if isinstance(before, dict) else last < len(before)  # type: ignore[arg-type, operator]
    if change.op == ChangeOp.SET:
        if not _same(after[last], json.loads(change.value)):  # type: ignore[index]
            raise Rejected(_MORE)
        if had:
            # A copy: a later undo inside it must not reach into ``before``.
            after[last] = _expanded(before[last])  # type: ignore[index]
        else:
            del after[last]  # type: ignore[attr-defined]
    else:
        if isinstance(after, dict) and last in after:
            raise Rejected(_MORE)
        after[last] = _expanded(before[last])  # type: ignore[index]


def set_in_text(
    text: str,
    path: tuple[str, ...],
    value: str,
    tree: tuple[str | int, ...] = (),
    document: int | None = None,
) -> tuple[str, object]:
    """``text`` with the string at ``path`` in a values tree set to ``value`` (by
    :func:`~.edits.set_path`), and the value it had there (None when absent).

    The tree is the node at ``tree`` (keys and list indexes) in the ``document``-th document: a
    Helm values file is one whole document (``document`` None: the text must hold at most one,
    and an empty one gets the keys); a HelmRelease's ``spec.values`` is a node in one. Rejected,
    saying why, when the text does not parse, has another shape, or would hold more than that
    one change (aliases expanded).
    """
    try:
        docs = parse_stream(text.encode("utf-8"), strict=True)  # the nesting guard first
        if document is None and len(docs) > 1:
            raise Rejected("it holds more than one YAML document")
        before = parse_data(text, False)
        if not docs and not tree:
            spans, changes = append_path(text, path, value)
            new, index, before = text + spans[0][2], 0, [{}]
        else:
            index = document or 0
            if index >= len(docs):
                raise NoFix(f"there is no document {index + 1}")
            c = Context(docs[index])
            node = _node_at(docs[index].root, tree)
            spans, changes = set_path(c, node, path, value, tree_step(node))
            new = apply_edits(text, [Edit(c.pos(a), c.pos(b), t) for a, b, t in spans])
    except ParseError as exc:
        raise Rejected(f"it does not parse ({exc})") from None
    except NoFix as exc:
        raise Rejected(str(exc)) from None
    old = _lookup(before[index], (*tree, *path))
    if not spans:
        return text, old
    after = parse_data(new, False, "the changed text would not parse")
    led = [Change(change.op, (index, *change.path), change.value) for change in changes]
    why = changed_exactly(before, after, led)
    if why is not None:
        raise Rejected(f"the changed text would not hold exactly the intended key: {why}")
    return new, old


def _node_at(root: Node, steps: tuple[str | int, ...]) -> Node:
    """The node at a path of keys and list indexes; NoFix where it is not there."""
    node = root
    for step in steps:
        found = None
        if isinstance(step, str) and isinstance(node, MappingNode):
            found = (explicit(node, step) or (None, None))[1]
        elif isinstance(step, int) and isinstance(node, SequenceNode) and step < len(node.value):
            found = node.value[step]
        if found is None:
            raise NoFix(f"no {'.'.join(map(str, steps))} to set values in")
        node = found
    return node


def _lookup(data: object, steps: tuple[str | int, ...]) -> object:
    """The value at a path of keys and list indexes, else None."""
    for step in steps:
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    return data
