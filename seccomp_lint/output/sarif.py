"""SARIF 2.1.0 reporter, shaped for GitHub code scanning."""

from __future__ import annotations

import functools
import json
import os
from json.encoder import encode_basestring
from typing import TextIO
from urllib.parse import quote

from .. import __version__
from ..model.data import Finding, Severity, Source
from ..rules import RULES, doc, level_name, section
from ..rules.base import Rule
from .identity import STDIN_NAMES, fingerprint, relative
from .report import RULES_DOC, Run, admission_dict, location, workspace_path, workspace_root

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/seccomp-lint/seccomp-lint"
FINGERPRINT_KEY = "seccompLint/v1"
SRCROOT = "%SRCROOT%"

# GitHub code scanning ranks the alerts of rules tagged "security" by the rule's
# properties.security-severity, a number from 0.0 to 10.0 written as a string: 9.0 and above is
# critical, 7.0 high, 4.0 medium, below that low. Each rule module states its SECURITY_SEVERITY
# (every error rule at or above every warning rule; highest where a container runs with every
# syscall allowed).


def write_sarif(run: Run, out: TextIO) -> None:
    """Write ``run`` as one SARIF log with one run (its results from :func:`_result_text`)."""
    writer = _Indented(out)
    writer.value(sarif_log(run, as_text=True), "")
    writer.parts.append("\n")
    writer.flush()


class _Written(str):
    """A value already written as JSON, at a result's place in the log (see _RESULT_PAD)."""


class _Indented:
    """Writes JSON exactly as ``json.dump(value, out, indent=2, ensure_ascii=False)`` does.

    With ``indent`` the standard library encodes in Python, a generator per container and a
    write per token (ten times the C encoder's time: most of a SARIF report of many findings);
    this writes whole lines, its strings encoded by json's C string encoder.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.parts: list[str] = []

    def flush(self) -> None:
        self.out.write("".join(self.parts))
        self.parts.clear()

    def value(self, value: object, pad: str) -> None:
        parts = self.parts
        kind = type(value)
        if kind is _Written:
            parts.append(value)  # type: ignore[arg-type]  # a str
        elif kind is str:
            parts.append(encode_basestring(value))  # type: ignore[arg-type]  # a str
        elif kind is dict:
            if not value:
                parts.append("{}")
                return
            inner = pad + "  "
            lead = "{\n" + inner
            for key, item in value.items():  # type: ignore[attr-defined]
                if type(key) is not str:
                    raise TypeError(f"a key that is not a string: {key!r}")
                if type(item) is str:  # most values: no call
                    parts.append(f"{lead}{encode_basestring(key)}: {encode_basestring(item)}")
                elif type(item) is int:
                    parts.append(f"{lead}{encode_basestring(key)}: {int.__repr__(item)}")
                else:
                    parts.append(f"{lead}{encode_basestring(key)}: ")
                    self.value(item, inner)
                lead = ",\n" + inner
            parts.append("\n" + pad + "}")
        elif kind is list or kind is tuple:
            if not value:
                parts.append("[]")
                return
            inner = pad + "  "
            lead = "[\n" + inner
            for item in value:  # type: ignore[attr-defined]
                parts.append(lead)
                lead = ",\n" + inner
                self.value(item, inner)
                if len(parts) > 65536:
                    self.flush()
            parts.append("\n" + pad + "]")
        elif value is None or kind is bool:
            parts.append("null" if value is None else "true" if value else "false")
        elif isinstance(value, int):
            parts.append(int.__repr__(value))
        elif isinstance(value, float):
            parts.append(json.dumps(value))
        elif isinstance(value, str):
            parts.append(encode_basestring(value))
        elif isinstance(value, dict):
            self.value(dict(value), pad)
        elif isinstance(value, (list, tuple)):
            self.value(list(value), pad)
        else:
            raise TypeError(f"not JSON: {type(value).__name__}")


def sarif_log(run: Run, as_text: bool = False) -> dict:
    """The SARIF log as a dict (``as_text``: each result already written, for the writer)."""
    index = {rule.ID: i for i, rule in enumerate(RULES)}
    seen: dict[str, int] = {}
    where = _Where()
    make = _result_text if as_text else _result
    results = [make(f, index, seen, where) for f in run.findings]
    notifications = [_notification(path, why, "note") for path, why in run.skipped] + [
        _notification(path, why, "error") for path, why in run.errors
    ]
    invocation: dict = {"executionSuccessful": not run.errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "seccomp-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in RULES],
                    }
                },
                "invocations": [invocation],
                # libyaml counts columns in characters, not UTF-16 code units.
                "columnKind": "unicodeCodePoints",
                # (the root the URIs are relative to: the workspace's, from any working folder)
                "originalUriBaseIds": {SRCROOT: {"uri": _dir_uri(workspace_root())}},
                "results": results,
            }
        ],
    }


def _rule(rule: Rule) -> dict:
    text = doc(rule)
    title = text.split("\n", 1)[0].strip()
    level = _level(rule.SEVERITY)
    return {
        "id": rule.ID,
        "name": "".join(part.capitalize() for part in rule.ID.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": " ".join(section(text, "What it does").split()) or title},
        "help": {"text": text, "markdown": text},
        "helpUri": f"{RULES_DOC}#{rule.ID}",
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["security", "kubernetes", "seccomp"],
            "security-severity": security_severity(rule),
            "level": level_name(rule),
        },
    }


def security_severity(rule: Rule) -> str:
    """The rule's ``security-severity`` for GitHub code scanning, e.g. ``"8.0"``."""
    return f"{float(rule.SECURITY_SEVERITY):.1f}"


def _level(severity: Severity) -> str:
    return "warning" if severity == Severity.WARNING else "error"


class _Where:
    """Paths as one log names them, each worked out once (a log names few files many times)."""

    def __init__(self) -> None:
        self.paths: dict[str, str] = {}
        self.uris: dict[str, str] = {}
        self.written: dict[tuple[str, str], str] = {}

    def path(self, path: str) -> str:
        """Relative to the workspace (``%SRCROOT%``), else absolute (a file outside it)."""
        found = self.paths.get(path)
        if found is None:
            found = workspace_path(path)
            # (workspace_path leaves a path outside the workspace as given: relative to the
            # working directory, which %SRCROOT% is not)
            outside = found == path and path not in STDIN_NAMES and not os.path.isabs(path)
            if outside and relative(path, workspace_root(), outside=False) is None:
                found = os.path.abspath(path)
            self.paths[path] = found
        return found

    def uri(self, path: str) -> str:
        """A path :meth:`path` gave as a URI reference."""
        found = self.uris.get(path)
        if found is None:
            found = self.uris[path] = _uri(path)
        return found

    def artifact(self, path: str) -> dict:
        """The artifact location of a path :meth:`path` gave (taken as it is: a relative one is
        the workspace's already, not the working directory's)."""
        if os.path.isabs(path):
            return {"uri": _file_uri(path)}
        return {"uri": self.uri(path), "uriBaseId": SRCROOT}

    def artifact_text(self, path: str, pad: str) -> str:
        """:meth:`artifact` as the writer writes it at ``pad``."""
        found = self.written.get((path, pad))
        if found is None:
            found = self.written[(path, pad)] = _flat(self.artifact(path), pad)
        return found


def _result(f: Finding, index: dict[str, int], seen: dict[str, int], where: _Where) -> dict:
    if f.path == "<stdin>" and f.source is not None:
        path, line, column = location(f)
    else:
        path, line, column = where.path(f.path), f.line, f.column
    own = where.path(f.path)
    result: dict = {
        "ruleId": f.rule,
        "level": _level(f.severity),
        "message": {"text": f.text + (f"\nhelp: {f.help}" if f.help else "")},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": where.artifact(path),
                    "region": {"startLine": line, "startColumn": column},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f, where.uri(path), seen)},
    }
    result.update({"ruleIndex": index[f.rule]} if f.rule in index else {})
    result.update({"properties": {"admission": admission_dict(f.admission)}} if f.admission else {})
    if f.object is not None and (f.object.kind or f.object.name):
        parts = [f.object.namespace, f.object.kind, f.object.name]
        result["locations"][0]["logicalLocations"] = [
            {
                "name": f.object.name or "",
                "fullyQualifiedName": "/".join(p for p in parts if p),
                "kind": "resource",
            }
        ]
    if f.source is not None and path == own:
        result["relatedLocations"] = _related(f.source)
    if f.fix is not None and f.fix.edits and path == own:
        result["fixes"] = [
            {
                "description": {"text": f"{f.fix.description} ({f.fix.applicability})"},
                "artifactChanges": [
                    {
                        "artifactLocation": where.artifact(own),
                        "replacements": [
                            {
                                # SARIF's endColumn is exclusive, as Edit.end is.
                                "deletedRegion": {
                                    "startLine": e.start.line,
                                    "startColumn": e.start.column,
                                    "endLine": e.end.line,
                                    "endColumn": e.end.column,
                                },
                                "insertedContent": {"text": e.content},
                            }
                            for e in f.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result


_s = encode_basestring
# Where a result sits in the log (log > runs > run > results): its keys are indented 10 spaces.
_RESULT_PAD = " " * 8


def _flat(entries: dict, pad: str) -> str:
    """A mapping of strings and integers as the writer writes it at ``pad``."""
    inner = pad + "  "
    body = ",\n".join(
        f"{inner}{_s(k)}: {_s(v) if type(v) is str else int.__repr__(v)}"
        for k, v in entries.items()
    )
    return f"{{\n{body}\n{pad}}}"


def _written(value: object, pad: str) -> str:
    """Any value as the writer writes it at ``pad`` (for the parts few results have)."""
    writer = _Indented(None)  # type: ignore[arg-type]  # (never flushed: one result is small)
    writer.value(value, pad)
    return "".join(writer.parts)


def _result_text(
    f: Finding, index: dict[str, int], seen: dict[str, int], where: _Where
) -> _Written:
    """``_result(f, ...)`` as the writer writes it in the log, from a template: a report of
    100,000 findings is written by one process (tests/test_outputs.py compares the two)."""
    if f.path == "<stdin>" and f.source is not None:
        path, line, column = location(f)
    else:
        path, line, column = where.path(f.path), f.line, f.column
    own = where.path(f.path)
    a = _RESULT_PAD + "  "
    b, c, d, e = a + "  ", a + "    ", a + "      ", a + "        "
    text = f.text + (f"\nhelp: {f.help}" if f.help else "")
    out = [
        f'{{\n{a}"ruleId": {_s(f.rule)},\n{a}"level": {_s(_level(f.severity))},\n'
        f'{a}"message": {{\n{b}"text": {_s(text)}\n{a}}},\n'
        f'{a}"locations": [\n{b}{{\n{c}"physicalLocation": {{\n'
        f'{d}"artifactLocation": {where.artifact_text(path, d)},\n'
        f'{d}"region": {{\n{e}"startLine": {int.__repr__(line)},\n'
        f'{e}"startColumn": {int.__repr__(column)}\n{d}}}\n{c}}}'
    ]
    obj = f.object
    if obj is not None and (obj.kind or obj.name):
        name = "/".join(p for p in (obj.namespace, obj.kind, obj.name) if p)
        out.append(
            f',\n{c}"logicalLocations": [\n{d}{{\n{e}"name": {_s(obj.name or "")},\n'
            f'{e}"fullyQualifiedName": {_s(name)},\n{e}"kind": "resource"\n{d}}}\n{c}]'
        )
    digest = _fingerprint(f, where.uri(path), seen)
    out.append(
        f'\n{b}}}\n{a}],\n{a}"partialFingerprints": {{\n{b}{_s(FINGERPRINT_KEY)}: {_s(digest)}\n'
        f"{a}}}"
    )
    if f.rule in index:
        out.append(f',\n{a}"ruleIndex": {int.__repr__(index[f.rule])}')
    if f.admission:
        properties = {"admission": admission_dict(f.admission)}
        out.append(f',\n{a}"properties": {_written(properties, a)}')
    if f.source is not None and path == own:
        out.append(f',\n{a}"relatedLocations": {_written(_related(f.source), a)}')
    if f.fix is not None and f.fix.edits and path == own:
        g, h, i = e + "  ", e + "    ", e + "      "
        replacements = ",\n".join(
            f'{g}{{\n{h}"deletedRegion": {{\n{i}"startLine": {int.__repr__(x.start.line)},\n'
            f'{i}"startColumn": {int.__repr__(x.start.column)},\n'
            f'{i}"endLine": {int.__repr__(x.end.line)},\n'
            f'{i}"endColumn": {int.__repr__(x.end.column)}\n{h}}},\n'
            f'{h}"insertedContent": {{\n{i}"text": {_s(x.content)}\n{h}}}\n{g}}}'
            for x in f.fix.edits
        )
        description = f"{f.fix.description} ({f.fix.applicability})"
        out.append(
            f',\n{a}"fixes": [\n{b}{{\n{c}"description": {{\n{d}"text": {_s(description)}\n'
            f'{c}}},\n{c}"artifactChanges": [\n{d}{{\n'
            f'{e}"artifactLocation": {where.artifact_text(own, e)},\n'
            f'{e}"replacements": [\n{replacements}\n{e}]\n{d}}}\n{c}]\n{b}}}\n{a}]'
        )
    out.append(f"\n{_RESULT_PAD}}}")
    return _Written("".join(out))


def _related(source: Source) -> list[dict]:
    """A rendered finding's related location: the template it was rendered from."""
    related: dict = {"artifactLocation": _artifact(source.path)}
    if source.line:
        related["region"] = {"startLine": source.line}
    return [{"id": 1, "physicalLocation": related, "message": {"text": "rendered from here"}}]


def _fingerprint(f: Finding, uri: str, seen: dict[str, int]) -> str:
    """Same value across runs while the object is unchanged, wherever it moves in the file
    (``uri``: the file it is pinned to); two findings of one rule on one object and container
    (e.g. pod and container level) get two, or code scanning merges them into one alert."""
    obj = f.at_source  # (a base's object as the base writes it, whichever overlay built it)
    kind, namespace, name = (obj.kind, obj.namespace, obj.name) if obj else (None, None, None)
    digest, count = fingerprint((f.rule, uri, kind, namespace, name, f.container), seen)
    return f"{digest}:{count}"


def _artifact(path: str) -> dict:
    path = workspace_path(path)
    if os.path.isabs(path):
        return {"uri": _file_uri(path)}
    return {"uri": _uri(path), "uriBaseId": SRCROOT}


def _uri(path: str) -> str:
    """A path relative to the workspace (:func:`workspace_path`) as a URI reference (forward
    slashes, percent-encoded)."""
    return _quoted(path)


@functools.lru_cache(maxsize=4096)
def _quoted(path: str) -> str:
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _file_uri(path: str) -> str:
    posix = os.path.abspath(path).replace(os.sep, "/")
    if not posix.startswith("/"):  # a Windows drive path
        posix = "/" + posix
    return "file://" + quote(posix.encode("utf-8", "surrogateescape"), safe="/:")


def _dir_uri(path: str) -> str:
    uri = _file_uri(path)
    return uri if uri.endswith("/") else uri + "/"


def _notification(path: str, why: str, level: str) -> dict:
    note: dict = {"level": level, "message": {"text": f"{path}: {why}"}}
    if path not in STDIN_NAMES:
        note["locations"] = [{"physicalLocation": {"artifactLocation": _artifact(path)}}]
    return note
