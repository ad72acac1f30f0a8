"""How a value is written as YAML or JSON text: the one quoting function for keys and scalars
(:func:`scalar`), and the flow and block forms of mappings and lists built with it.

A word is written plain exactly when the API server reads the plain form back as that same
string (PyYAML's YAML 1.1 resolver, as :mod:`~seccomp_lint.text.documents` reads manifests, and
go-yaml v2's extra booleans ``y``/``n``) and its characters are safe as a block key, a block
value and in flow alike; otherwise it is double-quoted. JSON is always quoted.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from ..text.documents import STR

# Letters, digits and ``_./-``, not first a digit or punctuation: no indicator, no flow
# character, no ``: `` or `` #``, and none of YAML 1.1's numbers, so the same in every context.
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*\Z")
# go-yaml v2 (the Kubernetes decoder) reads these as booleans; PyYAML's resolver does not.
_GO_BOOLEANS = frozenset(["y", "Y", "n", "N"])
# A UTF-16 surrogate pair as json.dumps escapes a character beyond U+FFFF; YAML wants one escape.
_RESOLVER = Resolver()  # the implicit resolvers of the safe loaders (YAML 1.1)
_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


@lru_cache(maxsize=256)
def plain_ok(value: str) -> bool:
    """Whether ``value`` may be written as a plain scalar (key or value, block or flow)."""
    if not _PLAIN.match(value) or value in _GO_BOOLEANS:
        return False
    return _RESOLVER.resolve(ScalarNode, value, (True, False)) == STR


def scalar(value: str, js: bool) -> str:
    """A key or string value as text: plain where :func:`plain_ok`, else double-quoted (JSON
    text, ``js``: always double-quoted)."""
    if not js and plain_ok(value):
        return value
    return double_quoted(value, js)


def double_quoted(value: str, js: bool) -> str:
    """A string double-quoted, with JSON's escapes (YAML's for a character beyond U+FFFF)."""
    out = json.dumps(value)
    if js or "\\ud" not in out:
        return out
    return _PAIR.sub(lambda m: f"\\U{_astral(m.group(1), m.group(2)):08x}", out)


def _astral(high: str, low: str) -> int:
    return 0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00)


def styled(value: str, style: str | None, js: bool) -> str:
    """A string in a scalar's quoting style (``'``, ``"``, else plain where it may be)."""
    if style == "'" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    if style in ("'", '"'):
        return double_quoted(value, js)
    return scalar(value, js)


def flow(value: object, js: bool) -> str:
    """A mapping (nested mappings, string leaves) in flow style: ``{a: {b: c}}``."""
    if isinstance(value, dict):
        inner = ", ".join(f"{scalar(k, js)}: {flow(v, js)}" for k, v in value.items())
        return "{" + inner + "}"
    return scalar(str(value), js)


def _new_scalar(value: object, indent: int, step: int, nl: str) -> str:
    """A scalar (or empty collection) after ``key: `` or ``- ``: strings as :func:`scalar`
    writes them, a multi-line string as a literal block (``|-``), others as JSON writes them."""
    if isinstance(value, str):
        lines = value.split("\n")
        literal = lines[0][:1] not in ("", " ") and lines[-1]  # no break at its end: |-
        if len(lines) > 1 and literal and all(map(str.isprintable, lines)):
            pad = " " * (indent + step)
            return "|-" + "".join(f"{nl}{pad}{line}" if line else nl for line in lines)
        return scalar(value, False)
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"  # only empty ones come here
    return json.dumps(value)  # null, booleans, numbers


def block_lines(value: dict, indent: int = 0, step: int = 2, nl: str = "\n") -> str:
    """A new mapping in block style, every line ending ``nl``: nested mappings, lists (items at
    their key's indent) and scalars of any type, each written with :func:`scalar`."""
    out = []
    for key, item in value.items():
        head = f"{' ' * indent}{scalar(str(key), False)}:"
        if isinstance(item, dict) and item:
            out.append(head + nl + block_lines(item, indent + step, step, nl))
        elif isinstance(item, list) and item:
            out.append(head + nl + "".join(block_item(x, indent, step, nl) for x in item))
        else:
            out.append(f"{head} {_new_scalar(item, indent, step, nl)}{nl}")
    return "".join(out)


def block_item(value: object, indent: int, step: int, nl: str) -> str:
    """One item of a block list: ``- `` at ``indent``, a mapping's entries aligned after it."""
    if isinstance(value, dict) and value:
        return " " * indent + "- " + block_lines(value, indent + 2, step, nl)[indent + 2 :]
    return f"{' ' * indent}- {_new_scalar(value, indent, step, nl)}{nl}"
