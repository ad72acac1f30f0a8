"""What ``--fix --kustomize DIR`` may edit, the patch file it adds to DIR, and a built object's
data for the rebuild check.

Which files are edited in place: every local source file of the build (a resource, a patch
file, a kustomization's inline patch) that lies inside the project and is writable. The project
is the Git work tree holding DIR (the nearest directory above it with a ``.git``); when DIR is in
no work tree, every local file counts. A base in another checkout or a shared directory outside
the work tree, a read-only file, a remote base and a generator's object are not edited: the
change goes into a new strategic-merge patch file in DIR, which is added to DIR's kustomization.

Adding that file is the only change seccomp-lint makes to a kustomization: one ``- path:`` entry
spliced into its ``patches:`` list by the edit engine (``{path: …}`` in a flow list such as
``patches: []``; a ``patches:`` list appended when it has none), every other byte kept, verified
by parsing the result. The new file never replaces an existing one.
"""

from __future__ import annotations

import os

from yaml.nodes import MappingNode

from ...edit.edits import Context, NoFix, append_item
from ...edit.splices import Rejected, apply_edits, changed_exactly, parse_data, verify
from ...edit.writer import unwritable
from ...model.data import Applicability, Change, ChangeOp, Edit, Fix
from ...text.documents import parse_stream
from ...text.suppressions import ANNOTATION
from .origin import ORIGIN, TRANSFORMATIONS, Built

PATCH_NAME = "seccomp-lint-patch"
HEADER = (
    "# Added by seccomp-lint --fix: seccomp profiles for objects this kustomization does not\n"
    "# own (see docs/helm-kustomize.md). Edit or fold it into your own patches as you like.\n"
)


def owned(path: str, project: str | None) -> bool:
    """Whether ``--fix`` edits this source file in place (see the module's documentation)."""
    real = os.path.realpath(path)
    if project is not None and os.path.commonpath([real, project]) != project:
        return False
    return unwritable(real) is None


def new_patch_name(directory: str) -> str:
    """A file name in ``directory`` that no file has yet."""
    n = 1
    while True:
        name = f"{PATCH_NAME}.yaml" if n == 1 else f"{PATCH_NAME}-{n}.yaml"
        if not os.path.lexists(os.path.join(directory, name)):
            return name
        n += 1


def patch_text(bodies: list[str]) -> bytes:
    """The new patch file: one strategic-merge document per body."""
    return (HEADER + "---\n".join(body.rstrip("\n") + "\n" for body in bodies)).encode()


def with_patch_entry(kustomization: bytes, name: str) -> tuple[bytes, str]:
    """The kustomization with ``- path: NAME`` added to its ``patches:`` (``{path: NAME}`` in a
    flow list), verified; and the entry as written."""
    body = kustomization.decode("utf-8")
    docs = parse_stream(kustomization)
    root = docs[0].root if len(docs) == 1 else None
    if not isinstance(root, MappingNode):
        raise NoFix("the kustomization is not one mapping")
    c = Context(docs[0])
    spans, change, added = append_item(c, root, "patches", {"path": name})
    new = apply_edits(body, [Edit(c.pos(start), c.pos(end), text) for start, end, text in spans])
    verify(body, new, [Fix("", Applicability.SAFE, (), (change,))], False)
    return new.encode("utf-8"), added


# --------------------------------------------------------------------------- the rebuild check


def built_data(b: Built) -> object:
    """A built object's data without the annotations the wrapper build adds."""
    try:
        data = parse_data(b.doc.text.decode("utf-8"), False)
    except (Rejected, UnicodeDecodeError):
        return None
    value = data[0] if data else None
    meta = value.get("metadata") if isinstance(value, dict) else None
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(meta, dict) and isinstance(notes, dict):
        notes.pop(ORIGIN, None)
        notes.pop(TRANSFORMATIONS, None)
        if not notes:
            del meta["annotations"]
    return value


def changed_as_built(old: object, new: object, changes: list[Change]) -> bool:
    """Whether a built object's data ``new`` is ``old`` with exactly ``changes`` made (both as
    :func:`built_data` gives them)."""
    return changed_exactly(old, new, _emptied(old, _kept_there(old, new, changes))) is None


def _kept_there(old: object, new: object, changes: list[Change]) -> list[Change]:
    """``changes``, a deleted annotations map made the deletion of the suppression annotations
    the build no longer shows there, where it still shows a map: the file's map was left empty
    (of suppressions only: the fix removes nothing else), and a ``commonAnnotations`` or a patch
    of the overlay still puts its own there."""
    out = []
    for c in changes:
        before, after = _at(old, c.path), _at(new, c.path)
        emptied = c.op is ChangeOp.DELETE and c.path[-1:] == ("annotations",)
        if emptied and isinstance(before, dict) and isinstance(after, dict):
            gone = [k for k in before if _suppression(k) and k not in after]
            out += [Change(ChangeOp.DELETE, (*c.path, k)) for k in gone]
            continue
        out.append(c)
    return out


def _suppression(key: object) -> bool:
    return isinstance(key, str) and key.startswith(ANNOTATION)


def _at(data: object, path: tuple) -> object:
    for step in path:
        inside = isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        if not (inside or (isinstance(data, dict) and step in data)):
            return None
        data = data[step]  # type: ignore[index]
    return data


_ANNOTATIONS = ("metadata", "annotations")


def _emptied(data: object, changes: list[Change]) -> list[Change]:
    """``changes``, and the object's annotations deleted where they delete each of its own:
    the build adds annotations of its own, and an object left with those alone shows none
    (:func:`built_data`), where the file leaves an empty map or none."""
    meta = data.get("metadata") if isinstance(data, dict) else None
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    deleted = [c for c in changes if c.op is ChangeOp.DELETE and c.path[:-1] == _ANNOTATIONS]
    if isinstance(notes, dict) and notes and set(notes) <= {c.path[-1] for c in deleted}:
        # (one change for the lot: each is checked against the object as it was before)
        return [c for c in changes if c not in deleted] + [Change(ChangeOp.DELETE, _ANNOTATIONS)]
    return changes
