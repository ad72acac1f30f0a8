"""Seccomp profiles: find them, load each file once, validate it, and judge how much it allows.

A profile is the JSON a container runtime loads for a ``Localhost`` seccompProfile: the OCI runtime
spec's ``linux.seccomp`` object in the Docker/moby file format that containerd and CRI-O read. It
reaches the linter three ways: named by a manifest and resolved inside ``--profiles-dir`` (a copy of
the kubelet's seccomp root), as a JSON file linted directly (recognised by its ``defaultAction``),
or as the ``spec`` of a Security Profiles Operator ``SeccompProfile``. Profiles are validated with
``schemas/seccomp-profile.schema.json``; jsonschema is imported only when a profile is checked.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode

from ..text.documents import Document, compose, marker, text
from ..text.streams import Chunk, DecodeError, decode
from .data import ObjectRef, Options
from .resources import schema_bytes
from .seccomp import Setting, SettingOrigin
from .workloads import PodTemplate, is_object, objects

SPO_GROUP = "security-profiles-operator.x-k8s.io/"
SPO_KIND = "SeccompProfile"
# SeccompProfile spec fields that are not part of the profile the runtime loads.
_SPO_ONLY = ("baseProfileName", "disabled")
ALLOW, LOG = "SCMP_ACT_ALLOW", "SCMP_ACT_LOG"

# The syscalls container escapes and kernel exploits lean on: the escape-relevant part of the
# "significant syscalls blocked by the default profile" that Docker documents (namespaces, mounts,
# kernel code and keyrings, other processes' memory, file handles, exploit primitives), plus the
# newer mount API calls its profile gates behind CAP_SYS_ADMIN in the same way.
ESCAPE_SYSCALLS = frozenset(
    (
        # namespaces (clone itself is judged by its argument filter, see _CLONE)
        "unshare", "setns", "clone3",
        # mounts, with the new mount API
        "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
        "move_mount", "open_tree", "mount_setattr",
        # kernel code and kernel keyrings
        "init_module", "finit_module", "delete_module", "create_module", "kexec_load",
        "kexec_file_load", "bpf", "add_key", "keyctl", "request_key",
        # other processes' memory, file handles (the "shocker" escape), exploit primitives
        "ptrace", "process_vm_readv", "process_vm_writev", "open_by_handle_at",
        "perf_event_open", "userfaultfd",
    )
)  # fmt: skip
# clone counts only when no argument filter keeps namespace flags (CLONE_NEWUSER, ...) out.
_CLONE = "clone"


@dataclass(frozen=True)
class Verdict:
    """One reason a profile is permissive or invalid, and the node it is about."""

    kind: str  # "allow" | "log" | "invalid"
    text: str  # a predicate: "<subject> <text>"
    help: str
    node: Node

    def position(self, doc: Document | None) -> tuple[int, int]:
        """1-based (line, column) in the profile's file."""
        if doc is not None:
            return doc.pos(self.node)
        return self.node.start_mark.line + 1, self.node.start_mark.column + 1


@dataclass
class Profile:
    """A profile inside a parsed document: a JSON file's root, or an SPO object's ``spec``."""

    doc: Document
    node: Node | None  # the profile mapping; None when an SPO object has no spec
    label: str  # how messages name it
    prefix: str = ""  # dotted path of the profile in its object ("spec" for SPO)
    obj: ObjectRef | None = None
    object_root: Node | None = None
    anchor: Node | None = None  # where to report a missing spec
    json_text: bytes | None = None  # the text to read strictly as JSON, for a JSON file
    data_override: Any = None


def in_document(doc: Document) -> Iterator[Profile]:
    """The seccomp profiles in a document: a bare profile object, or SPO ``SeccompProfile``\\ s."""
    root = doc.root
    if not is_object(doc, root):
        if doc.prefix:
            return  # an item of a List, not a profile file
        entries = doc.mapping(root)
        if entries is not None and "defaultAction" in entries:
            json_text = doc.text if doc.text.lstrip()[:1] == b"{" else None
            yield Profile(doc, root, "seccomp profile", json_text=json_text)
        return
    # Most documents name no SeccompProfile: skip the walk (a backslash may escape the name).
    if b"SeccompProfile" not in doc.text and b"\\" not in doc.text:
        return
    for obj in objects(doc):
        api = text(doc.get(obj, "apiVersion")) or ""
        if text(doc.get(obj, "kind")) != SPO_KIND or not api.startswith(SPO_GROUP):
            continue
        meta = doc.get(obj, "metadata")
        ref = ObjectRef(
            kind=SPO_KIND,
            name=text(doc.get(meta, "name")),
            namespace=text(doc.get(meta, "namespace")),
            document=doc.index,
        )
        spec = doc.entry(obj, "spec")
        kind_key = doc.entry(obj, "kind")
        yield Profile(
            doc,
            spec[1] if spec else None,
            f"{SPO_KIND}/{ref.name or '<unnamed>'}",
            prefix="spec",
            obj=ref,
            object_root=obj,
            anchor=spec[0] if spec else (kind_key[0] if kind_key else obj),
        )


def judge(profile: Profile) -> list[Verdict]:
    """Why a profile is permissive or invalid, most important first; empty when it is fine."""
    doc = profile.doc
    if profile.node is None:
        return [
            Verdict(
                "invalid",
                "has no spec, so there is no profile to install",
                "write the profile under spec (defaultAction, architectures, syscalls)",
                profile.anchor or doc.root,
            )
        ]
    if profile.json_text is not None:
        try:
            data = json.loads(profile.json_text)
        except (ValueError, RecursionError) as exc:
            return [_json_error(exc)]
    elif profile.data_override is not None:
        data = profile.data_override
    else:
        try:
            data = SafeConstructor().construct_document(profile.node)
        except (ConstructorError, RecursionError, TypeError, ValueError) as exc:
            return [_invalid(f"cannot be read: {exc}", profile.node)]
    if isinstance(data, dict) and profile.prefix:
        data = {k: v for k, v in data.items() if k not in _SPO_ONLY}
    out: list[Verdict] = []
    default = data.get("defaultAction") if isinstance(data, dict) else None
    entry = doc.entry(profile.node, "defaultAction")
    if default in (ALLOW, LOG) and entry is not None:
        out.append(_permissive(default, data, entry[0]))
    out.extend(_schema_verdicts(profile, data))
    return out


def _permissive(default: str, data: dict, key: Node) -> Verdict:
    escapes = explicit_escapes(data)
    named = ""
    if escapes:
        shown = ", ".join(escapes[:6]) + (", ..." if len(escapes) > 6 else "")
        named = f"; its SCMP_ACT_ALLOW rules even list {shown}, which container escapes rely on"
    if default == ALLOW:
        return Verdict(
            "allow",
            "defaults to SCMP_ACT_ALLOW: every syscall no rule names is allowed, so it confines "
            f"little more than Unconfined{named}",
            "default to SCMP_ACT_ERRNO and allow only the syscalls the workload needs "
            "(record them with an SCMP_ACT_LOG profile, or start from the runtime's default)",
            key,
        )
    return Verdict(
        "log",
        "defaults to SCMP_ACT_LOG: every syscall no rule names is allowed and only logged. That "
        f"is the audit profile used to discover what a workload calls: fine for discovery, not "
        f"for production{named}",
        "turn the syscalls it logged into an allow list and default to SCMP_ACT_ERRNO",
        key,
    )


def explicit_escapes(data: Any) -> list[str]:
    """Escape-relevant syscalls that an SCMP_ACT_ALLOW rule names, in the order they appear."""
    found: list[str] = []
    rules = data.get("syscalls") if isinstance(data, dict) else None
    for rule in rules if isinstance(rules, list) else ():
        if not isinstance(rule, dict) or rule.get("action") != ALLOW:
            continue
        listed = rule.get("names")
        names = listed if isinstance(listed, list) else []
        if isinstance(rule.get("name"), str):
            names = [*names, rule["name"]]
        for name in names:
            risky = name in ESCAPE_SYSCALLS or (name == _CLONE and not rule.get("args"))
            shown = "clone (namespace flags unfiltered)" if name == _CLONE else name
            if risky and shown not in found:
                found.append(shown)
    return found


def _invalid(what: str, node: Node, runtime_refuses: bool = True) -> Verdict:
    consequence = (
        "the container runtime cannot load it, so containers using it fail to start"
        if runtime_refuses
        else "the container runtime ignores what it does not know, so that setting has no effect"
    )
    return Verdict(
        "invalid",
        f"is invalid: {what}",
        f"{consequence}; see the runtime spec's seccomp section for the format",
        node,
    )


def _marker(line: int, column: int) -> Node:
    """A node that only marks a 0-based position (for errors found outside the YAML parse)."""
    return marker(line + 1, column + 1)


def _json_error(exc: Exception) -> Verdict:
    line = getattr(exc, "lineno", 1) - 1  # within the document's text, as node marks count
    column = getattr(exc, "colno", 1) - 1
    reason = getattr(exc, "msg", str(exc))
    return _invalid(f"not valid JSON ({reason})", _marker(max(line, 0), max(column, 0)))


@functools.cache
def _validator():
    import jsonschema  # a documented seam: ~180 ms to import, and most runs check no profile

    schema = json.loads(schema_bytes("seccomp-profile.schema.json"))
    return jsonschema.validators.validator_for(schema)(schema)


_ARTICLE_TYPES = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
}


def _schema_verdicts(profile: Profile, data: Any) -> list[Verdict]:
    verdicts = []
    for error in _leaves(_validator().iter_errors(data)):
        path = list(error.absolute_path)
        where = _dotted(profile.prefix, path)
        value = error.instance
        refuses = True
        if error.validator == "additionalProperties":
            props = error.schema.get("properties", {})
            extras = [k for k in value if k not in props] if isinstance(value, dict) else []
            for extra in extras:
                node = _locate(profile, [*path, extra])
                at = _dotted(profile.prefix, [*path, extra])
                verdicts.append(_invalid(f'unknown field "{at}"', node, runtime_refuses=False))
            continue
        node = _locate(profile, path)
        if error.validator == "dependentRequired":
            node = _locate(profile, [*path, "listenerMetadata"])
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in value]
            what = f'{where or "the profile"} is missing the required field "{missing[0]}"'
        elif error.validator == "anyOf":
            what = f'{where} needs "names", the syscalls the rule applies to'
        elif error.validator == "dependentRequired":
            what = (
                f"{_dotted(profile.prefix, [*path, 'listenerMetadata'])} is set without "
                "listenerPath, and the runtime spec says it must not be"
            )
        elif error.validator == "enum":
            title = error.schema.get("title", "known value")
            hint = _choices(value, error.validator_value)
            what = f"{where}: {_show(value)} is not a {title}{hint}"
        elif error.validator == "pattern":
            title = error.schema.get("title", "valid value")
            what = f"{where}: {_show(value)} is not a {title}"
        elif error.validator == "type":
            types = error.validator_value
            wanted = types if isinstance(types, str) else next(t for t in types if t != "null")
            wanted = _ARTICLE_TYPES.get(wanted, wanted)
            what = f"{where or 'the profile'} must be {wanted}, not {_show(value)}"
        elif error.validator == "minItems":
            what = f"{where} must not be empty"
        elif error.validator in ("minimum", "maximum"):
            low = error.schema.get("minimum", 0)
            what = f"{where}: {_show(value)} is out of range ({low} to {error.schema['maximum']})"
        else:
            what = f"{where}: {error.message}"
        verdicts.append(_invalid(what, node, refuses))
    verdicts.sort(key=lambda v: (v.node.start_mark.line, v.node.start_mark.column))
    return verdicts


def _choices(value: Any, choices: list[str]) -> str:
    """The allowed values when there are few, else the one ``value`` most likely meant."""
    if len(choices) <= 9:
        return f" ({', '.join(choices)})"

    # Compare without the common prefix, so "x86_64" finds SCMP_ARCH_X86_64.
    prefix = os.path.commonprefix(choices)  # noqa: RUF071 (a string prefix is meant)
    bare = {c[len(prefix) :]: c for c in choices}
    close = difflib.get_close_matches(str(value).upper(), list(bare), n=1)
    return f" (did you mean {bare[close[0]]}?)" if close else ""


def _leaves(errors) -> Iterator:
    """Schema errors, with an optional value's ``anyOf [X, null]`` replaced by what X says."""
    for error in errors:
        branches = error.validator_value if error.validator == "anyOf" else None
        if branches and {"type": "null"} in branches and error.context:
            yield from _leaves(e for e in error.context if e.relative_schema_path[0] == 0)
        else:
            yield error


def _dotted(prefix: str, path: list) -> str:
    out = prefix
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value) if isinstance(value, (int, float, bool, type(None))) else repr(value)


def _locate(profile: Profile, path: list) -> Node:
    """The node a schema error path points at: the key of a field, or a list item."""
    doc = profile.doc
    node: Node = profile.node  # type: ignore[assignment]  # judged profiles have a node
    key: Node | None = None
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or not 0 <= step < len(node.value):
                break
            node, key = node.value[step], None
        else:
            entry = doc.entry(node, step)
            if entry is None:
                break
            key, node = entry
    if key is not None:
        return key
    # A whole profile: point at its key in the object (``spec:``), not at the value below it.
    if node is profile.node and profile.anchor is not None:
        return profile.anchor
    return node


# --- Profiles named by manifests -------------------------------------------------------------


@dataclass(frozen=True)
class ProfileFile:
    """A ``localhostProfile`` resolved inside ``--profiles-dir``, and what its file holds."""

    shown: str  # the path as the user sees it: the profiles directory joined with the reference
    missing: str | None = None  # why there is no usable file, when there is none
    verdicts: tuple[Verdict, ...] = ()
    doc: Document | None = None

    def position(self, verdict: Verdict) -> tuple[int, int]:
        return verdict.position(self.doc)


# realpath -> ((mtime_ns, size), judged file): each profile is read and judged once per run.
_LOADED: dict[str, tuple[tuple[int, int], tuple[tuple[Verdict, ...], Document | None]]] = {}


def resolve(root: str, reference: str) -> ProfileFile:
    """Find ``reference`` inside ``root`` the way the kubelet joins them, never leaving ``root``."""
    shown = os.path.normpath(os.path.join(root, reference))
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, reference))
    if os.path.commonpath((real_root, real)) != real_root:
        return ProfileFile(shown, missing="resolves outside --profiles-dir (through a symlink)")
    try:
        st = os.stat(real)
    except OSError:
        return ProfileFile(shown, missing="is not in --profiles-dir")
    if not os.path.isfile(real):
        return ProfileFile(shown, missing="is not a regular file")
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _LOADED.get(real)
    if cached is None or cached[0] != stamp:
        try:
            with open(real, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            return ProfileFile(shown, missing=f"cannot be read: {exc.strerror or exc}")
        cached = (stamp, _judge_bytes(raw))
        _LOADED[real] = cached
    verdicts, doc = cached[1]
    return ProfileFile(shown, verdicts=verdicts, doc=doc)


def _judge_bytes(raw: bytes) -> tuple[tuple[Verdict, ...], Document | None]:
    try:
        data, _, _ = decode(raw)
    except DecodeError as exc:
        return (_invalid(f"not text: {exc}", _marker(0, 0)),), None
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return (_json_error(exc),), None
    if not isinstance(parsed, dict):
        return (_invalid(f"must be a JSON object, not {_show(parsed)}", _marker(0, 0)),), None
    # Positions come from the same libyaml composer as manifests (JSON tabs read as spaces).
    doc = None
    for item in compose(Chunk(data.replace(b"\t", b" "), 0), 0):
        if isinstance(item, Document):
            doc = item
        break
    if doc is None:  # JSON libyaml cannot read: judge it without positions
        empty = MappingNode("tag:yaml.org,2002:map", [], _marker(0, 0).start_mark)
        doc = Document(0, empty, 0, b"")
    profile = Profile(doc, doc.root, "seccomp profile", data_override=parsed)
    return tuple(judge(profile)), doc


def clear_cache() -> None:
    """Forget loaded profiles (for tests and long-lived callers)."""
    _LOADED.clear()


def references(pod: PodTemplate, options: Options) -> Iterator[tuple[Setting, Node, ProfileFile]]:
    """A pod template's valid Localhost settings that take effect, the nodes naming files, and
    the files resolved inside ``--profiles-dir``."""
    if options.profiles_dir is None or (pod.is_windows and options.windows_aware):
        return
    settings: list[Setting] = list(pod.all_field_settings())
    if options.annotations_effective:
        settings += pod.all_annotation_settings()
    for s in settings:
        if not s.valid or s.type != "Localhost" or not s.profile:
            continue
        entry = (
            pod.doc.entry(s.value, "localhostProfile") if s.origin is SettingOrigin.FIELD else None
        )
        yield s, entry[0] if entry else s.key, resolve(options.profiles_dir, s.profile)
