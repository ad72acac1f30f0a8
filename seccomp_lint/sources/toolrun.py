"""Running an external build tool (kustomize, kubectl, helm): offline, time-limited, verbatim errors.

A run writes its output to unnamed files (in memory where the system has them) rather than
pipes, so it can be started and left to run (a walk's lint starts builds ahead,
:func:`~.kustomize.tool.building_ahead`) without anyone draining it; its end is waited for on a
process descriptor where the system has them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import IO

from ..edit.writer import ENDING, end_as, signals_held, terminations_to

TIMEOUT = 60.0  # seconds a build may take
# Point HTTP(S) at a closed local port and allow git no remote protocol: builds stay offline.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "GIT_ALLOW_PROTOCOL": "file",
    "GIT_TERMINAL_PROMPT": "0",
}


class ToolError(Exception):
    """A build tool is missing, failed or took too long; the message is shown as it is."""


# The tools running now, each from its start to its end, and the folders made for them (a
# wrapper kustomization's, a chart's scratch copy, values files): what a signal that ends the
# run ends and removes first (:func:`end_tools`).
RUNNING: set[Started] = set()
SCRATCH: set[str] = set()


class Started:
    """A build tool running, its stdout and stderr going to unnamed files (:func:`_scratch`);
    the time limit counts from its start."""

    def __init__(
        self, argv: list[str], what: str, cwd: str | None = None, env: dict | None = None
    ) -> None:
        self.what = what
        self.out: IO[bytes] | None = None
        self.err: IO[bytes] | None = None
        try:
            # (closed by result or stop: the files outlive this call)
            self.out = _scratch()
            self.err = _scratch()
            with signals_held(block=False):  # (started means known: end_tools sees it)
                self.process = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=self.out,
                    stderr=self.err,
                )
                RUNNING.add(self)
        except OSError as exc:
            self._close()
            raise ToolError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        except BaseException:  # (a signal that came while it started, raised as the hold ends)
            if hasattr(self, "process"):
                self.stop()
            else:
                self._close()
            raise
        self.deadline = time.monotonic() + TIMEOUT
        self.timed_out = False

    def wait(self) -> None:
        """Until it ends, or its time is up (it is stopped then)."""
        left = self.deadline - time.monotonic()
        if self.process.returncode is None and _wait(self.process, left) is None:
            self.timed_out = True
            self.stop()

    def ended(self) -> bool:
        return self.process.poll() is not None

    def result(self) -> bytes:
        """Its stdout once it ends, or ToolError with its stderr verbatim (or its time up)."""
        try:
            self.wait()
            if self.timed_out:
                raise ToolError(f"{self.what} did not finish within {TIMEOUT:g} s")
            code = self.process.returncode
            if code != 0:
                err = _read(self.err).decode("utf-8", "replace").rstrip()
                raise ToolError(f"{self.what} failed (exit {code}):\n{err}")
            return _read(self.out)
        except BaseException:
            self.stop()  # (interrupted while it runs, Ctrl-C say: it does not outlive the run)
            raise
        finally:
            self._close()

    def stop(self) -> None:
        """End it: its time is up, or the run no longer needs it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()

    def kill(self) -> None:
        """Kill it and leave it (a signal's handler: the process ends next); not reaped, so
        its process number is still its own."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    def _close(self) -> None:
        process = getattr(self, "process", None)
        if process is None or process.returncode is not None:  # (else end_tools still kills it)
            RUNNING.discard(self)
        for handle in (self.out, self.err):
            if handle is not None:
                handle.close()


def _wait(process: subprocess.Popen, timeout: float) -> int | None:
    """The exit code once the process ends within ``timeout`` seconds, else None: woken by its
    process descriptor where there is one (``Popen.wait`` with a time limit polls, sleeping up
    to 50 ms at a time)."""
    timeout = max(0.0, timeout)
    try:
        descriptor = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
    try:
        waiting = select.poll()  # (not select.select: a run may hold descriptors past 1023)
        waiting.register(descriptor, select.POLLIN)
        ended = waiting.poll(timeout * 1000)
    finally:
        os.close(descriptor)
    return process.wait() if ended else None


def _scratch() -> IO[bytes]:
    """An unnamed file for a tool's output: in memory where the system has ``memfd_create``
    (a file on disk costs a tenth of a millisecond or more beside a running build), else a
    temporary file."""
    if hasattr(os, "memfd_create"):
        try:
            return os.fdopen(os.memfd_create("seccomp-lint-tool", os.MFD_CLOEXEC), "w+b")
        except OSError:
            pass
    return tempfile.TemporaryFile()  # (closed by Started)


def _read(handle: IO[bytes] | None) -> bytes:
    assert handle is not None  # (made before the process started)
    handle.seek(0)
    return handle.read()


def run_tool(argv: list[str], what: str, cwd: str | None = None, env: dict | None = None) -> bytes:
    """Run a build tool with the time limit; its stdout, or ToolError with its stderr verbatim."""
    return Started(argv, what, cwd, env).result()


def make_scratch(prefix: str) -> str:
    """A temporary folder for a tool's run, known to :func:`end_tools` until it is removed
    (:func:`drop_scratch`); OSError as :func:`tempfile.mkdtemp` raises it."""
    with signals_held(block=False):  # (made means known)
        folder = tempfile.mkdtemp(prefix=prefix)
        SCRATCH.add(folder)
    return folder


def drop_scratch(folder: str) -> None:
    """Remove a folder :func:`make_scratch` made (its files too)."""
    shutil.rmtree(folder, ignore_errors=True)
    SCRATCH.discard(folder)


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[str]:
    """:func:`make_scratch` for the time inside, removed at the end."""
    folder = make_scratch(prefix)
    try:
        yield folder
    finally:
        drop_scratch(folder)


def end_tools() -> None:
    """Kill every tool running and remove every folder made for one (a signal ends the run:
    nothing it started may outlive it, whatever was unwound). :func:`end_as` calls it, whoever
    ends the run (a fix stage, builds ahead, :func:`ending_on_signals`)."""
    for started in list(RUNNING):
        started.kill()
    for folder in list(SCRATCH):
        shutil.rmtree(folder, ignore_errors=True)


ENDING.append(end_tools)


class Ended(BaseException):
    """SIGTERM or SIGHUP came while a tool ran in its turn (:func:`ending_on_signals`)."""


@contextlib.contextmanager
def ending_on_signals() -> Iterator[None]:
    """While inside (a build run in its turn: ``--kustomize DIR``, ``--chart DIR``), SIGTERM and
    SIGHUP, where they would end the process at once, raise :class:`Ended` instead: the tool
    running is stopped on the way out (:meth:`Started.result`) and what was made for it (a
    wrapper folder, a scratch copy of a chart) is removed; then the process ends as the signal
    would have (or exits 128 + its number, where a signal a process sends itself does not end
    it). Another one meanwhile is only noted. Where something else handles them already (a fix
    stage, builds started ahead, this context outside), nothing changes; each signal on its own
    (under ``nohup`` SIGHUP is ignored, SIGTERM still handled here)."""
    got: list[int] = []

    def end(signum: int, frame: object) -> None:
        first = not got  # (before the append: another handler may run between any two steps)
        got.append(signum)
        if first:
            raise Ended(signum)

    try:
        with terminations_to(end):  # (only where their handling is the default: else no signal
            # comes here, ``got`` stays empty and whatever ends the block goes on as it is)
            yield
    except BaseException:
        if not got:
            raise
        # (a signal came: whatever else ended the block on the way out, the run ends)
    if got:
        end_as(got[0])  # (end_tools first: what the unwinding did not reach)


def tool_path(name: str) -> str | None:
    """``shutil.which(name)``, looked up once for each ``PATH`` (a walk asks for every build)."""
    return _which(name, os.environ.get("PATH"))


@lru_cache(maxsize=64)
def _which(name: str, path: str | None) -> str | None:
    return shutil.which(name, path=path)


def has_helm_sdk() -> bool:
    """Whether the Helm SDK (the ``[helm]`` extra) is installed; not loaded here."""
    try:
        return importlib.util.find_spec("helm_python") is not None
    except (ImportError, ValueError):
        return False
