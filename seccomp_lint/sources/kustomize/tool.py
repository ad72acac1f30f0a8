"""Running Kustomize: ``kustomize build`` (or ``kubectl kustomize``) of a temporary wrapper
kustomization that names the user's directory as its only resource and turns on origin and
transformer annotations (the user's files are never touched), and a lint's builds started
ahead, up to ``--jobs`` at once, the outputs read one after another as they end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from ...edit.edits import NoFix, new_document
from ...edit.writer import ENDING, end_as, terminations_to
from ...sources.toolrun import (
    OFFLINE,
    SCRATCH,
    Started,
    ToolError,
    ending_on_signals,
    make_scratch,
    tool_path,
)
from ..files import real_path


def build_command(root: str) -> list[str]:
    """``kustomize build ROOT`` or ``kubectl kustomize ROOT``, whichever is on PATH."""
    kustomize = tool_path("kustomize")
    if kustomize:
        return [kustomize, "build", root]
    kubectl = tool_path("kubectl")
    if kubectl:
        return [kubectl, "kustomize", root]
    raise ToolError(
        "--kustomize needs `kustomize` or `kubectl` (for `kubectl kustomize`) on PATH; "
        "neither was found"
    )


def build(directory: str, patches: tuple[str, ...] = ()) -> tuple[bytes, str]:
    """Build a kustomization with origin annotations; the output and the wrapper's directory.

    ``patches``: strategic-merge patches the wrapper applies on top (to verify a suggestion
    before it is printed; the user's kustomization is never touched).

    The wrapper's directory is deleted when the build ends; origin paths in the output are
    relative to it and are resolved with :func:`origin_path`. SIGTERM or SIGHUP meanwhile ends
    the tool and removes the wrapper before the process ends (:func:`ending_on_signals`).
    """
    with ending_on_signals():
        return _Building(directory, patches).result()


class _Building:
    """A build started: the wrapper kustomization written, the tool running."""

    def __init__(
        self,
        directory: str,
        patches: tuple[str, ...] = (),
        env: dict | None = None,
        slot: str | None = None,
    ) -> None:
        """``slot``: a wrapper folder lent for this build (a real path; the lender removes it,
        and ``directory`` is a real path then); else the wrapper gets a temporary folder of its
        own, removed when the build is read or stopped."""
        command = build_command(".")  # fail before creating anything when no tool is installed
        target = directory if slot else real_path(directory)
        try:
            self.scratch = None if slot else make_scratch("seccomp-lint-kustomize-")
            self.wrapper = slot or real_path(self.scratch or "")
        except OSError as exc:
            raise ToolError(f"cannot make a wrapper kustomization for {directory}: {exc}") from None
        self.file = os.path.join(self.wrapper, "kustomization.yaml")
        try:
            # Kustomize takes a resource directory only by a relative path; it is a new root,
            # so the user's own load restrictions still apply inside it.
            relative = os.path.relpath(target, self.wrapper).replace(os.sep, "/")
            try:
                text = wrapper_kustomization(relative, patches)
            except NoFix as exc:
                raise ToolError(f"cannot write a kustomization for {directory}: {exc}") from None
            try:
                if self.scratch is None:
                    # (the last build's: removed, not truncated, which ext4 makes flush first)
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.file)
                with open(self.file, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise ToolError(f"cannot write a kustomization for {directory}: {exc}") from None
            command[-1] = self.wrapper
            env = env or {**os.environ, **OFFLINE}
            self.tool = Started(command, f"kustomize build of {directory}", env=env)
        except BaseException:
            self.remove()
            raise

    def result(self) -> tuple[bytes, str]:
        """The output and the wrapper's directory (deleted by now, or lent again)."""
        try:
            return self.tool.result(), self.wrapper
        finally:
            self.remove()

    def stop(self) -> None:
        """End the build, unread: the run no longer needs it."""
        self.tool.stop()
        self.remove()

    def remove(self) -> None:
        """The wrapper's directory deleted, when it is the build's own."""
        if self.scratch is not None:
            _remove_wrapper(self.wrapper)
            SCRATCH.discard(self.scratch)


def _remove_wrapper(folder: str) -> None:
    """A wrapper's folder deleted: its one file and itself (a walk builds dozens, and a tree
    removal costs ten times as much), the whole tree if anything else got in."""
    try:
        try:
            os.unlink(os.path.join(folder, "kustomization.yaml"))
        except FileNotFoundError:
            pass
        os.rmdir(folder)
    except FileNotFoundError:
        pass  # (removed already)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


# Builds that ended are read one after another, up to this many: a process that has just been
# waiting while kubectl ran reads the next output slower (its caches are cold), 1.5x over a walk.
BATCH = 16


class _Ahead:
    """Builds started before they are asked for (see :func:`building_ahead`).

    Their wrappers are folders of one temporary folder, each lent to one build at a time and
    lent again once that build has ended (its output is in its own file by then, and its
    origins are read from the wrapper's path alone): a walk of hundreds of overlays makes
    ``--jobs`` of them, not one a build (making a folder and a file beside a running kubectl
    took ~0.3 ms)."""

    def __init__(self, directories: list[str], jobs: int) -> None:
        self.real = {d: real_path(d) for d in directories}  # (as given: the real path)
        self.todo = deque(dict.fromkeys(self.real.values()))
        self.jobs = jobs
        self.env = {**os.environ, **OFFLINE}  # (each build's, made once)
        self.started: dict[str, _Building] = {}  # (in the order they started)
        self.folder: str | None = None  # (made when the first build starts)
        self.made = 0  # wrapper folders made in it
        self.free: list[str] = []
        self.lent: dict[str, str] = {}  # a started build's directory -> its wrapper folder

    def top_up(self) -> None:
        for directory, slot in list(self.lent.items()):
            started = self.started.get(directory)
            if started is None or started.tool.ended():
                del self.lent[directory]
                self.free.append(slot)
        while self.todo and len(self.lent) < self.jobs:
            directory = self.todo.popleft()
            try:
                slot = self._slot()
                # (a slot whose build could not start is not lent again: it may be what failed)
                with _ENDING.held():  # (started means recorded: a signal's stop sees it)
                    self.started[directory] = _Building(directory, env=self.env, slot=slot)
                    self.lent[directory] = slot
            except ToolError:
                pass  # (said when it is asked for: built then, it fails the same way)

    def _slot(self) -> str:
        """A wrapper folder no running build uses."""
        if self.free:
            return self.free.pop()
        try:
            if self.folder is None:
                self.folder = real_path(tempfile.mkdtemp(prefix="seccomp-lint-kustomize-"))
            self.made += 1
            slot = os.path.join(self.folder, str(self.made))
            os.mkdir(slot, 0o700)
        except OSError as exc:
            raise ToolError(f"cannot make a wrapper kustomization: {exc}") from None
        return slot

    def take(self, directory: str) -> tuple[bytes, str] | None:
        """The build of ``directory`` if it was started, once it and the builds started after it
        have ended (up to :data:`BATCH` of them, the rest of the walk's at most); the next ones
        start as builds end."""
        key = self.real.get(directory) or real_path(directory)
        taken = self.started.get(key)
        if taken is None:
            return None
        while True:
            self.top_up()
            busy = [b for b in self.started.values() if not b.tool.ended()]
            if not taken.tool.ended():
                taken.tool.wait()
            elif not (busy or self.todo) or len(self.started) - len(busy) >= BATCH:
                del self.started[key]
                return taken.result()
            else:
                busy[0].tool.wait()  # the one that started first

    def stop(self) -> None:
        self.todo.clear()
        for started in self.started.values():
            started.stop()
        self._remove()

    def kill(self) -> None:
        """Stop at once, from a signal's handler: every tool started is killed, not waited for
        (the process ends next), and the wrappers are removed."""
        self.todo.clear()
        for started in self.started.values():
            started.tool.kill()
        self._remove()

    def _remove(self) -> None:
        if self.folder is not None:  # (the wrappers' folders are in it)
            shutil.rmtree(self.folder, ignore_errors=True)


_AHEAD: list[_Ahead] = []  # the builds a lint started ahead, while it runs


@contextmanager
def building_ahead(directories: list[str], jobs: int) -> Iterator[None]:
    """Within: the builds of ``directories`` start in that order before :func:`~.build.lint_built`
    asks for them, up to ``jobs`` running at once, each taken once (a build with patches, or a
    directory asked for again, is built when it is asked for). Only for a lint: nothing changes
    the files the builds read meanwhile. Builds still running at the end are stopped; SIGTERM
    and SIGHUP end them too, then the process (:class:`_Ending`)."""
    with terminations_to(_ENDING.end):
        _AHEAD.append(_Ahead(directories, max(1, jobs)))
        try:
            _AHEAD[-1].top_up()  # (in here: an interruption still stops what it started)
            yield
        finally:
            _AHEAD[-1].stop()
            _AHEAD.pop()


class _Ending:
    """SIGTERM and SIGHUP while builds run ahead, where they would end the process at once:
    every build started ahead is killed and its wrapper removed, then the process ends as the
    signal would have (or exits 128 + the signal's number, where a signal a process sends
    itself does not end it: a PID namespace's first process). A second signal waits until the
    first has done that; one that comes while a build is being started waits until it is
    recorded. SIGINT needs none of this: its KeyboardInterrupt unwinds to the stop."""

    def __init__(self) -> None:
        self.holding = False
        self.ending = False
        self.waiting: list[int] = []  # (signals that came while holding, or while ending)

    @contextmanager
    def held(self) -> Iterator[None]:
        if self.holding:
            yield
            return
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
            if self.waiting:
                self.end(self.waiting[0], None)

    def end(self, signum: int, frame: object) -> None:
        if self.holding or self.ending:  # (a signal handled by another thread comes back here)
            self.waiting.append(signum)
            return
        self.ending = True
        end_as(signum)  # (its ENDING first, other signals ignored: _kill_ahead, end_tools)


def _kill_ahead() -> None:
    for ahead in _AHEAD:
        ahead.kill()


_ENDING = _Ending()
ENDING.append(_kill_ahead)  # (after toolrun's end_tools: run before it)


def take_or_build(directory: str, patches: tuple[str, ...]) -> tuple[bytes, str]:
    """The build of ``directory``: the one started ahead for it, else one run now."""
    done = _AHEAD[-1].take(directory) if _AHEAD and not patches else None
    return done if done is not None else build(directory, patches)


def wrapper_kustomization(resource: str, patches: tuple[str, ...] = ()) -> str:
    """The wrapper's kustomization: ``resource`` with origin and transformer annotations on,
    and ``patches`` (strategic-merge patch texts) applied on top."""
    wrapper: dict = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [resource],
        "buildMetadata": ["originAnnotations", "transformerAnnotations"],
    }
    if patches:
        wrapper["patches"] = [{"patch": patch} for patch in patches]
    return new_document(wrapper)
