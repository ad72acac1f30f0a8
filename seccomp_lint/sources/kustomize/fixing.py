"""The Kustomize fix stage: the findings of a build (:class:`~.adapter.KustomizeBuild`) fixed in
its sources.

Each finding's planned change is located in the file that sets the value (:mod:`.build`): a
resource file or a strategic-merge patch file, fixed there through the one fix loop (the finding
known by its original name), or a JSON 6902 or inline patch, into whose data the build's fix is
carried (:mod:`.patch_edits`). The end-to-end check is a rebuild: a file whose change the
rebuilt output does not show as intended (an object it feeds differs from the old build plus
exactly the planned changes, the finding is still there, or a new one appeared) is put back.
What no file the project owns can fix gets a new strategic-merge patch file in the overlay,
added to its kustomization (:mod:`.overlay`, :mod:`.suggest`), verified by a build with it first
and by the rebuild after; it is printed instead when it cannot be added.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace

from ...edit import writer
from ...edit.edits import NoFix
from ...edit.splices import Rejected
from ...fix.fixes import applicable
from ...fix.stage import Stage, Written
from ...lint.linter import FileResult
from ...model.data import Applicability, Change
from ...rules import BY_ID, UNUSED
from ..adapter import BuildFix, FixRun, Mapped
from ..files import git_root
from .adapter import KustomizeBuild
from .build import Built, InSource, kustomization_of, lint_built
from .overlay import (
    built_data,
    changed_as_built,
    new_patch_name,
    owned,
    patch_text,
    with_patch_entry,
)
from .patch_edits import rewrite
from .siblings import Siblings, built_identity
from .suggest import render_patches, verified_patches

KMapped = Mapped[InSource]


def fix(build: KustomizeBuild, run: FixRun) -> BuildFix:
    """Fix the sources in place and rebuild (undoing what the build does not show); then add a
    patch file to the overlay for what no source file it owns can fix."""
    fixing = _Fixing(build, run)
    # Interrupted or failing before a rebuild confirms them, the files written are put back.
    with fixing.stage.guarded():
        fixing.in_place()
        if run.write and fixing.stage.written:
            fixing.check_rebuild(list(fixing.stage.written))
        fixing.add_patch_file()
    return fixing.outcome()


class _Fixing:
    """One kustomization's fix stage: where each change goes, and the rebuild that checks it."""

    def __init__(self, build: KustomizeBuild, run: FixRun) -> None:
        self.build, self.run = build, run
        self.stage = Stage(run.options, run.unsafe, run.write, self._blamed)
        # The work tree the directory is in as given (a base reached through a link to another
        # place is outside it); in no work tree, every local file counts.
        tree = git_root(os.path.abspath(build.directory))
        self.project = os.path.realpath(tree) if tree else None
        self.notes: list[str] = []
        self.remaining, self.mapped, self.built = build.result, build.mapped, build.built
        self.retry: list[KMapped] = []  # in-place fixes declined: patched instead
        self.rebuilt: tuple[FileResult, list[KMapped], list[Built]] | None = None
        self.printed = ""
        # The other builds that read a file this stage writes, built before it writes.
        self.siblings: Siblings | None = None

    def wanted(self, m: KMapped) -> bool:
        return m.finding.suppressed is None and self.run.keep(m.finding)

    # ----------------------------------------------------------------- in place
    def locate(self, m: KMapped) -> str | None:
        """The file where the finding's change is made in place, or None (no fix to make, held
        back as unsafe, or to be patched in the overlay: then it is in ``retry``)."""
        ref, fix = m.ref, m.rendered.fix
        if not self.wanted(m):
            return None
        if ref.edit_file is not None and ref.edit_identity is not None:
            src = ref.source_finding
            if src is not None and not applicable(src, self.run.unsafe):
                # A plain file's finding whose fix --fix would not apply: held back when it
                # is only unsafe (counted once per source spot across the run's builds).
                # (by the path as shown: the same in a --diff's scratch copy)
                spot = (os.path.normpath(m.finding.path), src.line, src.column, src.identity)
                if applicable(src, True) and spot not in self.run.shared.held:
                    self.run.shared.held.add(spot)
                    self.stage.held_back += 1
                return None
            if src is None and not BY_ID[m.finding.rule].FIXES:
                return None  # in a patch file: a rule without fixes
            path = ref.edit_file
        elif ref.site is not None and fix is not None and fix.changes:
            path = ref.site.patch.file
        else:
            return None
        if not owned(path, self.project):
            if m.finding.rule == UNUSED.ID:  # (never patched away in an overlay: left, said)
                real, project = os.path.realpath(path), self.project
                inside = project is None or os.path.commonpath([real, project]) == project
                why = "not writable" if inside else "outside the project"
                self.stage.problems.append((m.finding.path, f"{UNUSED.ID} not fixed: {why}"))
            self.retry.append(m)
            return None
        unsafe = fix is not None and fix.applicability != Applicability.SAFE
        if ref.site is not None and unsafe and not self.run.unsafe:
            self.stage.held_back += 1
            return None
        return path

    def in_place(self) -> None:
        files: dict[str, set[tuple]] = {}
        patches: dict[str, list[KMapped]] = {}
        shown: dict[str, str] = {}
        for m in self.build.mapped:
            path = self.locate(m)
            if path is None:
                continue
            shown[path] = m.finding.path
            if m.ref.edit_identity is not None:
                files.setdefault(path, set()).add(m.ref.edit_identity)
            else:
                patches.setdefault(path, []).append(m)
        if self.run.write:
            self._siblings([*files, *patches, kustomization_of(self.build.directory)])
        for path, identities in sorted(files.items()):
            w = self.stage.fix_in_file(path, shown[path], identities)
            if w is not None and w.file_fix is not None:
                ff = w.file_fix
                fixed = {f.identity for f in ff.before} - {f.identity for f in ff.findings}
                w.targets = [
                    m
                    for m in self.build.mapped
                    if m.ref.edit_file == path and m.ref.edit_identity in fixed
                ]
        for path, items in sorted(patches.items()):
            self._rewrite(path, items, shown[path])

    def _siblings(self, paths: list[str]) -> None:
        """Build the other builds that read any of the files about to be written (none for a
        file only this build reads), for the end-to-end check to compare with."""
        kind = self.build.kind

        def readers(path: str) -> tuple[str, ...]:
            return self.run.shared.discoverer.readers(kind, path)

        self.siblings = Siblings(self.build.directory, readers, paths, self.run.options)

    def _rewrite(self, path: str, items: list[KMapped], shown: str) -> None:
        """Carry the build's fixes into a JSON 6902 patch file or a kustomization's inline
        patches, and write it."""
        try:
            seen = writer.stamp(path)
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            self.stage.problems.append((shown, f"cannot read: {exc.strerror or exc}"))
            return
        sites = [m.ref.site for m in items if m.ref.site is not None]
        if any(not s.patch.inline and s.patch.data != data for s in sites):
            self.stage.problems.append(
                (shown, "not rewritten: it changed on disk since it was read")
            )
            return
        done = rewrite(path, data, items)
        for m, why in done.declined:
            self.stage.problems.append((shown, f"{m.finding.rule} not fixed in the patch: {why}"))
            self.retry.append(m)
        if not done.changed:
            return
        failed = self.stage.put(Written(path, shown, data, done.fixed, list(done.done)), seen)
        if failed:
            self.stage.problems.append((shown, f"not rewritten: {failed}"))
            self.retry.extend(done.done)
            return
        if any(m.ref.site is not None and m.ref.site.patch.inline for m in done.done):
            where = ", ".join(str(n) for n in sorted({m.finding.line for m in done.done}))
            verb = "edited" if self.run.done else "would edit"
            self.notes.append(
                f"seccomp-lint: {shown}: {verb} the inline patch in place (line {where}) to fix "
                f"{', '.join(sorted({m.finding.rule for m in done.done}))}; nothing else in "
                "this kustomization changed"
            )

    # ----------------------------------------------------------------- the rebuild
    def check_rebuild(self, written: list[Written]) -> bool:
        """Rebuild; undo the files the rebuilt output blames (:meth:`_blamed`); whether all
        held. The state after it is the rebuilt one."""
        blamed = self.stage.confirm(written)
        for w in blamed:
            self.notes = [n for n in self.notes if f" {w.shown}: " not in n]
        assert self.rebuilt is not None  # _blamed rebuilt it
        rebuilt, remapped, built = self.rebuilt
        if blamed:
            rebuilt, remapped, built = lint_built(self.build.directory, self.run.options)
        if not rebuilt.error:
            self.remaining, self.mapped, self.built = rebuilt, remapped, built
        return not blamed

    def _blamed(self, written: list[Written]) -> dict[Written, str]:
        """The end-to-end check: the files whose objects the rebuilt output does not show as
        intended, or whose fix it does not show, or where it shows a new finding; and why."""
        self.rebuilt = lint_built(self.build.directory, self.run.options)
        rebuilt, after, built = self.rebuilt
        if rebuilt.error:
            return {w: f"the rebuild failed: {rebuilt.error}" for w in written}
        changes, by_doc = self._planned(written)
        now = Counter(built_identity(m) for m in after if m.finding.suppressed is None)
        was = Counter(built_identity(m) for m in self.mapped if m.finding.suppressed is None)
        out: dict[Written, str] = {}
        for w in written:
            for m in w.targets:
                if built_identity(m) in now and m.ref.built is not None:
                    b = m.ref.built
                    still = f"the rebuilt output still has {m.finding.rule} for {b.kind}/{b.name}"
                    out.setdefault(w, still)
        for i in _differing(self.built, built, changes):
            b = self.built[i] if i < len(self.built) else None
            label = f"{b.kind}/{b.name}" if b else f"document {i + 1}"
            # Nobody meant to change it: the file it comes from, else every file just written.
            culprits = by_doc.get(i) or [w for w in written if b and w.path == b.origin.path]
            for w in culprits or written:
                out.setdefault(w, f"the rebuilt {label} differs by more than the intended change")
        for identity in now - was:
            rule, kind, name = identity.rule, identity.kind, identity.name
            for i, b in enumerate(self.built):
                if (b.kind, b.namespace, b.name) == (kind, identity.namespace, name):
                    for w in by_doc.get(i, []):
                        out.setdefault(w, f"the rebuilt output has a new {rule} for {kind}/{name}")
        if self.siblings is not None:
            for w, why in self.siblings.blamed(written, self.stage.written).items():
                # (a stale annotation that another build uses: the run does not report it,
                # nor the removal it puts back)
                quiet = " would gain " in why and bool(w.targets)
                quiet = quiet and all(m.finding.rule == UNUSED.ID for m in w.targets)
                out.setdefault(w, "" if quiet else why)
        return out

    def _planned(
        self, written: list[Written]
    ) -> tuple[dict[int, list[Change]], dict[int, list[Written]]]:
        """The changes planned in each document of the old build, and the files that make them."""
        index = {id(b): i for i, b in enumerate(self.built)}
        changes: dict[int, list[Change]] = {}
        by_doc: dict[int, list[Written]] = {}
        for w in written:
            for m in w.targets:
                b, fix = m.ref.built, m.rendered.fix
                if b is None or fix is None or id(b) not in index:
                    continue
                i = index[id(b)]
                by_doc.setdefault(i, []).append(w)
                for change in fix.changes:
                    if change not in changes.setdefault(i, []):
                        changes[i].append(change)
        return changes, by_doc

    # ----------------------------------------------------------------- a patch for the overlay
    def _unfixed(self) -> list[KMapped]:
        """What no owned source file fixed: a finding with no file to edit, or whose in-place
        fix was declined or undone, or whose file is not the project's."""
        retry = {built_identity(m) for m in [*self.retry, *self.stage.undone]}
        done = {built_identity(m) for w in self.stage.written for m in w.targets}
        return [
            m
            for m in self.mapped
            if self.wanted(m)
            and m.finding.rule != UNUSED.ID  # (removed where it is written, or left: a patch
            # of the overlay would hide it in this build while the others still read it)
            and built_identity(m) not in done
            and ((m.ref.edit_file is None and m.ref.site is None) or built_identity(m) in retry)
        ]

    def add_patch_file(self) -> None:
        """A new patch file in the overlay for what is left, added to its kustomization; the
        patches printed instead when that cannot be done."""
        # Verified against the build as it is on disk: rebuilt after --fix, the original with
        # --diff (which changed nothing).
        before = self.remaining if self.run.write else self.build.result
        run = self.run
        blocks, held, problems = verified_patches(
            self.build.directory, before, self._unfixed(), run.options, run.unsafe
        )
        self.stage.problems.extend(problems)
        self.stage.held_back += held  # said once for the run, with the other unsafe fixes
        if blocks:
            why = self._add(blocks)
            if why is None:
                blocks = []
            else:
                self.stage.problems.append((self.build.directory, why))
        self.printed = render_patches(self.build.directory, blocks)

    def _add(self, blocks: list[tuple[str, list[KMapped]]]) -> str | None:
        """Write the patch file and its entry in the kustomization; why not, or None."""
        directory = self.build.directory
        kustomization = kustomization_of(directory)
        shown = os.path.normpath(kustomization)
        if not owned(kustomization, self.project):
            return f"{shown} is read-only or outside the project: the patch is printed instead"
        path = os.path.join(directory, new_patch_name(directory))
        text = patch_text([body for body, _ in blocks])
        try:
            seen = writer.stamp(kustomization)
            with open(kustomization, "rb") as handle:
                old = handle.read()
            new, added = with_patch_entry(old, os.path.basename(path))
        except OSError as exc:
            return f"cannot read {shown}: {exc.strerror or exc}"
        except (NoFix, Rejected, UnicodeDecodeError) as exc:
            return f"cannot add a patch entry to {shown} ({exc}): the patch is printed instead"
        targets = [m for _, ms in blocks for m in ms]
        patch = Written(path, os.path.normpath(path), None, text, targets)
        entry = Written(kustomization, shown, old, new, [])
        failed = self.stage.put(patch, None)
        if failed:
            return f"cannot write {patch.shown}: {failed}"
        failed = self.stage.put(entry, seen)
        if failed:
            self.stage.take_back(patch)
            return f"{shown} not rewritten: {failed}"
        if self.run.write and not self.check_rebuild([patch, entry]):
            for w in (patch, entry):
                if w in self.stage.written:
                    self.stage.take_back(w)
            return "the new patch was taken out again: the patch is printed instead"
        verb = "added" if self.run.done else "would add"
        objects = sorted({f"{m.ref.built.kind}/{m.ref.built.name}" for m in targets if m.ref.built})
        self.notes.append(
            f"seccomp-lint: {shown}: {verb} `{added}` to its patches: (the only change "
            f"made to a kustomization): the new {patch.shown} sets the seccomp profile of "
            + ", ".join(objects)
            + " (no source file it owns holds the value)"
        )
        return None

    def outcome(self) -> BuildFix:
        remaining = self.remaining
        if not self.run.write:  # --diff: what the fixes would leave
            done = {built_identity(m) for w in self.stage.written for m in w.targets}
            remaining = replace(
                remaining,
                findings=[m.finding for m in self.mapped if built_identity(m) not in done],
            )
        notes = "".join(n + "\n" for n in self.notes) + self.printed
        stage = self.stage
        return BuildFix(stage.files(), remaining, stage.problems, notes, stage.held_back)


def _differing(
    before: list[Built], after: list[Built], changes: dict[int, list[Change]]
) -> list[int]:
    """The documents of the rebuilt output that differ from the old build plus the changes
    planned in them (by document); every document when their number differs."""
    if len(before) != len(after):
        return list(range(max(len(before), len(after))))
    out = []
    for i, (old, new) in enumerate(zip(before, after)):
        if not changed_as_built(built_data(old), built_data(new), changes.get(i, [])):
            out.append(i)
    return out
