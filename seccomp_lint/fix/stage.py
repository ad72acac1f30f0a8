"""The fix stage of a build source's files, the same for every source.

The source's adapter locates each planned change in its files; here each file is fixed through
the one fix loop (:func:`~seccomp_lint.fix.fixes.fix_file`: the findings the adapter located
there, with their own planned fixes) or given the new text the adapter spliced (a patch
rewritten from the build's fix), written atomically with ``--fix``, and then confirmed by the
adapter's end-to-end check (rebuild, re-render). A file the check blames is put back, only while
it still holds what was written, and the findings it was for are handed back to the adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..edit import writer
from ..model.data import Finding, Options
from .fixes import FileFix, fix_file

# An adapter's end-to-end check: the files just written -> those it blames, and why.
EndToEnd = Callable[[list["Written"]], dict["Written", str]]


@dataclass(eq=False)
class Written:
    """A file the stage changed (or would, with --diff), and the findings it fixes."""

    path: str
    shown: str
    original: bytes | None  # None: a new file
    fixed: bytes
    targets: list[Any] = field(default_factory=list)  # the adapter's records of its findings
    file_fix: FileFix | None = None  # when the one fix loop made it
    seen: tuple[int, int] | None = None  # its stamp just after it was written

    def as_file_fix(self) -> FileFix:
        if self.file_fix is not None:
            return self.file_fix
        return FileFix(
            self.shown, self.original or b"", self.fixed, [], fixed_count=len(self.targets)
        )

    def undo(self) -> str | None:
        """Put the file back as it was (a new file: removed), only while it still holds what
        was written; why that failed, or None."""
        return writer.put_back(self.path, self.original, self.fixed, self.seen)


class Stage:
    """One build's fix stage: what was written, what could not be done, what was undone."""

    def __init__(self, options: Options, unsafe: bool, write: bool, check: EndToEnd) -> None:
        self.options, self.unsafe, self.write, self.check = options, unsafe, write, check
        self.written: list[Written] = []
        self.problems: list[tuple[str, str]] = []  # (path, why)
        self.held_back = 0  # unsafe fixes not applied
        self.undone: list[Any] = []  # the targets of files put back: for the adapter to retry

    def fix_in_file(self, path: str, shown: str, identities: set[tuple]) -> Written | None:
        """Fix the findings with these identities in one file through the one fix loop; the
        file as changed, or None."""

        def located(f: Finding) -> bool:
            return f.identity in identities

        ff = fix_file(path, self.options, self.unsafe, self.write, shown, located)
        self.held_back += ff.held_back
        if ff.error or ff.notice:
            self.problems.append((shown, ff.error or ff.notice or ""))
        if not ff.changed:
            return None
        w = Written(path, shown, ff.original, ff.fixed, file_fix=ff)
        self.record(w)
        return w

    def put(self, w: Written, seen: tuple[int, int] | None) -> str | None:
        """Write a text the adapter spliced with ``--fix``: over the file stamped ``seen`` when
        it was read, or a new file (``w.original`` None); why it could not be, or None (then it
        is recorded)."""
        if self.write:
            if w.original is None or seen is None:
                failed = writer.create_atomically(w.path, w.fixed)
            else:
                failed = writer.replace_atomically(w.path, w.fixed, w.original, seen)
            if failed:
                return failed
        self.record(w)
        return None

    def record(self, w: Written) -> None:
        """A file just changed (with --fix: written, and stamped to undo only that version)."""
        if self.write:
            try:
                w.seen = writer.stamp(w.path)
            except OSError:
                pass
        self.written.append(w)

    def confirm(self, written: list[Written]) -> dict[Written, str]:
        """Run the end-to-end check on files just written and put back those it blames (their
        targets go to ``undone``); the blamed files, and why."""
        blamed = self.check(written)
        for w, why in blamed.items():
            self.written.remove(w)
            failed = w.undo()
            if failed:
                self.problems.append((w.shown, f"{why}; {_not_undone(w, failed)}"))
            elif w.original is None:
                self.problems.append((w.shown, f"not added: {why}"))
            else:
                self.problems.append((w.shown, f"fix undone: {why}"))
            self.undone.extend(w.targets)
        return blamed

    def take_back(self, w: Written) -> None:
        """Undo a file of a change given up; a problem only when it cannot be."""
        if w in self.written:
            self.written.remove(w)
        if not self.write:
            return
        failed = w.undo()
        if failed:
            self.problems.append((w.shown, _not_undone(w, failed)))

    def files(self) -> list[FileFix]:
        return [w.as_file_fix() for w in self.written]


def _not_undone(w: Written, why: str) -> str:
    if w.original is None:
        return f"the new file could not be taken out again: {why}"
    return f"the fix could not be undone: {why}"
