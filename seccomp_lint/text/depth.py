"""The nesting guard: libyaml's composer recurses in C, so hostile nesting must be refused first."""

from __future__ import annotations

import re

import yaml

from .errors import ToolContractError

# libyaml's loader, as everywhere in seccomp-lint (documents re-exports it).
try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

MAX_DEPTH = 1000
# A line start after any break libyaml counts (CR, NEL, LS, PS too), or a CR-only file nests unseen.
_DEEP_LINE = re.compile(rb"(?:^|\r|\xc2\x85|\xe2\x80[\xa8\xa9])[ \t?:-]{400}", re.M)


def too_deep(data: bytes) -> tuple[int, int] | None:
    """The 0-based mark where nesting passes MAX_DEPTH, else None.

    libyaml's composer recurses in C, so a hostile document nested 100,000 levels deep would
    overflow the stack. Nesting depth is at most the flow brackets plus the longest run of
    indentation and block indicators on one line; only when that bound is high are the
    parser's events (which libyaml produces without recursion) counted.
    """
    if data.count(b"[") + data.count(b"{") < 400 and _DEEP_LINE.search(data) is None:
        return None
    depth = 0
    try:
        for event in yaml.parse(data, Loader=Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    start = event.start_mark
                    if start is None:
                        raise ToolContractError("libyaml gave a nesting event without a position")
                    return start.line, start.column
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # Newer libyaml builds stop at their own nesting limit; report it in our words.
        mark = exc.problem_mark
        if mark is not None and is_depth_error(exc):
            return mark.line, mark.column
        return None  # the composer reports the error with its position
    except yaml.YAMLError:
        return None
    return None


_DEPTH_LIMITED: list[bool] = []


def libyaml_limits_depth() -> bool:
    """Whether this libyaml (0.2.6 and newer, as in PyYAML's wheels) refuses nesting deeper than
    MAX_DEPTH by itself; then the composer cannot recurse past it and no guard is needed."""
    if not _DEPTH_LIMITED:
        deep = MAX_DEPTH + 1
        try:
            yaml.compose(b"[" * deep + b"]" * deep, Loader=Loader)
            limited = False
        except yaml.YAMLError as exc:
            limited = Loader is not yaml.SafeLoader and is_depth_error(exc)
        _DEPTH_LIMITED.append(limited)
    return _DEPTH_LIMITED[0]


def is_depth_error(exc: yaml.YAMLError) -> bool:
    """Whether libyaml stopped at its own nesting limit."""
    return getattr(exc, "problem_mark", None) is not None and "nesting depth" in str(
        getattr(exc, "problem", "")
    )
