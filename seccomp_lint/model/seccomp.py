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
        shown = text(value)
        fix = corrected_type(shown) if shown is not None else None
        what = f'the string "{shown}"' if shown is not None else _shape(value)
        return replace(
            base,
            problem=f"seccompProfile must be a mapping with a type, not {what}",
            at=key,
            corrected=fix,
        )
    unknown = [k for k in entries if k not in _FIELDS]
    type_entry = entries.get("type")
    prof_entry = entries.get("localhostProfile")
    profile = text(prof_entry[1]) if prof_entry else None
    if type_entry is None or is_null(type_entry[1]):
        return replace(base, problem="seccompProfile.type is required", at=key)
    type_key, type_node = type_entry
    base = replace(base, type_key=type_key)
    type_value = text(type_node)
    if type_value is None:
        shown = type_node.value if isinstance(type_node, ScalarNode) else _shape(type_node)
        fix = corrected_type(shown) if isinstance(type_node, ScalarNode) else None
        return replace(
            base,
            problem=f"seccompProfile.type must be one of {', '.join(TYPES)}, not {shown!r}",
            at=type_key,
            corrected=fix,
        )
    if type_value not in TYPES:
        fix = corrected_type(type_value)
        hint = " (the type is case-sensitive)" if fix else ""
        return replace(
            base,
            problem=f'seccompProfile.type "{type_value}" is not one of {", ".join(TYPES)}{hint}',
            at=type_key,
            corrected=fix,
        )
    if unknown:
        return replace(
            base,
            type=type_value,
            problem=f'seccompProfile has an unknown field "{unknown[0]}"',
            at=entries[unknown[0]][0],
        )
    if type_value == "Localhost":
        if prof_entry is None or is_null(prof_entry[1]) or not profile:
            if prof_entry is not None and profile is None and not is_null(prof_entry[1]):
                return replace(
                    base,
                    type=type_value,
                    problem="localhostProfile must be a string",
                    at=prof_entry[0],
                )
            return replace(
                base,
                type=type_value,
                problem="type Localhost requires localhostProfile",
                at=type_key,
            )
        bad = _path_problem(profile)
        if bad:
            return replace(base, type=type_value, profile=profile, problem=bad, at=prof_entry[0])
        return replace(base, type=type_value, profile=profile)
    if prof_entry is not None and not is_null(prof_entry[1]):
        return replace(
            base,
            type=type_value,
            profile=profile,
            problem=f"localhostProfile must not be set when type is {type_value}",
            at=prof_entry[0],
        )
    return replace(base, type=type_value)


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
