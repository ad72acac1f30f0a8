"""Inputs: files, directories (recursively) and stdin, linted serially or across processes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from ..lint.config import Config, patterns
from ..lint.linter import FileResult, lint_bytes, lint_part, lint_stream
from ..model.data import Options
from ..text.errors import ToolContractError
from ..text.streams import Part, has_bom, json_file, looks_json, parts
from .charts import chart_reads_files

if TYPE_CHECKING:
    import pathspec

EXTENSIONS = (".yaml", ".yml", ".json")  # in any case: deploy.YAML is linted too
# Directories of version control and tools: never walked (dot-directories such as .k8s/ are).
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".jj",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".terraform",
        ".idea",
    }
)
STDIN = "-"
# Below this many bytes in all, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 4 << 20
# stdin a lint run keeps, to show findings of Helm-rendered documents at their templates' lines
KEEP_STDIN_BYTES = 16 << 20


@dataclass(frozen=True)
class Input:
    """One thing to lint: a file path, or ``-`` for stdin."""

    path: str
    size: int = 0
    # (device, inode) of the file, from the stat that gave its size: one physical file reached
    # by two paths is taken once (None: stdin, or a path that cannot be stat'ed)
    file_id: tuple[int, int] | None = None


@dataclass
class Discovery:
    """What the paths named: the inputs, what could not be read, and what was passed over."""

    inputs: list[Input] = field(default_factory=list)
    discovered: int = 0  # inputs found before exclusions
    # (path, why): a path that does not exist, an unreadable directory: reported, exit 2
    errors: list[tuple[str, str]] = field(default_factory=list)
    # (path, why): passed over, e.g. a broken symlink; said and counted as skipped, not failed
    notices: list[tuple[str, str]] = field(default_factory=list)

    def once(self) -> None:
        """Each physical file once (a symlink and its target, a file named twice), under the
        first path that is not a symlink, else the first path: ``--diff`` then names the file
        git knows, and ``--fix`` rewrites it once."""
        order: dict[tuple[int, int] | str, Input] = {}
        for item in self.inputs:
            key = item.file_id or item.path
            held = order.get(key)
            if held is None:
                order[key] = item
            elif os.path.islink(held.path) and not os.path.islink(item.path):
                order[key] = item  # the position stays the first path's
        self.inputs = list(order.values())


def discover(paths: list[str], respect_gitignore: bool = True) -> Discovery:
    """The inputs named by ``paths``, directories walked; a path that does not exist is an
    error of the discovery (the other paths are still read). A walk leaves out what ``.gitignore`` files ignore (those in the walked directories
    and those above them up to the repository's root); a file named explicitly is read."""
    found = Discovery()
    for path in paths:
        if path == STDIN:
            found.inputs.append(Input(STDIN))
            continue
        if not os.path.lexists(path):
            found.errors.append((path, "no such file or directory"))
            continue
        if os.path.isdir(path):
            found.inputs.extend(_walk(path, found, respect_gitignore))
        else:
            found.inputs.append(_input(path))
    found.once()
    return found


def gather(
    paths: list[str],
    config: Config | None,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    own: Sequence[str | None] = (),
) -> Discovery:
    """:func:`discover` less what the config file's ``exclude`` and ``--exclude`` (patterns
    relative to the working directory) leave out, and the run's ``own`` files (its baseline)."""
    found = discover(paths, respect_gitignore)
    found.discovered = len(found.inputs)
    excluded = excluder(config, exclude)
    ours = {os.path.abspath(p) for p in own if p}
    found.inputs = [
        i
        for i in found.inputs
        if i.path == STDIN or not (excluded(i.path) or (ours and os.path.abspath(i.path) in ours))
    ]
    return found


def excluder(config: Config | None, exclude: Sequence[str] = ()) -> Callable[[str], bool]:
    """Whether the config file's ``exclude`` or ``--exclude`` leaves a path out."""
    cli = patterns(exclude) if exclude else None

    def excluded(path: str) -> bool:
        if config is not None and config.excluded(path):
            return True
        rel = os.path.relpath(os.path.abspath(path)).replace(os.sep, "/")
        return cli is not None and not rel.startswith("../") and cli.match_file(rel)

    return excluded


@lru_cache(maxsize=4096)
def git_root(directory: str) -> str | None:
    """The Git work tree holding ``directory`` (the nearest folder from it up with a ``.git``),
    in the form given (absolute or real), or None; each folder looked at once per run."""
    if os.path.exists(os.path.join(directory, ".git")):
        return directory
    parent = os.path.dirname(directory)
    return None if parent == directory else git_root(parent)


def _input(path: str) -> Input:
    """A file to lint, with its size and identity from one stat."""
    try:
        st = os.stat(path)
    except OSError:
        return Input(path)
    return Input(path, st.st_size, (st.st_dev, st.st_ino))


class Ignores:
    """The ``.gitignore`` files that apply in a walk, each with the directory it sits in."""

    def __init__(self, top: str, enabled: bool) -> None:
        self.enabled = enabled
        self.specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        if enabled:
            # Those above the walked directory, up to the repository's root, apply too.
            above = []
            here = os.path.dirname(os.path.abspath(top))
            while True:
                above.append(here)
                if os.path.exists(os.path.join(here, ".git")):
                    break
                parent = os.path.dirname(here)
                if parent == here:
                    above = []  # not in a repository: only the walk's own files count
                    break
                here = parent
            for folder in reversed(above):
                self.add(folder)

    def add(self, folder: str) -> None:
        """Read ``folder/.gitignore`` if there is one."""
        if not self.enabled:
            return
        try:
            with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as f:
                spec = patterns(f.read().splitlines())
        except OSError:
            return
        self.specs.append((os.path.abspath(folder), spec))

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether the deepest ``.gitignore`` that has a say ignores ``path``."""
        verdict = False
        full = os.path.abspath(path)
        for folder, spec in self.specs:
            if not full.startswith(folder + os.sep):
                continue
            rel = os.path.relpath(full, folder).replace(os.sep, "/") + ("/" if is_dir else "")
            result = spec.check_file(rel)
            if result.include is not None:
                verdict = result.include
        return verdict


# Linux names the file an open descriptor refers to: the kernel resolves a path in three system
# calls where os.path.realpath makes one lstat per component (27 against 6 µs, a walk with builds
# asks hundreds of times).
_FD_NAMES = "/proc/self/fd/" if hasattr(os, "O_PATH") and os.path.isdir("/proc/self/fd") else None


def real_path(path: str) -> str:
    """``os.path.realpath(path)``: by the kernel where the path exists (Linux), else by
    :func:`os.path.realpath` itself (a missing file, a dangling link, another system)."""
    if _FD_NAMES is None:
        return os.path.realpath(path)
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (OSError, ValueError):
        return os.path.realpath(path)
    try:
        return os.readlink(f"{_FD_NAMES}{fd}")
    except OSError:
        return os.path.realpath(path)
    finally:
        os.close(fd)


def _ancestor_link(path: str, top: str) -> bool:
    """Whether ``path`` is a symlink to the walk's top or a folder above it: entering it would
    walk the parent's files through the link."""
    if not os.path.islink(path):
        return False
    real = real_path(path)
    return top == real or top.startswith(real.rstrip(os.sep) + os.sep)


def _walk(top: str, found: Discovery, respect_gitignore: bool) -> Iterator[Input]:
    seen: set[tuple[int, int]] = set()
    ignores = Ignores(top, respect_gitignore)
    real_top = real_path(top)

    def onerror(exc: OSError) -> None:
        found.errors.append((str(exc.filename), f"cannot read directory: {exc.strerror}"))

    for root, dirs, files in os.walk(top, followlinks=True, onerror=onerror):
        try:
            st = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop or a second way in
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        if ".gitignore" in files:
            ignores.add(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_DIRS
            and not ignores.ignored(os.path.join(root, d), True)
            and not _ancestor_link(os.path.join(root, d), real_top)
        )
        for name in sorted(files):
            if not name.lower().endswith(EXTENSIONS):
                continue
            full = os.path.normpath(os.path.join(root, name))  # "a.yaml", not "./a.yaml"
            if ignores.ignored(full, False):
                continue
            if os.path.isfile(full):
                yield _input(full)
            elif os.path.islink(full) and not os.path.exists(full):
                found.notices.append((full, f"broken symlink to {os.readlink(full)}, not read"))


def lint_input(item: Input, options: Options, keep_stdin: bool = False) -> FileResult:
    """Lint one input; a read error becomes ``FileResult.error``, never an exception.

    ``keep_stdin``: read stdin whole and keep its bytes in the result (for the fix stage).
    """
    try:
        return _lint_input(item, options, keep_stdin)
    except ToolContractError as exc:
        return FileResult("<stdin>" if item.path == STDIN else item.path, error=exc.report())


def _lint_input(item: Input, options: Options, keep_stdin: bool) -> FileResult:
    if item.path == STDIN:
        stream = sys.stdin.buffer if sys.stdin is not None else None
        if stream is None:
            return FileResult(STDIN, error="stdin is closed")
        try:
            peek = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
        except (OSError, ValueError):
            return FileResult(STDIN, error="stdin is closed")
        is_json = looks_json(peek)
        try:
            if keep_stdin:
                data = stream.read()
                result = lint_bytes(data, "<stdin>", options, is_json)
                result.data = data
                return result
            kept = _Kept(stream.read)
            result = lint_stream(kept.read, "<stdin>", options, is_json)
            if kept.chunks is not None and any(
                f.source is not None and f.source.line is None for f in result.findings
            ):
                # Helm-rendered documents: the findings are shown at their templates' lines,
                # which needs the documents again.
                result.data = b"".join(kept.chunks)
            return result
        except (OSError, ValueError) as exc:
            return FileResult("<stdin>", error=f"cannot read stdin: {exc}")
    try:
        with open(item.path, "rb") as handle:
            return lint_stream(handle.read, item.path, options, json_file(item.path))
    except OSError as exc:
        return FileResult(item.path, error=f"cannot read: {exc.strerror or exc}")


class _Kept:
    """A reader that keeps what it read, up to :data:`KEEP_STDIN_BYTES` (then nothing)."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self.chunks: list[bytes] | None = []
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        block = self._read(n)
        if self.chunks is not None:
            self.size += len(block)
            if self.size > KEEP_STDIN_BYTES:
                self.chunks = None
            else:
                self.chunks.append(block)
        return block


# A file this large is read in parts by the worker processes (when there are workers): the
# documents of a stream are independent, so a cluster dump or a generated stream of many small
# objects need not be one process's work.
SPLIT_MIN_BYTES = 2 << 20
PART_BYTES = 1 << 20


@dataclass(frozen=True)
class _Task:
    """One worker's job: an input, or one part of a large one (``of``: how many parts)."""

    item: Input
    part: Part | None = None
    of: int = 1


def _work(args: tuple[_Task, Options]) -> FileResult | None:
    task, options = args
    if task.part is None:
        return lint_input(task.item, options)
    return _lint_part(task.item.path, options, task.part)


def _lint_part(path: str, options: Options, part: Part) -> FileResult | None:
    """Lint one part of a file; None when the file no longer holds the part (it changed)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(part.start)
            data = handle.read(part.end - part.start)
    except OSError:
        return None
    if len(data) != part.end - part.start:
        return None
    return lint_part(data, path, options, part)


def _tasks(inputs: list[Input], jobs: int) -> list[_Task]:
    """The inputs as worker jobs: a large YAML stream in parts of whole documents."""
    out = []
    for item in inputs:
        found = _parts(item, jobs) if item.size >= SPLIT_MIN_BYTES else None
        if found is None:
            out.append(_Task(item))
        else:
            out += [_Task(item, part, len(found)) for part in found]
    return out


def _parts(item: Input, jobs: int) -> list[Part] | None:
    """A large YAML file's parts, when it is a stream of several documents in UTF-8."""
    if json_file(item.path):
        return None
    try:
        with open(item.path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None  # the worker reports it
    if has_bom(data):
        return None
    found = parts(data, max(PART_BYTES, len(data) // (jobs * 4)))
    return found if len(found) > 1 else None


def _merged(
    item: Input, done: list[tuple[Part, FileResult | None]], options: Options
) -> FileResult:
    """The result of a file read in parts, as reading it whole gives it. From a part whose
    first document's index was predicted wrong (a document that did not parse as the text
    suggested), the file is read again in this process; a file that changed meanwhile, whole."""
    if any(result is None or result.error for _, result in done):
        return lint_input(item, options)
    for _, result in done:
        if result is not None and result.notice:  # an unrendered template: skipped whole
            return replace(result, size=item.size)
    merged = FileResult(item.path, size=item.size)
    index = 0
    for part, result in done:
        again = part.index != index
        if again:  # the rest of the file, from the right index, in this process
            result = _lint_part(item.path, options, replace(part, end=done[-1][0].end, index=index))
            if result is None or result.notice:
                return lint_input(item, options)
        assert result is not None
        merged.findings += result.findings
        merged.pods += result.pods
        merged.unparsed = merged.unparsed or result.unparsed
        index = result.documents
        if again:
            break
    merged.documents = index
    return merged


def lint_all(
    inputs: list[Input], options: Options, jobs: int, keep_stdin: bool = False
) -> Iterator[FileResult]:
    """FileResults in input order; large runs are spread over ``jobs`` processes (a large YAML
    stream in parts)."""
    total = sum(i.size for i in inputs)
    parallel = jobs > 1 and total >= PARALLEL_MIN_BYTES and all(i.path != STDIN for i in inputs)
    tasks = _tasks(inputs, jobs) if parallel else []
    if len(tasks) < 2:
        for item in inputs:
            yield lint_input(item, options, keep_stdin)
        return
    # Imported only for large runs: it costs more start-up than a whole pre-commit run.
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    # Big files first would balance better, but results must come back in input order.
    chunksize = max(1, min(16, len(tasks) // (jobs * 8)))
    with ctx.Pool(jobs) as pool:
        pending: list[tuple[Part, FileResult | None]] = []
        for task, done in zip(tasks, pool.imap(_work, [(t, options) for t in tasks], chunksize)):
            if task.part is None:
                assert done is not None
                yield done
                continue
            pending.append((task.part, done))
            if len(pending) == task.of:
                yield _merged(task.item, pending, options)
                pending = []


def forget_folders() -> None:
    """What was looked up of folders (work trees, charts that read their files), forgotten:
    each run looks at them once, not at the last run's."""
    git_root.cache_clear()
    chart_reads_files.cache_clear()
