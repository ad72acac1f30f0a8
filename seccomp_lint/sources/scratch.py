"""``--diff`` of a build, exactly as ``--fix`` would make it: the fix stage runs, writing and
checking as ``--fix`` does, in a scratch copy of the files the build and every other build
sharing its files read; the copy's changes are the diff, and nothing of the user's is written.

So a fix ``--fix`` would put back (a base edit another overlay refuses) is not in the diff, and
the patch it would add instead is. The copy holds what the repository's index says the builds
read (a kustomization's resources, patches, components and generator files through its bases),
at the same places under a temporary folder that
stands for the repository root (with a ``.git`` when the root has one, so the project is the
same), with the working directory at the same place in it. Symbolic links are copied as the
files they point to, so no write can leave the copy. When a build reads something the index
does not know (and so fails in the copy) the caller falls back to an unchecked diff.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import chdir, contextmanager
from dataclasses import dataclass, replace

from ..lint.linter import FileResult
from ..model.data import Finding, Source
from .files import SKIPPED_DIRS
from .toolrun import scratch_folder


@dataclass(frozen=True)
class Scratch:
    """A scratch copy: its root, and the repository root it stands for."""

    root: str
    real: str

    def inside(self, path: str) -> str:
        """A path of the repository (relative to the working directory, or absolute) as the
        same path in the copy (a relative path stays as it is: the working directory is at
        the same place in the copy)."""
        if not os.path.isabs(path):
            return path
        rel = os.path.relpath(os.path.realpath(path), self.real)
        return os.path.normpath(os.path.join(self.root, rel))

    def real_path(self, path: str) -> str:
        """The real absolute path of a path of the copy (relative to the working directory)."""
        full = os.path.realpath(path)
        return os.path.join(self.real, os.path.relpath(full, self.root))

    def back(self, text: str) -> str:
        """A text of the copy's run (a path, a message) with the copy's root as the real one."""
        return text.replace(self.root, self.real) if self.root in text else text

    def finding(self, f: Finding) -> Finding:
        source = f.source
        if source is not None:
            source = Source(self.back(source.path), source.line)
        return replace(f, path=self.back(f.path), source=source)

    def result(self, r: FileResult) -> FileResult:
        return replace(r, path=self.back(r.path), findings=[self.finding(f) for f in r.findings])


def _files_under(folder: str) -> Iterator[str]:
    """Every file under a folder, links followed, each folder once (a link loop is not)."""
    seen: set[tuple[int, int]] = set()
    for here, dirs, names in os.walk(folder, followlinks=True):
        st = os.stat(here)
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in names:
            yield os.path.join(here, name)


def _links(real_root: str, root: str) -> None:
    """The repository's symbolic links to places inside it, made again in the copy (pointing
    at the copy's files): a kustomization that names a linked base builds there too."""
    for here, dirs, names in os.walk(real_root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in [*dirs, *names]:
            link = os.path.join(here, name)
            if not os.path.islink(link):
                continue
            target = os.path.realpath(link)
            if os.path.commonpath([real_root, target]) != real_root:
                continue  # (what a build reads through it is outside: the caller falls back)
            made = os.path.join(root, os.path.relpath(link, real_root))
            if os.path.lexists(made):
                continue
            os.makedirs(os.path.dirname(made), exist_ok=True)
            aim = os.path.join(root, os.path.relpath(target, real_root))
            os.symlink(os.path.relpath(aim, os.path.dirname(made)), made)


@contextmanager
def scratch_copy(
    real_root: str, files: Iterable[str], staged: dict[str, bytes] | None = None
) -> Iterator[Scratch]:
    """A scratch copy of ``files`` (absolute paths under ``real_root``; a folder: everything
    under it), with the texts ``staged`` for some of them (real path -> text: what an earlier
    fix would have written, a new file too), the working directory moved to its place in the
    copy while inside; the copy
    is deleted after. Raises ValueError for a path outside the root, or a working directory
    outside it (the caller falls back)."""
    real_root = os.path.realpath(real_root)
    cwd = os.path.realpath(os.getcwd())
    if os.path.commonpath([real_root, cwd]) != real_root:
        raise ValueError("the working directory is outside the repository")
    wanted: set[str] = set()
    for path in files:
        found = _files_under(path) if os.path.isdir(path) else [path]
        wanted |= set(map(os.path.realpath, found))
    if any(os.path.commonpath([real_root, p]) != real_root for p in wanted):
        raise ValueError("a file the build reads lies outside the repository")
    with scratch_folder("seccomp-lint-diff-") as tmp:  # (a signal's end_tools removes it too)
        root = os.path.join(os.path.realpath(tmp), "repo")
        os.makedirs(root)
        if os.path.exists(os.path.join(real_root, ".git")):
            os.mkdir(os.path.join(root, ".git"))
        for path in sorted(wanted):
            if not os.path.isfile(path):
                continue
            target = os.path.join(root, os.path.relpath(path, real_root))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(path, target)  # (mode bits too: a read-only file stays read-only)
        _links(real_root, root)
        for path, data in (staged or {}).items():
            if os.path.commonpath([real_root, path]) == real_root:
                target = os.path.join(root, os.path.relpath(path, real_root))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as handle:
                    handle.write(data)
        here = os.path.join(root, os.path.relpath(cwd, real_root))
        os.makedirs(here, exist_ok=True)
        with chdir(here):
            yield Scratch(root, real_root)
