"""Built inputs: ``--kustomize DIR`` and ``--chart DIR``, linted, and fixed in their sources.

Lint results come back as ``FileResult`` values, one per source file, like any other input.
The fix stage of a Kustomize build goes through the same fix loop as plain files
(:func:`~seccomp_lint.fixes.fix_file`), limited to the findings the build re-located in each
source file; then the build is run again and an edit the rebuilt output does not show is undone.
A finding no source file can fix gets a strategic-merge patch for the overlay, rendered from
the fix's structural change (``null`` where a key must go) and verified by building the overlay
with it first. Rendered Helm output is never rewritten: the finding's help names the template or
values key.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from yaml.nodes import Node, SequenceNode

from . import writer
from .documents import text
from .edits import scalar
from .fixes import FileFix, applicable, fix_file
from .helm import lint_chart
from .kustomize import Mapped, kustomization_file, lint_mapped
from .linter import FileResult
from .model import Applicability, Finding, Options
from .report import counted
from .rules import BY_ID


@dataclass
class Build:
    """One ``--kustomize`` or ``--chart`` input: its result and each finding's mapping."""

    directory: str
    result: FileResult
    mapped: list[Mapped] = field(default_factory=list)
    kustomize: bool = True

    def per_file(self) -> list[FileResult]:
        """One FileResult per source file with findings, else one for the whole build."""
        return per_file(self.result)


def lint_builds(
    kustomizations: list[str], charts: list[str], values: list[str], options: Options
) -> list[Build]:
    """Build and lint every kustomization and chart."""
    out = []
    for directory in kustomizations:
        result, mapped = lint_mapped(directory, options)
        out.append(Build(directory, result, mapped))
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
    patches: str = ""  # patches to paste into the overlay, verified by a build
    held_back: int = 0  # unsafe fixes not applied in the source files


def fix_kustomize(
    build: Build,
    options: Options,
    unsafe: bool,
    write: bool,
    keep: Callable[[Finding], bool],
) -> BuildFix:
    """Fix the source files of one kustomization; rebuild; undo what the build does not show."""
    wanted: dict[str, set[tuple]] = {}
    shown: dict[str, str] = {}
    for m in build.mapped:
        if m.edit_file is None or m.edit_identity is None or not keep(m.finding):
            continue
        src = m.source_finding
        if src is not None and not applicable(src, unsafe):
            continue  # a plain file's finding whose fix --fix would not apply
        if src is None and not BY_ID[m.finding.rule].FIXES:
            continue  # in a patch file: a rule without fixes
        wanted.setdefault(m.edit_file, set()).add(m.edit_identity)
        shown[m.edit_file] = m.finding.path
    changed: dict[str, FileFix] = {}
    problems: list[tuple[str, str]] = []
    held_back = 0
    for path, keys in sorted(wanted.items()):

        def in_keys(f: Finding, keys: set[tuple] = keys) -> bool:
            return f.identity in keys

        ff = fix_file(path, options, unsafe, write, shown[path], in_keys)
        held_back += ff.held_back
        if ff.error or ff.notice:
            problems.append((shown[path], ff.error or ff.notice or ""))
        if ff.changed:
            changed[path] = ff
    remaining, mapped = build.result, build.mapped
    undone: set[str] = set()
    if write and changed:
        rebuilt, remapped = lint_mapped(build.directory, options)
        stale = _stale(build.mapped, remapped, changed, rebuilt.error)
        if stale:
            for path, why in stale.items():
                ff = changed.pop(path)
                try:
                    failed = writer.replace_atomically(
                        path, ff.original, ff.fixed, writer.stamp(path)
                    )
                except OSError as exc:
                    failed = exc.strerror or str(exc)
                if failed:
                    problems.append((shown[path], f"{why}; the fix could not be undone: {failed}"))
                else:
                    problems.append((shown[path], f"fix undone: {why}"))
                undone.add(path)
            rebuilt, remapped = lint_mapped(build.directory, options)
        if not rebuilt.error:
            remaining, mapped = rebuilt, remapped
    elif changed:  # --diff: what the fixes would leave, from each file's own re-lint
        fixed_ids = {f.identity for ff in changed.values() for f in ff.before} - {
            f.identity for ff in changed.values() for f in ff.findings
        }
        left = [m.finding for m in mapped if m.edit_identity not in fixed_ids]
        remaining = replace(remaining, findings=left)
        mapped = [m for m in mapped if m.finding in left]
    # A finding no source file can fix in place (a JSON patch, an inline patch, a generator, a
    # remote base), or whose fix the rebuild undid, gets a patch for the overlay instead.
    unfixed = [
        m
        for m in mapped
        if m.finding.suppressed is None
        and keep(m.finding)
        and (m.edit_file is None or m.edit_file in undone)
    ]
    # A patch is verified against the build as it is on disk: rebuilt after --fix, the
    # original with --diff (which changed nothing).
    baseline = remaining if write else build.result
    patches, patch_problems = suggested_patches(build.directory, baseline, unfixed, options, unsafe)
    fixed = BuildFix(list(changed.values()), remaining, problems + patch_problems, patches)
    fixed.held_back = held_back
    return fixed


def _stale(
    before: list[Mapped], after: list[Mapped], changed: dict[str, FileFix], error: str | None
) -> dict[str, str]:
    """The edited files whose fix the rebuilt output does not show, and why."""
    if error:
        return {path: f"the rebuild failed: {error}" for path in changed}
    now = {_built_identity(m) for m in after}
    stale: dict[str, str] = {}
    for m in before:
        ff = changed.get(m.edit_file or "")
        if ff is None or m.edit_file in stale or m.edit_identity is None or m.built is None:
            continue
        fixed = {f.identity for f in ff.before} - {f.identity for f in ff.findings}
        if m.edit_identity in fixed and _built_identity(m) in now:
            stale[m.edit_file or ""] = (
                f"the rebuilt output still has {m.finding.rule} for {m.built.kind}/{m.built.name}"
            )
    return stale


def _built_identity(m: Mapped) -> tuple:
    b = m.built
    return (m.finding.rule, b.kind if b else None, b.name if b else None, m.finding.container,
            m.finding.setting)


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
                if not isinstance(node, SequenceNode) or nxt >= len(node.value) or i + 2 >= len(path):
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
            shown = "null" if item is None else scalar(item, False) if isinstance(item, str) else json.dumps(item)
            lines.append(f"{pad}{scalar(key, False)}: {shown}")
    return "\n".join(lines)


def suggested_patches(
    directory: str, before: FileResult, mapped: list[Mapped], options: Options, unsafe: bool
) -> tuple[str, list[tuple[str, str]]]:
    """Patches, ready to paste into the kustomization of ``directory``, each verified by a
    build of the overlay with the patch: the finding is gone and no other finding appeared."""
    blocks: list[str] = []
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
        if body is None or body in blocks:
            continue
        why = _verify_patch(directory, body, m, before, options)
        if why:
            problems.append((m.finding.path, f"no patch suggested for {m.finding.rule}: {why}"))
            continue
        blocks.append(body)
    if not blocks:
        if held:
            return (
                f"seccomp-lint: {counted(held, 'patch')} held back as unsafe (review them, then "
                "rerun with --unsafe-fixes)\n",
                problems,
            )
        return "", problems
    target = kustomization_file(directory) or f"{directory}/kustomization.yaml"
    if _has_key(target, "patches"):
        lines = [f"# Add to the patches: list of {target} (no file was changed for these):"]
    else:
        lines = [f"# Paste into {target} (no file was changed for these findings):", "patches:"]
    for body in blocks:
        lines.append("- patch: |-")
        lines.extend("    " + line for line in body.splitlines())
    return "\n".join(lines) + "\n", problems


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
