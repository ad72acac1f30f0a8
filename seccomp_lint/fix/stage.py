"""The fix stage of a build source's files, the same for every source.

The source's adapter locates each planned change in its files; here each file is fixed through
the one fix loop (:func:`~seccomp_lint.fix.fixes.fix_file`: the findings the adapter located
there, with their own planned fixes) or given the new text the adapter spliced (a patch
rewritten from the build's fix), written atomically with ``--fix``, and then confirmed by the
adapter's end-to-end check (rebuild, re-render). A file the check blames is put back, only while
it still holds what was written, and the findings it was for are handed back to the adapter.

A file written and not yet confirmed by the check is put back too when the stage ends early
(an interrupt, SIGTERM, a tool or program error): run the stage inside :meth:`Stage.guarded`, so
every file is as it was before the run or as the check confirmed it. A write and its record,
and each put-back, happen with the terminating signals held, so no signal falls between them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
        self.unconfirmed: list[Written] = []  # written, not yet confirmed by the check

    def fix_in_file(self, path: str, shown: str, identities: set[tuple]) -> Written | None:
        """Fix the findings with these identities in one file through the one fix loop; the
        file as changed, or None."""

        def located(f: Finding) -> bool:
            return f.identity in identities

        try:
            seen = writer.stamp(path) if self.write else None
        except OSError as exc:
            self.problems.append((shown, f"cannot read: {exc.strerror or exc}"))
            return None
        ff = fix_file(path, self.options, self.unsafe, False, shown, located)
        self.held_back += ff.held_back
        if ff.changed and seen is not None:
            w = Written(path, shown, ff.original, ff.fixed, file_fix=ff)
            failed = self.put(w, seen)
            if failed is None:
                return w
            why = f"not rewritten: {failed}"
            ff = replace(ff, fixed=ff.original, findings=ff.before, fixed_count=0, notice=why)
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
        if not self.write:
            self.record(w)
            return None
        with writer.signals_held():  # written means recorded, to be put back if need be
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
            self.unconfirmed.append(w)
        self.written.append(w)

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """Put back every file written and not confirmed when the stage ends early, whatever
        ends it; SIGTERM and SIGHUP (when they would end the process at once) end it as an
        exception here, and then end the process as they would have."""
        stopped: list[int] = []
        with _terminations_raise(stopped):
            try:
                yield
            except BaseException:
                with writer.signals_held():
                    for w in reversed(list(self.unconfirmed)):
                        self._put_back(w)
                raise
        if stopped:  # (the process ends here, as the signal would have ended it)
            writer.end_as(stopped[0])

    def _put_back(self, w: Written) -> str | None:
        """Undo one write (signals held: it is undone and forgotten together); why not, or
        None."""
        with writer.signals_held():
            failed = w.undo()
            if w in self.written:
                self.written.remove(w)
            if w in self.unconfirmed:
                self.unconfirmed.remove(w)
        return failed

    def confirm(self, written: list[Written]) -> dict[Written, str]:
        """Run the end-to-end check on files just written and put back those it blames (their
        targets go to ``undone``); the blamed files, and why (said, unless empty). The others
        are confirmed."""
        blamed = self.check(written)
        for w, why in blamed.items():
            failed = self._put_back(w)
            if failed:
                self.problems.append((w.shown, f"{why}; {_not_undone(w, failed)}"))
            elif w.original is None:
                self.problems.append((w.shown, f"not added: {why}"))
            elif why:  # (no reason: put back without a word)
                self.problems.append((w.shown, f"fix undone: {why}"))
            self.undone.extend(w.targets)
        self.unconfirmed = [w for w in self.unconfirmed if w not in written]
        return blamed

    def take_back(self, w: Written) -> None:
        """Undo a file of a change given up; a problem only when it cannot be."""
        if not self.write:
            if w in self.written:
                self.written.remove(w)
            return
        failed = self._put_back(w)
        if failed:
            self.problems.append((w.shown, _not_undone(w, failed)))

    def files(self) -> list[FileFix]:
        return [w.as_file_fix() for w in self.written]


def _not_undone(w: Written, why: str) -> str:
    if w.original is None:
        return f"the new file could not be taken out again: {why}"
    return f"the fix could not be undone: {why}"


class _Stopped(BaseException):
    """SIGTERM or SIGHUP arrived while a stage had files to put back."""


@contextmanager
def _terminations_raise(stopped: list[int]) -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP (where they would end the process at once) raise
    :class:`_Stopped` instead, and are noted in ``stopped``; their handling is restored after."""

    def stop(signum: int, frame: object) -> None:
        stopped.append(signum)
        raise _Stopped(signum)

    with writer.terminations_to(stop):
        try:
            yield
        except _Stopped:
            pass  # what was written is put back: the caller ends the process as the signal would
