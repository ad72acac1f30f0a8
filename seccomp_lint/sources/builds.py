"""Built inputs: ``--kustomize DIR`` and ``--chart DIR``, linted, and fixed in their sources.

Lint results come back as ``FileResult`` values, one per source file, like any other input.
The fix stage of a Kustomize build edits each finding's source in place: resource files and
strategic-merge patch files through the same fix loop as plain files
(:func:`~seccomp_lint.fix.fixes.fix_file`), JSON 6902 and inline patches from the build's fix
(:mod:`~seccomp_lint.sources.kustomize.patch_edits`). Then the build is run again and a file whose change the
rebuilt output does not show as intended is put back. What no file the project owns can fix
gets a new strategic-merge patch file in the overlay, added to its kustomization
(:mod:`~seccomp_lint.sources.kustomize.overlay`), rendered from the fix's structural change (``null`` where a key
must go), verified by a build with it first and by the rebuild after; it is printed instead when
it cannot be added. Rendered Helm output is never rewritten: the finding's help names the
template or values key.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from yaml.nodes import Node, SequenceNode

from ..edit import writer
from ..edit.edits import NoFix, scalar
from ..edit.splices import Rejected
from ..fix.fixes import FileFix, applicable, fix_file
from ..lint.linter import FileResult
from ..model.data import Applicability, Change, Finding, Identity, Options
from ..output.report import counted
from ..rules import BY_ID
from ..text.documents import text
from .helm.render import lint_chart
from .kustomize.build import Built, Mapped, kustomization_file, lint_built, lint_mapped
from .kustomize.overlay import (
    add_entry,
    kustomization_of,
    new_patch_name,
    owned,
    patch_text,
    project_root,
    unexpected,
)
from .kustomize.patch_edits import rewrite


@dataclass
class Build:
    """One ``--kustomize`` or ``--chart`` input: its result and each finding's mapping."""

    directory: str
    result: FileResult
    mapped: list[Mapped] = field(default_factory=list)
    kustomize: bool = True
    built: list[Built] = field(default_factory=list)  # the build output's objects

    def per_file(self) -> list[FileResult]:
        """One FileResult per source file with findings, else one for the whole build."""
        return per_file(self.result)


def lint_builds(
    kustomizations: list[str], charts: list[str], values: list[str], options: Options
) -> list[Build]:
    """Build and lint every kustomization and chart."""
    out = []
    for directory in kustomizations:
        result, mapped, built = lint_built(directory, options)
        out.append(Build(directory, result, mapped, built=built))
    for chart in charts:
        out.append(Build(chart, lint_chart(chart, values, options), kustomize=False))
    return out


def per_file(result: FileResult) -> list[FileResult]:
    """Split a build's result by source file."""
    if result.error or not result.findings:
        return [result]
    by_path: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_path.setdefault(f.path, []).append(f)
    return [
        FileResult(
            path,
            by_path[path],
            documents=result.documents if i == 0 else 0,
            pods=result.pods if i == 0 else 0,
        )
        for i, path in enumerate(sorted(by_path))
    ]


# --------------------------------------------------------------------------- the fix stage


@dataclass
class BuildFix:
    """What fixing one kustomization did."""

    files: list[FileFix]  # the source files that changed (or would, with --diff)
    remaining: FileResult  # the findings after the fix, per the rebuilt output
    problems: list[tuple[str, str]]  # (path, why) for what could not be done
    patches: str = ""  # what was edited in kustomizations, and patches to paste
    held_back: int = 0  # unsafe fixes not applied in the source files


def fix_kustomize(
    build: Build,
    options: Options,
    unsafe: bool,
    write: bool,
    keep: Callable[[Finding], bool],
) -> BuildFix:
    """Fix the sources of one kustomization in place; rebuild and undo what the build does not
    show; then add a patch file to the overlay for what no source file it owns can fix."""
    stage = _Stage(build, options, unsafe, write, keep)
    stage.in_place()
    if write and stage.written:
        stage.check_rebuild(list(stage.written))
    stage.add_patch_file()
    return stage.outcome()


@dataclass(eq=False)
class _Written:
    """A file the fix stage changed (or would, with --diff), and the findings it fixes."""

    path: str
    shown: str
    original: bytes | None  # None: a new file
    fixed: bytes
    targets: list[Mapped]
    file_fix: FileFix | None = None  # when the one fix loop made it
    note: str = ""
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


class _Stage:
    """One kustomization's fix stage."""

    def __init__(
        self,
        build: Build,
        options: Options,
        unsafe: bool,
        write: bool,
        keep: Callable[[Finding], bool],
    ) -> None:
        self.build, self.options, self.unsafe, self.write = build, options, unsafe, write
        self.keep = keep
        self.project = project_root(build.directory)
        self.written: list[_Written] = []
        self.problems: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.held_back = 0
        self.remaining, self.mapped, self.built = build.result, build.mapped, build.built
        self.retry: list[Mapped] = []  # in-place fixes undone or declined: patched instead
        self.printed = ""

    def wanted(self, m: Mapped) -> bool:
        return m.finding.suppressed is None and self.keep(m.finding)

    # ----------------------------------------------------------------- in place
    def in_place(self) -> None:
        by_file: dict[str, set[tuple]] = {}
        shown: dict[str, str] = {}
        sites: dict[str, list[Mapped]] = {}
        for m in self.build.mapped:
            if not self.wanted(m):
                continue
            if m.edit_file is not None and m.edit_identity is not None:
                src = m.source_finding
                if src is not None and not applicable(src, self.unsafe):
                    continue  # a plain file's finding whose fix --fix would not apply
                if src is None and not BY_ID[m.finding.rule].FIXES:
                    continue  # in a patch file: a rule without fixes
                if not owned(m.edit_file, self.project):
                    self.retry.append(m)
                    continue
                by_file.setdefault(m.edit_file, set()).add(m.edit_identity)
                shown[m.edit_file] = m.finding.path
            elif m.site is not None and m.built_fix is not None and m.built_fix.changes:
                if not owned(m.site.patch.file, self.project):
                    self.retry.append(m)
                elif self.unsafe or m.built_fix.applicability == Applicability.SAFE:
                    sites.setdefault(m.site.patch.file, []).append(m)
                    shown[m.site.patch.file] = m.finding.path
                else:
                    self.held_back += 1
        for path, keys in sorted(by_file.items()):
            self._fix_file(path, keys, shown[path])
        for path, items in sorted(sites.items()):
            self._rewrite(path, items, shown[path])

    def _fix_file(self, path: str, keys: set[tuple], shown: str) -> None:
        def in_keys(f: Finding) -> bool:
            return f.identity in keys

        ff = fix_file(path, self.options, self.unsafe, self.write, shown, in_keys)
        self.held_back += ff.held_back
        if ff.error or ff.notice:
            self.problems.append((shown, ff.error or ff.notice or ""))
        if ff.changed:
            fixed = {f.identity for f in ff.before} - {f.identity for f in ff.findings}
            targets = [
                m for m in self.build.mapped if m.edit_file == path and m.edit_identity in fixed
            ]
            self._record(_Written(path, shown, ff.original, ff.fixed, targets, ff))

    def _rewrite(self, path: str, items: list[Mapped], shown: str) -> None:
        try:
            seen = writer.stamp(path)
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            self.problems.append((shown, f"cannot read: {exc.strerror or exc}"))
            return
        if any(
            m.site is not None and not m.site.patch.inline and m.site.patch.data != data
            for m in items
        ):
            self.problems.append((shown, "not rewritten: it changed on disk since it was read"))
            return
        done = rewrite(path, data, items)
        for m, why in done.declined:
            self.problems.append((shown, f"{m.finding.rule} not fixed in the patch: {why}"))
            self.retry.append(m)
        if not done.changed:
            return
        if self.write:
            failed = writer.replace_atomically(path, done.fixed, data, seen)
            if failed:
                self.problems.append((shown, f"not rewritten: {failed}"))
                self.retry.extend(done.done)
                return
        lines = sorted({m.finding.line for m in done.done})
        where = ", ".join(str(n) for n in lines)
        if any(m.site is not None and m.site.patch.inline for m in done.done):
            verb = "edited" if self.write else "would edit"
            self.notes.append(
                f"seccomp-lint: {shown}: {verb} the inline patch in place (line {where}) to fix "
                f"{', '.join(sorted({m.finding.rule for m in done.done}))}; nothing else in "
                "this kustomization changed"
            )
        self._record(_Written(path, shown, data, done.fixed, done.done))

    def _record(self, *written: _Written) -> None:
        """Files just changed (with --fix: written, and stamped to undo only that version)."""
        for w in written:
            if self.write:
                try:
                    w.seen = writer.stamp(w.path)
                except OSError:
                    pass
            self.written.append(w)

    # ----------------------------------------------------------------- the rebuild
    def check_rebuild(self, written: list[_Written]) -> bool:
        """Rebuild; undo the files whose objects the rebuilt output does not show as intended
        (or whose fix it does not show, or where it shows a new finding). Whether all held."""
        rebuilt, remapped, built = lint_built(self.build.directory, self.options)
        blamed = self._blamed(written, rebuilt, remapped, built)
        for w, why in blamed.items():
            self.written.remove(w)
            failed = w.undo()
            if failed:
                self.problems.append((w.shown, f"{why}; {_not_undone(w, failed)}"))
            elif w.original is None:
                self.problems.append((w.shown, f"not added: {why}"))
            else:
                self.problems.append((w.shown, f"fix undone: {why}"))
            self.retry.extend(w.targets)
            self.notes = [n for n in self.notes if f" {w.shown}: " not in n]
        if blamed:
            rebuilt, remapped, built = lint_built(self.build.directory, self.options)
        if not rebuilt.error:
            self.remaining, self.mapped, self.built = rebuilt, remapped, built
        return not blamed

    def _blamed(
        self, written: list[_Written], rebuilt: FileResult, after: list[Mapped], built: list[Built]
    ) -> dict[_Written, str]:
        if rebuilt.error:
            return {w: f"the rebuild failed: {rebuilt.error}" for w in written}
        index = {id(b): i for i, b in enumerate(self.built)}
        changes: dict[int, list[Change]] = {}
        by_doc: dict[int, list[_Written]] = {}
        for w in written:
            for m in w.targets:
                if m.built is None or m.built_fix is None or id(m.built) not in index:
                    continue
                i = index[id(m.built)]
                by_doc.setdefault(i, []).append(w)
                for change in m.built_fix.changes:
                    if change not in changes.setdefault(i, []):
                        changes[i].append(change)
        now = Counter(_built_identity(m) for m in after if m.finding.suppressed is None)
        was = Counter(_built_identity(m) for m in self.mapped if m.finding.suppressed is None)
        out: dict[_Written, str] = {}
        for w in written:
            for m in w.targets:
                if _built_identity(m) in now and m.built is not None:
                    out.setdefault(
                        w,
                        f"the rebuilt output still has {m.finding.rule} for "
                        f"{m.built.kind}/{m.built.name}",
                    )
        for i in sorted(unexpected(self.built, built, changes)):
            b = self.built[i] if i < len(self.built) else None
            label = f"{b.kind}/{b.name}" if b else f"document {i + 1}"
            # Nobody meant to change it: the file it comes from, else every file just written.
            culprits = by_doc.get(i) or [w for w in written if b and w.path == b.origin.path]
            for w in culprits or written:
                out.setdefault(w, f"the rebuilt {label} differs by more than the intended change")
        for identity in now - was:
            rule, kind, name = identity.rule, identity.kind, identity.name
            for i, b in enumerate(self.built):
                if (b.kind, b.name) == (kind, name):
                    for w in by_doc.get(i, []):
                        out.setdefault(w, f"the rebuilt output has a new {rule} for {kind}/{name}")
        return out

    # ----------------------------------------------------------------- a patch for the overlay
    def _unfixed(self) -> list[Mapped]:
        """What no owned source file fixed: a finding with no file to edit, or whose in-place
        fix was declined or undone, or whose file is not the project's."""
        retry = {_built_identity(m) for m in self.retry}
        done = {_built_identity(m) for w in self.written for m in w.targets}
        return [
            m
            for m in self.mapped
            if self.wanted(m)
            and _built_identity(m) not in done
            and ((m.edit_file is None and m.site is None) or _built_identity(m) in retry)
        ]

    def add_patch_file(self) -> None:
        """A new patch file in the overlay for what is left, added to its kustomization; the
        patches printed instead when that cannot be done."""
        unfixed = self._unfixed()
        # Verified against the build as it is on disk: rebuilt after --fix, the original with
        # --diff (which changed nothing).
        before = self.remaining if self.write else self.build.result
        blocks, held, problems = verified_patches(
            self.build.directory, before, unfixed, self.options, self.unsafe
        )
        self.problems.extend(problems)
        if blocks:
            why = self._add(blocks)
            if why is None:
                blocks = []
            else:
                self.problems.append((self.build.directory, why))
        self.printed = render_patches(self.build.directory, blocks, held)

    def _add(self, blocks: list[tuple[str, list[Mapped]]]) -> str | None:
        """Write the patch file and its entry in the kustomization; why not, or None."""
        directory = self.build.directory
        kustomization = kustomization_of(directory)
        shown = os.path.normpath(kustomization)
        if not owned(kustomization, self.project):
            return f"{shown} is read-only or outside the project: the patch is printed instead"
        name = new_patch_name(directory)
        path = os.path.join(directory, name)
        text = patch_text([body for body, _ in blocks])
        try:
            seen = writer.stamp(kustomization)
            with open(kustomization, "rb") as handle:
                old = handle.read()
            new, added = add_entry(old, name)
        except OSError as exc:
            return f"cannot read {shown}: {exc.strerror or exc}"
        except (NoFix, Rejected, UnicodeDecodeError) as exc:
            return f"cannot add a patch entry to {shown} ({exc}): the patch is printed instead"
        targets = [m for _, ms in blocks for m in ms]
        patch = _Written(path, os.path.normpath(path), None, text, targets)
        entry = _Written(kustomization, shown, old, new, [])
        if self.write:
            failed = writer.create_atomically(path, text)
            if failed:
                return f"cannot write {patch.shown}: {failed}"
            self._record(patch)
            failed = writer.replace_atomically(kustomization, new, old, seen)
            if failed:
                self.written.remove(patch)
                self._undo_quietly(patch)
                return f"{shown} not rewritten: {failed}"
            self._record(entry)
        else:
            self.written.extend([patch, entry])
        if self.write and not self.check_rebuild([patch, entry]):
            for w in (patch, entry):
                if w in self.written:
                    self.written.remove(w)
                    self._undo_quietly(w)
            return "the new patch was taken out again: the patch is printed instead"
        verb = "added" if self.write else "would add"
        self.notes.append(
            f"seccomp-lint: {shown}: {verb} `{added}` to its patches: (the only change "
            f"made to a kustomization): the new {patch.shown} sets the seccomp profile of "
            + ", ".join(sorted({f"{m.built.kind}/{m.built.name}" for m in targets if m.built}))
            + " (no source file it owns holds the value)"
        )
        return None

    def _undo_quietly(self, w: _Written) -> None:
        """Undo a file of a change taken back; a problem only when it cannot be."""
        failed = w.undo()
        if failed:
            self.problems.append((w.shown, _not_undone(w, failed)))

    def outcome(self) -> BuildFix:
        files = [w.as_file_fix() for w in self.written]
        remaining = self.remaining
        if not self.write:  # --diff: what the fixes would leave
            done = {_built_identity(m) for w in self.written for m in w.targets}
            remaining = replace(
                remaining,
                findings=[m.finding for m in self.mapped if _built_identity(m) not in done],
            )
        text = "".join(n + "\n" for n in self.notes) + self.printed
        fixed = BuildFix(files, remaining, self.problems, text)
        fixed.held_back = self.held_back
        return fixed


def _not_undone(w: _Written, why: str) -> str:
    if w.original is None:
        return f"the new file could not be taken out again: {why}"
    return f"the fix could not be undone: {why}"


def _built_identity(m: Mapped) -> Identity:
    b = m.built
    return m.finding.identity._replace(kind=b.kind if b else None, name=b.name if b else None)


# --------------------------------------------------------------------------- patches to paste


def patch_for(m: Mapped) -> str | None:
    """A strategic-merge patch that makes the change of the finding's fix, or None.

    The change's path runs from the built object's root; a list item (a container) is written
    as an item with its ``name``, which is how a strategic merge finds it.
    """
    fix, b = m.built_fix, m.built
    if fix is None or not fix.changes or b is None or b.kind is None:
        return None
    doc = b.doc
    api = text(doc.get(doc.root, "apiVersion"))
    name = m.original_name or b.name
    if api is None or name is None:
        return None
    tree: dict = {}
    node: Node | None
    for change in fix.changes:
        path, node, here, i = change.path, doc.root, tree, 0
        while i < len(path) - 1:
            step, nxt = path[i], path[i + 1]
            if not isinstance(step, str):
                return None
            node = doc.get(node, step)
            if isinstance(nxt, int):
                if (
                    not isinstance(node, SequenceNode)
                    or nxt >= len(node.value)
                    or i + 2 >= len(path)
                ):
                    return None
                item = node.value[nxt]
                item_name = text(doc.get(item, "name"))
                if item_name is None:
                    return None
                items = here.setdefault(step, [])
                entry = next((x for x in items if x.get("name") == item_name), None)
                if entry is None:
                    entry = {"name": item_name}
                    items.append(entry)
                here, node, i = entry, item, i + 2
            else:
                here, i = here.setdefault(step, {}), i + 1
        last = path[-1]
        if not isinstance(last, str):
            return None
        here[last] = json.loads(change.value) if change.op == "set" else None
    tree.pop("apiVersion", None)
    tree.pop("kind", None)
    metadata = tree.pop("metadata", {})
    head = {"apiVersion": api, "kind": b.kind, "metadata": {"name": name, **metadata}}
    return _yaml({**head, **tree})


def _yaml(value: object, indent: int = 0) -> str:
    """Block YAML for a patch: mappings, lists of mappings, JSON scalars (``null`` deletes)."""
    pad = " " * indent
    lines: list[str] = []
    assert isinstance(value, dict)
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{scalar(key, False)}:")
            lines.append(_yaml(item, indent + 2))
        elif isinstance(item, list):
            lines.append(f"{pad}{scalar(key, False)}:")
            for entry in item:
                body = _yaml(entry, indent + 2).splitlines()
                lines.append(f"{pad}- {body[0].lstrip()}")
                lines.extend(body[1:])
        else:
            shown = (
                "null"
                if item is None
                else scalar(item, False)
                if isinstance(item, str)
                else json.dumps(item)
            )
            lines.append(f"{pad}{scalar(key, False)}: {shown}")
    return "\n".join(lines)


def verified_patches(
    directory: str, before: FileResult, mapped: list[Mapped], options: Options, unsafe: bool
) -> tuple[list[tuple[str, list[Mapped]]], int, list[tuple[str, str]]]:
    """Strategic-merge patches for the overlay ``directory`` and the findings each fixes, each
    verified by a build of the overlay with the patch: the finding is gone and no other finding
    appeared; the number held back as unsafe; and why others were not made."""
    blocks: dict[str, list[Mapped]] = {}
    held = 0
    problems: list[tuple[str, str]] = []
    for m in mapped:
        fix = m.built_fix
        if fix is None or not fix.changes:
            continue
        if not (unsafe or fix.applicability == Applicability.SAFE):
            held += 1
            continue
        body = patch_for(m)
        if body is None:
            continue
        if body in blocks:
            blocks[body].append(m)
            continue
        why = _verify_patch(directory, body, m, before, options)
        if why:
            problems.append((m.finding.path, f"no patch suggested for {m.finding.rule}: {why}"))
            continue
        blocks[body] = [m]
    return list(blocks.items()), held, problems


def render_patches(directory: str, blocks: list[tuple[str, list[Mapped]]], held: int) -> str:
    """Patches, ready to paste into the kustomization of ``directory``."""
    if not blocks:
        if held:
            return (
                f"seccomp-lint: {counted(held, 'patch')} held back as unsafe (review them, then "
                "rerun with --unsafe-fixes)\n"
            )
        return ""
    target = kustomization_file(directory) or f"{directory}/kustomization.yaml"
    if _has_key(target, "patches"):
        lines = [f"# Add to the patches: list of {target} (no file was changed for these):"]
    else:
        lines = [f"# Paste into {target} (no file was changed for these findings):", "patches:"]
    for body, _ in blocks:
        lines.append("- patch: |-")
        lines.extend("    " + line for line in body.splitlines())
    return "\n".join(lines) + "\n"


def _verify_patch(
    directory: str, patch: str, m: Mapped, before: FileResult, options: Options
) -> str | None:
    """Why the patch does not do what it should, or None when a build with it shows the fix."""
    after, _ = lint_mapped(directory, options, (patch,))
    if after.error:
        return f"the build with it fails: {after.error}"
    now = Counter(f.identity for f in after.reported)
    if now[m.finding.identity]:
        return "the build with it still has the finding"
    added = now - Counter(f.identity for f in before.reported)
    if added:
        return f"it would add {next(iter(added))[0]}"
    return None


def _has_key(path: str, key: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(line.startswith(f"{key}:") for line in handle)
    except OSError:
        return False
