"""What ``--fix --kustomize DIR`` may edit, the patch file it adds to DIR, and the rebuild check.

Which files are edited in place: every local source file of the build (a resource, a patch
file, a kustomization's inline patch) that lies inside the project and is writable. The project
is the Git work tree holding DIR (the nearest directory above it with a ``.git``); when DIR is in
no work tree, every local file counts. A base in another checkout or a shared directory outside
the work tree, a read-only file, a remote base and a generator's object are not edited: the
change goes into a new strategic-merge patch file in DIR, which is added to DIR's kustomization.

Adding that file is the only change seccomp-lint makes to a kustomization: one ``- path:`` entry
spliced into its ``patches:`` list (``{path: …}`` in a flow list such as ``patches: []``; a
``patches:`` list appended when it has none), every other byte kept, verified by parsing the
result. The new file never replaces an existing one.
"""

from __future__ import annotations

import copy
import json
import os

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ...edit.edits import NoFix
from ...edit.splices import Rejected, parse_data, verify
from ...model.data import Applicability, Change, ChangeOp, Fix
from ...text.documents import parse_stream
from .build import ORIGIN, TRANSFORMATIONS, Built, kustomization_file

PATCH_NAME = "seccomp-lint-patch"
HEADER = (
    "# Added by seccomp-lint --fix: seccomp profiles for objects this kustomization does not\n"
    "# own (see docs/helm-kustomize.md). Edit or fold it into your own patches as you like.\n"
)


def project_root(directory: str) -> str | None:
    """The Git work tree holding ``directory``, or None."""
    here = os.path.realpath(directory)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        up = os.path.dirname(here)
        if up == here:
            return None
        here = up


def owned(path: str, project: str | None) -> bool:
    """Whether ``--fix`` edits this source file in place (see the module's documentation)."""
    real = os.path.realpath(path)
    if project is not None and os.path.commonpath([real, project]) != project:
        return False
    try:
        writable = bool(os.stat(real).st_mode & 0o222)
    except OSError:
        return False
    return writable and os.access(real, os.W_OK)


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


def add_entry(kustomization: bytes, name: str) -> tuple[bytes, str]:
    """The kustomization with ``- path: NAME`` added to its ``patches:`` (``{path: NAME}`` in a
    flow list), verified; and the entry as written."""
    body = kustomization.decode("utf-8")
    nl = "\r\n" if "\r\n" in body else "\n"
    docs = parse_stream(kustomization)
    if len(docs) != 1 or not isinstance(docs[0].root, MappingNode):
        raise NoFix("the kustomization is not one mapping")
    doc = docs[0]
    root = docs[0].root
    assert isinstance(root, MappingNode)
    entry = doc.entry(root, "patches")
    lines = body.splitlines(keepends=True)
    if entry is None:
        if any(k.value == "<<" for k, _ in root.value) or root.flow_style:
            raise NoFix("the kustomization's top level is not a plain block mapping")
        ending = "" if not body or body.endswith(("\n", "\r")) else nl
        added = f"- path: {name}"
        new = body + ending + f"patches:{nl}{added}{nl}"
        change = Change(ChangeOp.SET, ("patches",), json.dumps([{"path": name}]))
    else:
        seq = entry[1]
        if not isinstance(seq, SequenceNode):
            raise NoFix("its patches: is not a list")
        change = Change(ChangeOp.SET, ("patches", len(seq.value)), json.dumps({"path": name}))
        if seq.flow_style:
            close = seq.end_mark.index - 1
            if body[close : close + 1] != "]":
                raise NoFix("unexpected text in its patches: list")
            added = f"{{path: {name}}}"
            new = body[:close] + (", " if seq.value else "") + added + body[close:]
        elif not seq.value:
            raise NoFix("its patches: list is empty")
        else:
            first = lines[seq.value[0].start_mark.line]
            dash = first[: seq.value[0].start_mark.column].rstrip()
            if not dash.endswith("-") or dash[:-1].strip():
                raise NoFix("unexpected text in its patches: list")
            pad = dash[:-1]
            last = _last_line(seq.value[-1], lines)
            head = "".join(lines[: last + 1])
            if not head.endswith(("\n", "\r")):
                head += nl
            added = f"- path: {name}"
            new = head + f"{pad}{added}{nl}" + "".join(lines[last + 1 :])
    verify(body, new, [Fix("", Applicability.SAFE, (), (change,))], False)
    return new.encode("utf-8"), added


def _last_line(node: Node, lines: list[str]) -> int:
    """The 0-based line where a block node's content ends (not the blank lines and comments
    after it, which the parser counts in)."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    end = node.end_mark
    last = end.line - 1 if end.column == 0 else end.line
    block = isinstance(node, ScalarNode) and node.style in ("|", ">")
    while last > node.start_mark.line and (
        not lines[last].strip() or (not block and lines[last].lstrip().startswith("#"))
    ):
        last -= 1
    return last


# --------------------------------------------------------------------------- the rebuild check


def _data(b: Built) -> object:
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


def _changed(value: object, change: Change) -> object:
    *steps, last = change.path
    here = value
    for step in steps:
        here = here[step]  # type: ignore[index]
    if change.op == "set":
        here[last] = json.loads(change.value)  # type: ignore[index]
    elif isinstance(here, dict):
        here.pop(last, None)
    return value


def unexpected(
    before: list[Built], after: list[Built], changes: dict[int, list[Change]]
) -> set[int]:
    """The documents of the rebuilt output that differ from the old build plus the intended
    changes (by document); every document when their number differs."""
    if len(before) != len(after):
        return set(range(max(len(before), len(after))))
    bad = set()
    for i, (old, new) in enumerate(zip(before, after)):
        want = copy.deepcopy(_data(old))
        try:
            for change in changes.get(i, []):
                want = _changed(want, change)
        except (KeyError, IndexError, TypeError):
            bad.add(i)
            continue
        if want != _data(new):
            bad.add(i)
    return bad


def kustomization_of(directory: str) -> str:
    return kustomization_file(directory) or os.path.join(directory, "kustomization.yaml")
