"""Atomic rewrites: a temporary file beside the target, fsync, rename; never over a newer file."""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn

# Signals that end the process by default: held back while a file is being replaced.
_SIGNALS = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}
# Those of them that end it at once (SIGINT raises KeyboardInterrupt, which unwinds).
TERMINATING = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def stamp(path: str) -> tuple[int, int]:
    """What identifies one version of a file cheaply: (mtime in ns, size)."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def replace_atomically(
    path: str, data: bytes, expected: bytes, seen: tuple[int, int]
) -> str | None:
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
    if _read_only(target, st):
        return "it is read-only"
    folder, name = os.path.split(target)
    with signals_held():
        return _write(target, folder, name, data, st)


def _read_only(target: str, st: os.stat_result) -> bool:
    return not st.st_mode & 0o222 or not os.access(target, os.W_OK)


def unwritable(path: str) -> str | None:
    """Why :func:`replace_atomically` would not rewrite ``path`` as it is now, or None: checked
    before a change that is verified together with others, so that none of them lands alone."""
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except OSError as exc:
        return f"cannot re-read it: {exc.strerror or exc}"
    return "it is read-only" if _read_only(target, st) else None


def put_back(
    path: str, original: bytes | None, written: bytes, seen: tuple[int, int] | None
) -> str | None:
    """Undo a write of ``written`` to ``path`` (stamped ``seen`` just after it; None: not
    known): the old content back, or a file this run created removed; only while the file is
    still what was written (someone may have changed or replaced it since). Why not, or None."""
    if original is not None:
        try:
            now = stamp(path)
        except OSError as exc:
            return f"cannot re-read it: {exc.strerror or exc}"
        return replace_atomically(path, original, written, seen or now)
    try:
        st = os.lstat(path)
        with open(path, "rb") as handle:
            current = handle.read()
    except FileNotFoundError:
        return None  # gone already
    except OSError as exc:
        return f"cannot re-read it: {exc.strerror or exc}"
    same = stat.S_ISREG(st.st_mode) and (seen is None or (st.st_mtime_ns, st.st_size) == seen)
    if not same or current != written:
        return "it changed on disk since seccomp-lint wrote it: left as it is"
    try:
        os.unlink(path)
    except OSError as exc:
        return f"cannot remove it: {exc.strerror or exc}"
    return None


def _write(target: str, folder: str, name: str, data: bytes, st: os.stat_result) -> str | None:
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
    except BaseException as exc:  # also KeyboardInterrupt: never leave the temporary file
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if not isinstance(exc, OSError):
            raise
        return f"cannot write it: {exc.strerror or exc}"
    _sync_dir(folder or ".")
    return None


def write_whole(path: str, data: bytes) -> str | None:
    """Write a file the run owns (a baseline), whole or not at all: over the one there (its mode
    kept, a symlink followed), else a new one; why not, or None. A failure leaves the old file."""
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return create_atomically(target, data)
    except OSError as exc:
        return f"cannot write it: {exc.strerror or exc}"
    folder, name = os.path.split(target)
    with signals_held():
        return _write(target, folder, name, data, st)


def create_atomically(path: str, data: bytes) -> str | None:
    """Write a new file, whole or not at all, never over an existing one; else say why not."""
    folder, name = os.path.split(os.path.abspath(path))
    with signals_held():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".seccomp-lint.tmp", dir=folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)  # fails when a file of that name exists
            finally:
                os.unlink(tmp)
        except FileExistsError:
            return "a file of that name exists"
        except OSError as exc:
            return f"cannot write it: {exc.strerror or exc}"
    _sync_dir(folder)
    return None


@contextmanager
def signals_held(block: bool = True) -> Iterator[None]:
    """Delay SIGINT/SIGTERM/SIGHUP until the file is replaced, so none leaves a temporary file.

    Blocking them in this thread is not enough when the process has other threads (the Helm
    SDK's Go runtime runs its own): the kernel then hands the signal to one of those, and
    Python runs its handler in this thread all the same. So the handlers set from Python are
    replaced too, by one that notes the signal; each noted signal is raised again at the end,
    for the handler it was meant for (an outer hold's, when holds nest). Without ``block``, the
    handlers alone (around starting a tool: a process started while they are blocked starts
    with them blocked)."""
    main = threading.current_thread() is threading.main_thread()
    if not main:
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: object) -> None:
        noted.append(signum)

    handlers = {}
    for signum in _SIGNALS:
        handler = signal.getsignal(signum)
        # (None: set outside Python, cannot be put back; ignored: nothing to hold, and a tool
        # started meanwhile keeps ignoring it, as under nohup)
        if handler is not None and handler != signal.SIG_IGN:
            handlers[signum] = handler
            signal.signal(signum, note)
    masked = block and hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS) if masked else None
    try:
        yield
    finally:
        try:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
            if old is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        finally:
            for signum in dict.fromkeys(noted):
                signal.raise_signal(signum)


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


# What must not outlive a run a signal ends (the build tools it started, their folders: the
# stage above that runs them adds its own), called by end_as, last added first.
ENDING: list[Callable[[], None]] = []


def end_as(signum: int) -> NoReturn:
    """End the process as ``signum`` would (its default action), or exit 128 + its number where
    a signal a process sends itself does not end it (a PID namespace's first process: a
    container's entry point); :data:`ENDING` first, with SIGINT, SIGTERM and SIGHUP ignored
    meanwhile (another one would end the run halfway through its cleaning up)."""
    if threading.current_thread() is threading.main_thread():
        for n in _SIGNALS:
            signal.signal(n, signal.SIG_IGN)
    for end in reversed(ENDING):
        with suppress(BaseException):
            end()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    if hasattr(signal, "pthread_sigmask"):  # (where it was blocked, it ends the process now)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    os._exit(128 + signum)


@contextmanager
def terminations_to(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """While inside, :data:`TERMINATING` signals go to ``handler`` where they would end the
    process at once (their handling is the default), and go back to that after. Only in the
    main thread, where Python runs handlers; elsewhere nothing changes."""
    main = threading.current_thread() is threading.main_thread()
    mine = [n for n in TERMINATING if main and signal.getsignal(n) == signal.SIG_DFL]
    for n in mine:
        signal.signal(n, handler)
    try:
        yield
    finally:
        for n in mine:
            signal.signal(n, signal.SIG_DFL)
