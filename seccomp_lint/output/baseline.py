"""The baseline file: record today's findings (``--write-baseline``), then report only those not
in it (``--baseline``).

An entry is keyed by what survives edits (rule, path relative to the baseline file, kind,
namespace, name, container, setting), never by line. Entries form a multiset: two findings with
one key need two entries, so a second, new finding of that key is still reported. A finding
that covers several containers has an entry per container: it is baselined only while every
container it names has one, so a container added without a profile is reported, and one fixed
leaves an entry that matches nothing (the file can be shrunk). Files written before that hold
one entry with ``container: null`` for such a finding; it still matches it, as it did.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..edit.writer import write_whole
from ..model.data import Finding
from ..rules import SYNTAX
from .identity import REPORT_ERRORS, Key, finding_key, lossy, relative
from .report import BaselineUse, Run

VERSION = 1
FIELDS = ("rule", "path", "kind", "namespace", "name", "container", "setting")


class BaselineError(Exception):
    """A baseline file that cannot be read or is not one (exit code 2): its path, and ``after``
    it in the message (``: why``, or ``:line:column: why``)."""

    def __init__(self, path: str, after: str) -> None:
        super().__init__(path + after)
        self.path, self.why = path, after.lstrip(": ")


@dataclass
class Baseline:
    """A loaded (or freshly recorded) baseline: its file and its entries, counted."""

    path: str
    entries: Counter[Key] = field(default_factory=Counter)
    # It could not be read: no fix stage may fix anything (any finding may be recorded in it).
    fixes_none: bool = False

    @property
    def root(self) -> str:
        """The directory entry paths are relative to: the baseline file's."""
        return os.path.dirname(os.path.abspath(self.path))


def entry_keys(f: Finding, root: str) -> list[Key]:
    """The baseline entries of a finding: one per container it covers (one for the pod)."""
    key = finding_key(f, root)
    if len(f.containers) < 2:
        return [key]
    return [key._replace(container=name) for name in f.containers]


def record(path: str, findings: list[Finding]) -> Baseline:
    """A baseline at ``path`` holding the entries of every finding."""
    baseline = Baseline(path)
    kept = (f for f in findings if f.rule != SYNTAX.ID)  # (a file not read is no debt to keep)
    baseline.entries.update(k for f in kept for k in entry_keys(f, baseline.root))
    return baseline


def match(
    baseline: Baseline,
    findings: list[Finding],
    checked: Iterable[str] = (),
    judged: Callable[[str, str], bool] = lambda rule, path: True,
) -> tuple[list[Finding], BaselineUse]:
    """The findings the baseline does not cover (each entry covers one finding's container; a
    syntax error never: the file was not read), and what it did. An entry that matched nothing
    is gone only where the run ``judged`` its rule in its file (run, not ignored there) and its
    file was ``checked`` and parsed, or is no more: a run over some files (pre-commit's), or
    with some rules, says nothing of the rest."""
    root = baseline.root
    left = Counter(baseline.entries)
    new = []
    unread = set()
    for f in findings:
        if f.rule == SYNTAX.ID:
            new.append(f)
            unread.add(finding_key(f, root).path)
            continue
        wanted = Counter(entry_keys(f, baseline.root))
        if all(left[k] >= n for k, n in wanted.items()):
            left.subtract(wanted)
            continue
        legacy = finding_key(f, baseline.root)  # a file written before entries per container
        if len(f.containers) > 1 and left[legacy] > 0:
            left[legacy] -= 1
            continue
        new.append(f)
        # The containers that are recorded still match: their entries are not gone.
        left.subtract({k: min(n, left[k]) for k, n in wanted.items()})
    read = {lossy(relative(p, root) or p) for p in checked} - unread
    if any(not os.path.lexists(os.path.join(root, p)) for p in unread):
        read = set()  # (a render that did not parse: which of its files it read is not known)
    gone = sum(
        n
        for k, n in left.items()
        if n > 0
        and judged(k.rule, os.path.join(root, k.path))
        and (k.path in read or not os.path.lexists(os.path.join(root, k.path)))
    )
    matched = sum(baseline.entries.values()) - sum(n for n in left.values() if n > 0)
    return new, BaselineUse(baseline.path, matched, gone, len(findings) - len(new))


def recorded(baseline: Baseline, f: Finding) -> bool:
    """Whether the baseline has an entry for each container a finding covers (then a plain run
    does not report it, and no fix stage fixes it: a baseline is accepted debt, as a
    suppression is)."""
    return baseline.fixes_none or all(baseline.entries[k] for k in entry_keys(f, baseline.root))


def settle(
    run: Run,
    given: Baseline | None,
    write_to: str | None,
    failed: bool = False,
    judged: Callable[[str, str], bool] = lambda rule, path: True,
) -> str | None:
    """With ``write_to``, record the run's findings there (raises OSError) and take them as its
    baseline, unless the run ``failed`` (an input not read or built: its entries would be
    lost); then report only the findings the baseline ``given`` does not cover. Returns a
    notice."""
    notice = None
    if write_to and failed:
        return f"{write_to} not written: the run could not check every input"
    if write_to:
        given = record(write_to, run.findings)
        write_baseline(given)
        n = sum(given.entries.values())
        notice = f"wrote {n} baseline {'entry' if n == 1 else 'entries'} to {write_to}"
    if given is not None and not given.fixes_none:  # (one that could not be read: none)
        run.findings, run.baseline = match(given, run.findings, run.checked, judged)
    return notice


def _sort_key(k: Key) -> tuple[str, ...]:
    return tuple("" if v is None else v for v in k)


def baseline_text(baseline: Baseline) -> str:
    """The file's text: sorted entries, one per line, so it diffs well in review."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = [
        "    " + encode(dict(zip(FIELDS, k, strict=True)))
        for k in sorted(baseline.entries.elements(), key=_sort_key)
    ]
    body = ",\n".join(lines)
    return (
        f'{{\n  "version": {VERSION},\n  "entries": ['
        + (f"\n{body}\n  " if body else "")
        + "]\n}\n"
    )


def write_baseline(baseline: Baseline) -> None:
    """Write the file whole or not at all (raises OSError with its ``filename``); a path that is
    not UTF-8 as :data:`~.identity.REPORT_ERRORS` writes it."""
    why = write_whole(baseline.path, baseline_text(baseline).encode("utf-8", REPORT_ERRORS))
    if why is not None:
        raise OSError(0, why.removeprefix("cannot write it: "), baseline.path)


def read_baseline(path: str) -> Baseline:
    """Read a baseline file; a file that is not one raises :class:`BaselineError`, saying where."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise BaselineError(path, f": cannot read baseline file: {why}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(path, f":{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise BaselineError(path, ': expected an object with an "entries" list')
    if type(data.get("version")) is not int or data["version"] != VERSION:  # (not true, 1.0)
        raise BaselineError(path, f": unsupported baseline version {data.get('version')!r}")
    baseline = Baseline(path)
    for number, entry in enumerate(data["entries"], 1):
        baseline.entries[_entry(path, number, entry)] += 1
    return baseline


def _entry(path: str, number: int, entry: object) -> Key:
    if not isinstance(entry, dict) or set(entry) != set(FIELDS):
        raise BaselineError(path, f": entry {number}: expected the keys {', '.join(FIELDS)}")
    for name in FIELDS:
        value = entry[name]
        required = name in ("rule", "path")
        if not (isinstance(value, str) or (value is None and not required)):
            what = "a string" if required else "a string or null"
            raise BaselineError(path, f": entry {number}: {name!r} must be {what}, not {value!r}")
    return Key(*(entry[name] for name in FIELDS))
