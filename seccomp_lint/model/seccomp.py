"""What a seccomp setting means, and whether the API server accepts it.

A :class:`Setting` is one place that sets a profile: a ``securityContext.seccompProfile`` field
or a legacy annotation. Validation follows the API server: ``type`` is required and
case-sensitive, ``Localhost`` needs ``localhostProfile``, other types must not have one, and the
profile path is relative with no ``..`` element.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from yaml.nodes import MappingNode, Node, ScalarNode

from ..text.documents import Document, is_null, text

TYPES = ("RuntimeDefault", "Localhost", "Unconfined")
POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
_FIELDS = ("type", "localhostProfile")


def is_seccomp_annotation(key: str) -> bool:
    """A legacy seccomp annotation key (pod or container form)."""
    return key == POD_ANNOTATION or key.startswith(CONTAINER_ANNOTATION)


class SettingOrigin(StrEnum):
    """Where a seccomp setting is written."""

    FIELD = "field"  # securityContext.seccompProfile
    ANNOTATION = "annotation"  # a legacy seccomp annotation


@dataclass(frozen=True)
class Setting:
    """One seccomp setting and what the API server makes of it."""

    origin: SettingOrigin
    container: str | None  # None for the pod-level setting
    key: Node  # the seccompProfile key, or the annotation key
    value: Node
    type: str | None = None  # RuntimeDefault | Localhost | Unconfined, when valid
    profile: str | None = None  # localhostProfile
    problem: str | None = None  # why the API server rejects it
    at: Node | None = None  # the node the problem is about
    type_key: Node | None = None
    corrected: str | None = None  # the unambiguous correct type, for a fixable problem

    @property
    def owner(self) -> str:
        """``the pod`` or ``container "name"``, for messages."""
        return "the pod" if self.container is None else f'container "{self.container}"'

    @property
    def where(self) -> str:
        """Which setting this is, for a finding's identity (the container is kept apart)."""
        if self.origin is SettingOrigin.FIELD:
            return "securityContext.seccompProfile"
        return f"metadata.annotations.{self.key.value}"

    @property
    def valid(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        if self.type == "Localhost":
            return f"Localhost ({self.profile})"
        return self.type or "?"


def _path_problem(path: str) -> str | None:
    if path.startswith("/"):
        return f'localhostProfile "{path}" must be a path relative to the kubelet seccomp root'
    if ".." in path.replace("\\", "/").split("/"):
        return f'localhostProfile "{path}" must not contain a ".." element'
    return None


def corrected_type(value: str) -> str | None:
    """The enum value a mis-cased type stands for (``runtimedefault`` -> RuntimeDefault)."""
    folded = value.replace("_", "").replace("-", "").strip().lower()
    for name in TYPES:
        if name.lower() == folded:
            return name
    return None


def read_field(doc: Document, entry: tuple[Node, Node], container: str | None) -> Setting | None:
    """Read ``seccompProfile: ...``; None when it is null (the API treats that as unset)."""
    key, value = entry
    if is_null(value):
        return None
    base = Setting(origin=SettingOrigin.FIELD, container=container, key=key, value=value)
    entries = doc.mapping(value)
    if entries is None:
        return _not_a_mapping(base)
    type_entry = entries.get("type")
    if type_entry is None or is_null(type_entry[1]):
        return replace(base, problem="seccompProfile.type is required", at=key)
    base = replace(base, type_key=type_entry[0])
    type_value = text(type_entry[1])
    if type_value not in TYPES:
        return _bad_type(base, type_entry[1], type_value)
    base = replace(base, type=type_value)
    unknown = [k for k in entries if k not in _FIELDS]
    if unknown:
        problem = f'seccompProfile has an unknown field "{unknown[0]}"'
        return replace(base, problem=problem, at=entries[unknown[0]][0])
    return _with_profile(base, entries.get("localhostProfile"))


def _not_a_mapping(base: Setting) -> Setting:
    """A field whose value is a scalar or a list; a string may spell a type (``RuntimeDefault``)."""
    shown = text(base.value)
    fix = corrected_type(shown) if shown is not None else None
    what = f'the string "{shown}"' if shown is not None else _shape(base.value)
    problem = f"seccompProfile must be a mapping with a type, not {what}"
    return replace(base, problem=problem, at=base.key, corrected=fix)


def _bad_type(base: Setting, node: Node, value: str | None) -> Setting:
    """A ``type`` that is not a string, or not one of TYPES (perhaps only mis-cased)."""
    if value is None:
        shown = node.value if isinstance(node, ScalarNode) else _shape(node)
        fix = corrected_type(shown) if isinstance(node, ScalarNode) else None
        problem = f"seccompProfile.type must be one of {', '.join(TYPES)}, not {shown!r}"
        return replace(base, problem=problem, at=base.type_key, corrected=fix)
    fix = corrected_type(value)
    hint = " (the type is case-sensitive)" if fix else ""
    problem = f'seccompProfile.type "{value}" is not one of {", ".join(TYPES)}{hint}'
    return replace(base, problem=problem, at=base.type_key, corrected=fix)


def _with_profile(base: Setting, entry: tuple[Node, Node] | None) -> Setting:
    """A field with a valid type, and its ``localhostProfile`` (required for Localhost only)."""
    given = entry is not None and not is_null(entry[1])
    profile = text(entry[1]) if entry else None
    if base.type == "Localhost":
        if entry is None or not given or not profile:
            if entry is not None and given and profile is None:
                return replace(base, problem="localhostProfile must be a string", at=entry[0])
            problem = "type Localhost requires localhostProfile"
            return replace(base, problem=problem, at=base.type_key)
        bad = _path_problem(profile)
        if bad:
            return replace(base, profile=profile, problem=bad, at=entry[0])
        return replace(base, profile=profile)
    if entry is not None and given:
        problem = f"localhostProfile must not be set when type is {base.type}"
        return replace(base, profile=profile, problem=problem, at=entry[0])
    return base


def read_annotation(doc: Document, entry: tuple[Node, Node], container: str | None) -> Setting:
    """Read a legacy annotation value with the upstream mapping to the field."""
    key, value = entry
    raw = text(value)
    base = Setting(
        origin=SettingOrigin.ANNOTATION, container=container, key=key, value=value, at=key
    )
    if raw in ("runtime/default", "docker/default"):
        return replace(base, type="RuntimeDefault")
    if raw == "unconfined":
        return replace(base, type="Unconfined")
    if raw is not None and raw.startswith("localhost/"):
        profile = raw[len("localhost/") :]
        bad = _path_problem(profile) if profile else "localhost/ needs a profile name"
        return replace(base, type="Localhost", profile=profile, problem=bad)
    shown = f'"{raw}"' if raw is not None else _shape(value)
    return replace(
        base,
        problem=(
            f"annotation value {shown} is not runtime/default, docker/default, "
            "unconfined or localhost/<profile>"
        ),
    )


def same_profile(a: Setting, b: Setting) -> bool:
    return a.type == b.type and (a.type != "Localhost" or a.profile == b.profile)


def _shape(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, ScalarNode):
        return f"{node.value!r}"
    return "a list"


def field_yaml(setting: Setting) -> str:
    """The field form of a setting, as flow YAML."""
    if setting.type == "Localhost":
        return f"{{type: Localhost, localhostProfile: {setting.profile}}}"
    return f"{{type: {setting.type}}}"
