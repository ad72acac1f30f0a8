"""Atomic rewrites: a temporary file beside the target, fsync, rename; never over a newer file."""

from __future__ import annotations

import os
import stat
import tempfile


def stamp(path: str) -> tuple[int, int]:
    """What identifies one version of a file cheaply: (mtime in ns, size)."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def replace_atomically(path: str, data: bytes, expected: bytes, seen: tuple[int, int]) -> str | None:
    """Write ``data`` to ``path`` if it still holds ``expected``; else say why it was left alone.

    The new content goes to a temporary file in the same directory, is flushed to disk, takes the
    old file's mode (and owner, when permitted) and then replaces the file in one rename, so a
    reader sees the old or the new file, never a mix. A symlink is followed: its target is
    rewritten and the link stays.
    """
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
        with open(target, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        return f"cannot re-read it: {exc.strerror or exc}"
    if (st.st_mtime_ns, st.st_size) != seen or current != expected:
        return "it changed on disk since it was read"
    folder, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".seccomp-lint.tmp", dir=folder or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), stat.S_IMODE(st.st_mode))
            if hasattr(os, "fchown"):
                try:
                    os.fchown(handle.fileno(), st.st_uid, st.st_gid)
                except OSError:
                    pass  # not permitted: the file keeps our owner, as any editor's save would
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return f"cannot write it: {exc.strerror or exc}"
    _sync_dir(folder or ".")
    return None


def _sync_dir(folder: str) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
