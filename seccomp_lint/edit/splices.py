"""Text splices and their verification: apply a fix's edits to a text, and check that the new
text holds the old data plus exactly the fix's structural changes, as the API server would
decode both.
"""

from __future__ import annotations

import copy
import json
import re

import yaml

from ..model.data import Change, Edit, Fix, Pos
from ..text.depth import MAX_DEPTH, libyaml_limits_depth, too_deep
from ..text.documents import Loader
from .edits import EDITOR_BREAK


class Rejected(Exception):
    """A fix (or a set of fixes) that cannot be applied; the message says why."""


class Worse(Rejected):
    """Fixes that would add findings (``added``: their identities); another fix applied first
    may change that."""

    def __init__(self, message: str, added: set[tuple] | None = None) -> None:
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
    return list(yaml.load_all(body, Loader=Loader))


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
    """Raise Rejected unless ``new`` holds the data of ``old`` plus exactly the fixes' changes.

    The new data is parsed and each change checked and undone in it (newest first); what is
    left must equal the old data. ``before`` is the old data when the caller has it already.
    """
    strict_json = is_json and old.lstrip().startswith(("{", "["))
    if before is None:
        before = parse_data(old, strict_json)
    after = parse_data(new, strict_json, "the fixed text would not parse")
    if len(before) != len(after):
        raise Rejected(f"the fixed text would hold {len(after)} documents, not {len(before)}")
    try:
        for fix in reversed(fixes):
            for change in reversed(fix.changes):
                _undo(after[fix.document], before[fix.document], change)
        same = all(_same(x, y) for x, y in zip(before, after))
    except (KeyError, IndexError):  # the change is not where the fix says it is
        raise Rejected("the edit would change more than the intended value") from None
    except (TypeError, RecursionError) as exc:
        raise Rejected(f"cannot check the change ({type(exc).__name__})") from None
    if not same:
        raise Rejected("the edit would change more than the intended value")


def _undo(after: object, before: object, change: Change) -> None:
    """Check that ``after`` holds the change, and put back what ``before`` had there."""
    *steps, last = change.path
    for step in steps:
        after = after[step]  # type: ignore[index]
        before = before[step]  # type: ignore[index]
    had = last in before if isinstance(before, dict) else last < len(before)  # type: ignore[arg-type, operator]
    if change.op == "set":
        if not _same(after[last], json.loads(change.value)):  # type: ignore[index]
            raise Rejected("the edit would change more than the intended value")
        if had:
            after[last] = before[last]  # type: ignore[index]
        else:
            del after[last]  # type: ignore[attr-defined]
    else:
        if isinstance(after, dict) and last in after:
            raise Rejected("the edit would change more than the intended value")
        after[last] = before[last]  # type: ignore[index]


def changed_exactly(old_data: object, new_data: object, changes: list[Change]) -> str | None:
    """None when ``new_data`` is ``old_data`` plus exactly ``changes`` (paths from its root),
    else why not: :func:`verify` for data already parsed (a built object, a document)."""
    after = copy.deepcopy(new_data)
    try:
        for change in reversed(changes):
            _undo(after, old_data, change)
        same = _same(old_data, after)
    except Rejected as exc:
        return str(exc)
    except (KeyError, IndexError, TypeError, RecursionError):
        return "the change is not where it was meant to be"
    return None if same else "it changed more than the intended value"
