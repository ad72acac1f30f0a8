"""Running Kustomize: ``kustomize build`` (or ``kubectl kustomize``) of a temporary wrapper
kustomization that names the user's directory as its only resource and turns on origin and
transformer annotations (the user's files are never touched), and a lint's builds started
ahead, up to ``--jobs`` at once, the outputs read one after another as they end; a walk's
overlays that may share a run (:mod:`..sharing`) are named together by one wrapper, its output
split by overlay (:mod:`.together`), each built alone where that fails.
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
from .origin import Built
from .together import by_overlay


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
        return _Building((directory,), patches).result()


class _Building:
    """A build started: the wrapper kustomization written, the tool running."""

    def __init__(
        self,
        directories: tuple[str, ...],
        patches: tuple[str, ...] = (),
        env: dict | None = None,
        slot: str | None = None,
    ) -> None:
        """``directories``: one, or the overlays of a shared run. ``slot``: a wrapper folder
        lent for this build (a real path; the lender removes it, and the directories are real
        paths then); else the wrapper gets a temporary folder of its own, removed when the
        build is read or stopped."""
        command = build_command(".")  # fail before creating anything when no tool is installed
        self.directories = directories
        directory = ", ".join(directories)
        targets = directories if slot else tuple(map(real_path, directories))
        try:
            self.scratch = None if slot else make_scratch("seccomp-lint-kustomize-")
            self.wrapper = slot or real_path(self.scratch or "")
        except OSError as exc:
            raise ToolError(f"cannot make a wrapper kustomization for {directory}: {exc}") from None
        self.file = os.path.join(self.wrapper, "kustomization.yaml")
        try:
            # Kustomize takes a resource directory only by a relative path; it is a new root,
            # so the user's own load restrictions still apply inside it.
            relative = [os.path.relpath(t, self.wrapper).replace(os.sep, "/") for t in targets]
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

    def __init__(self, runs: list[tuple[str, ...]], jobs: int) -> None:
        """``runs``: the directories in the order they are asked for, those of a shared run
        (:mod:`..sharing`) together."""
        self.real = {d: real_path(d) for run in runs for d in run}  # (as given: the real path)
        seen: set[str] = set()
        units: list[tuple[str, ...]] = []
        for run in runs:
            unit = tuple(r for r in dict.fromkeys(self.real[d] for d in run) if r not in seen)
            seen.update(unit)
            units += [unit] if unit else []
        self.todo = deque(_in_parallel(units, jobs))
        self.jobs = jobs
        self.env = {**os.environ, **OFFLINE}  # (each build's, made once)
        # A started build of each directory (a shared run's under each of its directories), in
        # the order they started; the objects of a shared run's overlays not yet asked for.
        self.started: dict[str, _Building] = {}
        self.split: dict[str, tuple[bytes, str, list[Built]]] = {}
        self.folder: str | None = None  # (made when the first build starts)
        self.made = 0  # wrapper folders made in it
        self.free: list[str] = []
        self.lent: dict[_Building, str] = {}  # a started build -> its wrapper folder

    def top_up(self) -> None:
        for started, slot in list(self.lent.items()):
            if started.tool.ended():
                del self.lent[started]
                self.free.append(slot)
        while self.todo and len(self.lent) < self.jobs:
            self._start(self.todo.popleft())

    def _start(self, unit: tuple[str, ...]) -> None:
        try:
            slot = self._slot()
            # (a slot whose build could not start is not lent again: it may be what failed)
            with _ENDING.held():  # (started means recorded: a signal's stop sees it)
                started = _Building(unit, env=self.env, slot=slot)
                self.started.update(dict.fromkeys(unit, started))
                self.lent[started] = slot
        except ToolError:
            # (alone, said when it is asked for: built then, it fails the same way; a shared
            # run's overlays are each tried alone)
            self.todo.extendleft([(d,) for d in reversed(unit)] if len(unit) > 1 else [])

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

    def take(self, directory: str) -> tuple[bytes, str, list[Built] | None] | None:
        """The build of ``directory`` if it was started, once it and the builds started after it
        have ended (up to :data:`BATCH` of them, the rest of the walk's at most); the next ones
        start as builds end. A shared run's output is split by overlay (the others' kept until
        asked for); where that fails, its overlays are built again, each alone."""
        key = self.real.get(directory) or real_path(directory)
        if key in self.split:
            return self.split.pop(key)
        waiting = None if key in self.started else next((u for u in self.todo if key in u), None)
        if waiting is not None:  # (asked for before it started: it starts now)
            self.todo.remove(waiting)
            self._start(waiting)
        taken = self.started.get(key)
        if taken is None:
            with contextlib.suppress(ValueError):  # (it could not start: built when asked)
                self.todo.remove((key,))
            return None
        while True:
            self.top_up()
            running = self._running()
            busy = [b for b in running if not b.tool.ended()]
            if not taken.tool.ended():
                taken.tool.wait()
            elif not (busy or self.todo) or len(running) - len(busy) >= BATCH:
                break
            else:
                busy[0].tool.wait()  # the one that started first
        for d in taken.directories:
            del self.started[d]
        if len(taken.directories) == 1:
            return (*taken.result(), None)
        try:
            outputs = by_overlay(*taken.result(), taken.directories)
        except ToolError:
            outputs = None  # (two overlays with one object id, say: each alone tells)
        if outputs is None:  # (each alone: this one now, the others ahead, first)
            self.todo.extendleft([(d,) for d in reversed(taken.directories) if d != key])
            self._start((key,))
            return self.take(directory)
        self.split.update(outputs)
        return self.split.pop(key)

    def _running(self) -> list[_Building]:
        """The builds started and not yet taken, each once."""
        return list({id(b): b for b in self.started.values()}.values())

    def stop(self) -> None:
        self.todo.clear()
        for started in self._running():
            started.stop()
        self._remove()

    def kill(self) -> None:
        """Stop at once, from a signal's handler: every tool started is killed, not waited for
        (the process ends next), and the wrappers are removed."""
        self.todo.clear()
        for started in self._running():
            started.tool.kill()
        self._remove()

    def _remove(self) -> None:
        if self.folder is not None:  # (the wrappers' folders are in it)
            shutil.rmtree(self.folder, ignore_errors=True)


def _in_parallel(units: list[tuple[str, ...]], jobs: int) -> list[tuple[str, ...]]:
    """``units`` with the largest shared runs cut in halves until there are ``jobs`` runs (or
    nothing left to cut): sharing runs saves each overlay kubectl's start-up, not the jobs'
    building side by side (eight large overlays in one run would take eight times as long)."""
    out = list(units)
    while len(out) < jobs:
        at = max(range(len(out)), key=lambda i: len(out[i]), default=None)
        if at is None or len(out[at]) < 2:
            break
        half = (len(out[at]) + 1) // 2
        out[at : at + 1] = [out[at][:half], out[at][half:]]
    return out


_AHEAD: list[_Ahead] = []  # the builds a lint started ahead, while it runs


@contextmanager
def building_ahead(runs: list[tuple[str, ...]], jobs: int) -> Iterator[None]:
    """Within: the builds of ``runs`` (directories, those of a shared run together) start in
    that order before :func:`~.build.lint_built` asks for them, up to ``jobs`` running at once,
    each taken once (a build with patches, or a directory asked for again, is built when it is
    asked for). Only for a lint: nothing changes
    the files the builds read meanwhile. Builds still running at the end are stopped; SIGTERM
    and SIGHUP end them too, then the process (:class:`_Ending`)."""
    with terminations_to(_ENDING.end):
        _AHEAD.append(_Ahead(runs, max(1, jobs)))
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


def take_or_build(
    directory: str, patches: tuple[str, ...]
) -> tuple[bytes, str, list[Built] | None]:
    """The build of ``directory``: the one started ahead for it, else one run now; with its
    objects, where a shared run's split read them already."""
    done = _AHEAD[-1].take(directory) if _AHEAD and not patches else None
    return done if done is not None else (*build(directory, patches), None)


def wrapper_kustomization(resources: list[str], patches: tuple[str, ...] = ()) -> str:
    """The wrapper's kustomization: ``resources`` with origin and transformer annotations on,
    and ``patches`` (strategic-merge patch texts) applied on top."""
    wrapper: dict = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        "buildMetadata": ["originAnnotations", "transformerAnnotations"],
    }
    if patches:
        wrapper["patches"] = [{"patch": patch} for patch in patches]
    return new_document(wrapper)
