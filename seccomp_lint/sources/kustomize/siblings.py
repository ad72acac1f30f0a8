"""The other builds a fix reaches: a file several kustomizations read (a base, a component, a
shared patch) is fixed only if every build that reads it still builds, loses the finding where
it had it, and gains no finding anywhere.

Each of those builds is built once before the fix stage writes anything and again at each
end-to-end check, and compared with its first build: a written file is blamed when a build that
reads it no longer builds, gains a finding on an object the file feeds (the Windows overlay of a
base whose pod the fix gives a profile gains ``seccomp-on-windows-pod``), still has a finding
the file's fix was for, or has an object that differs by more than the changes planned for it.
The fix stage then puts the file back and the finding goes into a patch in the overlay that
needs it, or is declined with the build named.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable

from ...edit.splices import changed_exactly
from ...fix.stage import Written
from ...lint.linter import FileResult
from ...model.data import Change, Identity, Options
from ..adapter import Mapped
from ..discover import read_kustomization
from .build import Built, InSource, lint_built
from .overlay import built_data, changed_as_built

KMapped = Mapped[InSource]
Linted = tuple[FileResult, list[KMapped], list[Built]]


def built_identity(m: KMapped) -> Identity:
    """A finding's identity in the build output (its object's built kind and name)."""
    b = m.ref.built
    return m.finding.identity._replace(kind=b.kind if b else None, name=b.name if b else None)


def _real(path: str) -> str:
    return os.path.realpath(path)


class _Feeds:
    """Whether a file (its real path) is where a built object comes from or is patched: its
    resource file, a kustomization whose patches changed it, or a patch file such a
    kustomization names (each kustomization read once)."""

    def __init__(self) -> None:
        self._patches: dict[str, frozenset[str]] = {}

    def __call__(self, path: str, b: Built) -> bool:
        origin = b.origin
        if origin.path is not None and _real(origin.path) == path:
            return True
        return any(_real(k) == path or path in self._patch_files(k) for k in origin.patched_in)

    def _patch_files(self, kustomization: str) -> frozenset[str]:
        if kustomization not in self._patches:
            real = _real(kustomization)
            found = read_kustomization(os.path.dirname(real), real).patches
            self._patches[kustomization] = frozenset(map(_real, found))
        return self._patches[kustomization]


class Siblings:
    """The builds other than the one being fixed that read a file the fix stage may write."""

    def __init__(
        self,
        directory: str,
        readers: Callable[[str], tuple[str, ...]],
        paths: Iterable[str],
        options: Options,
    ) -> None:
        mine = _real(directory)
        self.options = options
        self._readers: dict[str, tuple[str, ...]] = {}
        self._lookup = readers
        self._mine = mine
        self._feeds = _Feeds()
        wanted = sorted({d for p in paths for d in self.of(p)})
        # Built before anything is written: what each of them is, and must stay but for the fix.
        self.before: dict[str, Linted] = {d: lint_built(d, options) for d in wanted}

    def of(self, path: str) -> tuple[str, ...]:
        """The other builds (directories as shown) that read a file."""
        real = _real(path)
        if real not in self._readers:
            found = self._lookup(real)
            self._readers[real] = tuple(d for d in found if _real(d) != self._mine)
        return self._readers[real]

    def blamed(self, written: list[Written], standing: list[Written]) -> dict[Written, str]:
        """The files just ``written`` that some other build reading them does not take, and
        why; ``standing`` is every file the stage has written and not put back (these too)."""
        reasons: dict[Written, list[str]] = {}
        for directory, before in self.before.items():
            readers = [w for w in written if directory in self.of(w.path)]
            if not readers or before[0].error:
                continue  # (a build that failed before the fix is not the fix's to judge)
            for w, why in self._judge(directory, before, readers, standing).items():
                reasons.setdefault(w, []).append(why)  # one reason per build: each named
        return {w: "; ".join(why) for w, why in reasons.items()}

    def _judge(
        self, directory: str, before: Linted, readers: list[Written], standing: list[Written]
    ) -> dict[Written, str]:
        now = lint_built(directory, self.options)
        result, mapped, built = now
        if result.error:
            return {w: f"{directory} would no longer build: {result.error}" for w in readers}
        out: dict[Written, str] = {}
        was_mapped, was_built = before[1], before[2]

        def culprits(b: Built | None) -> list[Written]:
            fed = [w for w in readers if b is not None and self._feeds(_real(w.path), b)]
            return fed or readers

        was = Counter(built_identity(m) for m in was_mapped if m.finding.suppressed is None)
        have = Counter(built_identity(m) for m in mapped if m.finding.suppressed is None)
        for identity in have - was:
            at = (identity.kind, identity.namespace, identity.name)
            b = next((x for x in built if (x.kind, x.namespace, x.name) == at), None)
            for w in culprits(b):
                out.setdefault(
                    w,
                    f"{directory} would gain {identity.rule} for {identity.kind}/{identity.name}",
                )
        for w in readers:
            fixed = {m.ref.edit_identity for m in w.targets if m.ref.edit_identity is not None}
            real = _real(w.path)
            for m in was_mapped:
                target = m.ref.edit_file is not None and _real(m.ref.edit_file) == real
                if target and m.ref.edit_identity in fixed and have[built_identity(m)]:
                    b = m.ref.built
                    label = f"{b.kind}/{b.name}" if b else "an object"
                    out.setdefault(w, f"{directory} still has {m.finding.rule} for {label}")
        for i, why in _unintended(was_built, built, standing, self._feeds):
            b = built[i] if i < len(built) else None
            for w in culprits(b):
                out.setdefault(w, f"{directory}: {why}")
        return out


def _unintended(
    before: list[Built], after: list[Built], standing: list[Written], feeds: _Feeds
) -> list[tuple[int, str]]:
    """The documents of another build's new output that differ from its first output by more
    than the changes planned for the same source object (none, for an object no written file
    feeds); every document when their number differs."""
    if len(before) != len(after):
        return [(0, "the build has a different number of objects")]
    out = []
    for i, (old, new) in enumerate(zip(before, after)):
        old_data, new_data = built_data(old), built_data(new)
        if changed_exactly(old_data, new_data, []) is None:
            continue
        plans = _plans(new, standing, feeds)
        if not any(changed_as_built(old_data, new_data, p) for p in plans):
            out.append((i, f"the built {new.kind}/{new.name} differs by more than the fix"))
    return out


def _plans(b: Built, standing: list[Written], feeds: _Feeds) -> list[list[Change]]:
    """The changes planned for each source object of the same kind in the files that feed a
    built object (one list per object of the build being fixed)."""
    by_object: dict[tuple, list[Change]] = {}
    for w in standing:
        if not feeds(_real(w.path), b):
            continue
        for m in w.targets:
            mine, fix = m.ref.built, m.rendered.fix
            if mine is None or fix is None or mine.kind != b.kind:
                continue
            if not (mine.origin.path and b.origin.path) or _real(mine.origin.path) != _real(
                b.origin.path
            ):
                continue
            src = m.ref.source  # the object in its resource file (two namespaces: two objects)
            key = (mine.kind, src.namespace, src.name) if src else (mine.kind, None, None)
            changes = by_object.setdefault(key, [])
            changes += [c for c in fix.changes if c not in changes]
    return list(by_object.values())
