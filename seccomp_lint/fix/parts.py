"""The fix stage of a large YAML stream, part by part in worker processes.

The documents of a stream are independent: each part (whole documents, cut where the linter cuts
them, see :func:`~seccomp_lint.text.streams.parts`) is fixed, verified and linted again on its
own, numbered from its first line and document, and the fixed parts are joined. Where parts do
not read as the whole would (a mispredicted document index, a part that does not parse or holds
an unrendered template), the whole text goes through :func:`~.fixes.fix_bytes` instead, which
says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..model.data import Edit, Finding, Options, Pos
from ..rules import SYNTAX
from ..text.streams import Part, count_lines, has_bom, parts
from . import fixes
from .fixes import FileFix, _rounds, _tally, _Text

# Below this size a stream is fixed in one process; parts of about PART_BYTES each.
SPLIT_MIN_BYTES = 2 << 20
PART_BYTES = 1 << 20


def fix_part(
    data: bytes,
    path: str,
    options: Options,
    part: Part,
    unsafe: bool = False,
    wanted: Callable[[Finding], bool] | None = None,
) -> FileFix | None:
    """Fix one part of a stream (UTF-8, no byte-order mark) as :func:`~.fixes.fix_bytes` fixes a
    text; None when the part does not read cleanly on its own."""
    options = replace(options, prefilter=False, fixes=True)
    try:
        text = _Text(data, path, options, False, part=part)
    except UnicodeDecodeError:
        return None
    result, identities = text.lint(text.raw)
    if result.error or result.notice or not result.parses:
        return None
    out = FileFix(path, data, data, result.findings, documents=result.documents)
    out.before = result.findings
    failed: dict = {}
    body, result = _rounds(text, text.body, result, identities, failed, unsafe, wanted)
    out.fixed = text.encode(body)
    return _tally(out, result, failed, unsafe, wanted)


# The parts being fixed, for the forked workers to read (a filter such as a per-path ignore is
# a closure, which cannot be sent to a worker; a fork inherits it).
_TASKS: list[tuple[bytes, str, Options, Part, bool, Callable[[Finding], bool] | None]] = []


def _work(i: int) -> FileFix | None:
    return fix_part(*_TASKS[i])


def in_parts(jobs: int) -> Callable[..., FileFix]:
    """A fixer for :func:`~.fixes.fix_file`: a large YAML stream in parts over ``jobs``
    processes, anything else as :func:`~.fixes.fix_bytes` fixes it."""

    def fix(
        data: bytes,
        path: str,
        options: Options,
        unsafe: bool = False,
        is_json: bool = False,
        wanted: Callable[[Finding], bool] | None = None,
    ) -> FileFix:
        done = None
        if jobs > 1 and not is_json and len(data) >= SPLIT_MIN_BYTES:
            done = _joined(data, path, options, unsafe, wanted, jobs)
        return done or fixes.fix_bytes(data, path, options, unsafe, is_json, wanted)

    return fix


def _joined(
    data: bytes,
    path: str,
    options: Options,
    unsafe: bool,
    wanted: Callable[[Finding], bool] | None,
    jobs: int,
) -> FileFix | None:
    """The parts fixed in worker processes and joined; None where they do not add up to the
    whole (then the caller fixes the whole text)."""
    if has_bom(data):
        return None
    cut = parts(data, max(PART_BYTES, len(data) // (jobs * 4)))
    if len(cut) < 2:
        return None
    # A documented seam: worker processes only for a large stream.
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    _TASKS[:] = [(data[p.start : p.end], path, options, p, unsafe, wanted) for p in cut]
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = pool.map(_work, range(len(cut)), 1)
    finally:
        _TASKS.clear()
    index = 0
    for part, ff in zip(cut, done):
        if ff is None or part.index != index:
            return None
        if ff.fixed.endswith(b"\n") != ff.original.endswith(b"\n"):
            return None  # the next part's ``---`` would no longer start a line
        index = ff.documents
    out = FileFix(path, data, b"".join(ff.fixed for ff in done if ff), [], documents=index)
    regions = []
    shift = lines = 0  # bytes and lines the fixes of the parts before this one added
    for part, ff in zip(cut, done):
        assert ff is not None
        # What remains was found in the part's fixed text, numbered from the part's first line
        # in the file as it was: in the fixed file it sits ``lines`` further down.
        if any(f.rule == SYNTAX.ID for f in ff.findings):
            return None  # (a message may name a line)
        out.findings += [_moved(f, lines) for f in ff.findings] if lines else ff.findings
        out.before += ff.before
        out.fixed_count += ff.fixed_count
        out.held_back += ff.held_back
        if ff.changed:
            regions.append(
                (part.start, part.end, part.start + shift, part.start + shift + len(ff.fixed))
            )
        shift += len(ff.fixed) - len(ff.original)
        lines += count_lines(ff.fixed) - count_lines(ff.original)
    out.regions = regions
    return out


def _moved(f: Finding, lines: int) -> Finding:
    """A finding (and its fix's edits) ``lines`` lines further down."""
    fix = f.fix
    if fix is not None and fix.edits:
        edits = tuple(
            Edit(
                Pos(e.start.line + lines, e.start.column),
                Pos(e.end.line + lines, e.end.column),
                e.content,
            )
            for e in fix.edits
        )
        fix = replace(fix, edits=edits)
    return replace(f, line=f.line + lines, fix=fix)
