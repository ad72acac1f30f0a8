"""Strategic-merge patches for what no source file of a kustomization can fix.

A patch is rendered from the fix's structural change as planned on the build output (its path
runs from the built object's root; a container is written as a list item with its ``name``, as
a strategic merge finds it; ``null`` where a key must go), written as a new document with the
edit engine's writer and quoting, and verified by a build of the overlay with it. The overlay
adapter adds such patches to the overlay as a new file (:mod:`.overlay`), or prints them to paste.
"""

from __future__ import annotations

import json
from collections import Counter

from yaml.nodes import Node, SequenceNode

from ...edit.edits import NoFix, block_lines, new_document
from ...lint.linter import FileResult
from ...model.data import Applicability, ChangeOp, Options
from ...text.documents import text
from ..adapter import Mapped
from .build import InSource, kustomization_of, lint_built
from .unchanged import HARMLESS


def patch_for(m: Mapped[InSource]) -> str | None:
    """A strategic-merge patch that makes the change of the finding's fix, or None.

    The change's path runs from the built object's root; a list item (a container) is written
    as an item with its ``name``, which is how a strategic merge finds it.
    """
    fix, b = m.rendered.fix, m.ref.built
    if fix is None or not fix.changes or b is None or b.kind is None:
        return None
    doc = b.doc
    api = text(doc.get(doc.root, "apiVersion"))
    # The object as its resource file names it: kustomize matches a patch against every name
    # and namespace the object had, and the overlay's patches run before its own namePrefix
    # and namespace:, so the built ones would match only in the wrapper build.
    source = m.ref.source
    name, namespace = (source.name, source.namespace) if source else (b.name, b.namespace)
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
        here[last] = json.loads(change.value) if change.op == ChangeOp.SET else None
    tree.pop("apiVersion", None)
    tree.pop("kind", None)
    metadata = tree.pop("metadata", {})
    target = {"name": name, **({"namespace": namespace} if namespace is not None else {})}
    head = {"apiVersion": api, "kind": b.kind, "metadata": {**target, **metadata}}
    try:
        return new_document({**head, **tree}).rstrip("\n")
    except NoFix:
        return None


_UNNAMED = (
    "which object of its resource file it was built from is not known (several have its kind "
    "and name), and a patch here names it as it was before this kustomization renamed or moved it"
)


def unnamed(m: Mapped[InSource]) -> bool:
    """Whether the built object was renamed or moved on the way (so its built name and namespace
    are not the ones a patch in its kustomization must name) and its source object is not known."""
    b = m.ref.built
    return (
        m.ref.source is None
        and b is not None
        and any(step.kind in HARMLESS for step in b.origin.steps)
    )


def verified_patches(
    directory: str,
    before: FileResult,
    mapped: list[Mapped[InSource]],
    options: Options,
    unsafe: bool,
) -> tuple[list[tuple[str, list[Mapped[InSource]]]], int, list[tuple[str, str]]]:
    """Strategic-merge patches for the overlay ``directory`` and the findings each fixes, each
    verified by a build of the overlay with the patch: the finding is gone and no other finding
    appeared; the number held back as unsafe; and why others were not made."""
    blocks: dict[str, list[Mapped[InSource]]] = {}
    held = 0
    problems: list[tuple[str, str]] = []
    for m in mapped:
        fix = m.rendered.fix
        if fix is None or not fix.changes:
            continue
        if not (unsafe or fix.applicability == Applicability.SAFE):
            held += 1
            continue
        if unnamed(m):
            problems.append(
                (m.finding.path, f"no patch suggested for {m.finding.rule}: {_UNNAMED}")
            )
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


def render_patches(directory: str, blocks: list[tuple[str, list[Mapped[InSource]]]]) -> str:
    """Patches, ready to paste into the kustomization of ``directory``."""
    if not blocks:
        return ""
    target = kustomization_of(directory)
    if _has_key(target, "patches"):
        lines = [f"# Add to the patches: list of {target} (no file was changed for these):"]
    else:
        lines = [f"# Paste into {target} (no file was changed for these findings):", "patches:"]
    items = block_lines({"patches": [{"patch": body} for body, _ in blocks]})
    return "\n".join(lines) + "\n" + items.split("\n", 1)[1]


def _verify_patch(
    directory: str, patch: str, m: Mapped[InSource], before: FileResult, options: Options
) -> str | None:
    """Why the patch does not do what it should, or None when a build with it shows the fix."""
    after = lint_built(directory, options, (patch,))[0]
    if after.error:
        return f"the build with it fails: {after.error}"
    now = Counter(f.identity for f in after.reported)
    if now[m.finding.identity]:
        return "the build with it still has the finding"
    added = now - Counter(f.identity for f in before.reported)
    if added:
        return f"it would add {next(iter(added)).rule}"
    return None


def _has_key(path: str, key: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(line.startswith(f"{key}:") for line in handle)
    except OSError:
        return False
