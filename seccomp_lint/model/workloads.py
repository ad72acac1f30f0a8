"""Where pod templates live: the one module that knows Kubernetes object shapes.

Rules never look at ``kind``; they receive a :class:`PodTemplate` with its containers and the
seccomp settings read from fields and legacy annotations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from yaml.nodes import Node, SequenceNode

from ..text.documents import Document, is_true, text
from ..text.prefilter import SCHEMA_KINDS
from .data import ObjectRef
from .seccomp import (
    CONTAINER_ANNOTATION,
    POD_ANNOTATION,
    Setting,
    is_seccomp_annotation,
    read_annotation,
    read_field,
)

# kind -> path from the object to its pod template (metadata + spec).
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "PodTemplate": ("template",),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# Custom resources (Argo Rollout, DeploymentConfig, Knative Service, ...) nest it as workloads do.
_CUSTOM_TEMPLATE_PATH = ("spec", "template")
CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")


_T = TypeVar("_T")


class _cached(Generic[_T]):  # a decorator, named like functools.cached_property
    """functools.cached_property without its lock (Python 3.11 takes one on every first read:
    a tenth of linting a small pod); a pod template is read by one thread."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> _T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.func(obj)
        return value


@dataclass
class Container:
    """One container of a pod template, with its own seccomp setting if any."""

    name: str
    group: str  # initContainers | containers | ephemeralContainers
    node: Node
    field_setting: Setting | None
    annotation_setting: Setting | None = None
    privileged_key: Node | None = None


@dataclass
class PodTemplate:
    """A pod template (or a Pod) inside one object of one document."""

    doc: Document
    obj: ObjectRef
    path: str  # dotted path from the object to the pod spec, e.g. "spec.template.spec"
    spec: Node | None
    spec_key: Node | None
    metadata: Node | None
    object_metadata: list[Node] = field(default_factory=list)  # where annotations do nothing
    object_root: Node | None = None

    @_cached
    def annotations(self) -> dict[str, tuple[Node, Node]]:
        return self.doc.mapping(self.doc.get(self.metadata, "annotations")) or {}

    @_cached
    def is_windows(self) -> bool:
        return text(self.doc.get(self.spec, "os", "name")) == "windows"

    @_cached
    def security_context_key(self) -> Node | None:
        entry = self.doc.entry(self.spec, "securityContext")
        return entry[0] if entry else None

    @_cached
    def pod_field(self) -> Setting | None:
        entry = self.doc.entry(self.doc.get(self.spec, "securityContext"), "seccompProfile")
        return read_field(self.doc, entry, None) if entry else None

    @_cached
    def annotation_settings(self) -> dict[str | None, Setting]:
        """Legacy seccomp annotations on the pod template, by container name (None: the pod)."""
        out: dict[str | None, Setting] = {}
        for key, entry in self.annotations.items():
            if key == POD_ANNOTATION:
                out[None] = read_annotation(self.doc, entry, None)
            elif key.startswith(CONTAINER_ANNOTATION):
                name = key[len(CONTAINER_ANNOTATION) :]
                out[name] = read_annotation(self.doc, entry, name)
        return out

    @property
    def pod_annotation(self) -> Setting | None:
        return self.annotation_settings.get(None)

    @_cached
    def containers(self) -> list[Container]:
        out: list[Container] = []
        for group in CONTAINER_GROUPS:
            seq = self.doc.get(self.spec, group)
            if not isinstance(seq, SequenceNode):
                continue
            for i, node in enumerate(seq.value):
                entries = self.doc.mapping(node)
                if entries is None:
                    continue
                name = text(entries["name"][1]) if "name" in entries else None
                name = name if name is not None else f"{group}[{i}]"
                sc = entries["securityContext"][1] if "securityContext" in entries else None
                sp = self.doc.entry(sc, "seccompProfile")
                priv = self.doc.entry(sc, "privileged")
                out.append(
                    Container(
                        name=name,
                        group=group,
                        node=node,
                        field_setting=read_field(self.doc, sp, name) if sp else None,
                        annotation_setting=self.annotation_settings.get(name),
                        privileged_key=priv[0] if priv and is_true(priv[1]) else None,
                    )
                )
        return out

    @_cached
    def anchor(self) -> Node:
        """Where a pod-wide finding points: securityContext, else the first container list."""
        if self.security_context_key is not None:
            return self.security_context_key
        for group in ("containers", "initContainers", "ephemeralContainers"):
            entry = self.doc.entry(self.spec, group)
            if entry:
                return entry[0]
        return self.spec_key or self.doc.root

    def misplaced_annotations(self) -> Iterator[tuple[Node, Node]]:
        """Seccomp annotations on the workload's own metadata, where they have no effect."""
        for meta in self.object_metadata:
            for key, entry in (self.doc.mapping(self.doc.get(meta, "annotations")) or {}).items():
                if is_seccomp_annotation(key):
                    yield entry

    def all_field_settings(self) -> Iterator[Setting]:
        if self.pod_field:
            yield self.pod_field
        for c in self.containers:
            if c.field_setting:
                yield c.field_setting

    def all_annotation_settings(self) -> Iterator[Setting]:
        """Every legacy annotation, also those naming a container the pod does not have."""
        yield from self.annotation_settings.values()


def _ref(doc: Document, obj: Node, kind: str) -> ObjectRef:
    meta = doc.get(obj, "metadata")
    return ObjectRef(
        kind=kind,
        name=text(doc.get(meta, "name")),
        namespace=text(doc.get(meta, "namespace")),
        document=doc.index,
    )


def is_object(doc: Document, node: Node | None) -> bool:
    """A Kubernetes object: a mapping with string ``apiVersion`` and ``kind``."""
    return text(doc.get(node, "apiVersion")) is not None and text(doc.get(node, "kind")) is not None


def typed_objects(doc: Document) -> list[tuple[Node, str]]:
    """Every object in a document with its kind, List envelopes opened (``List`` and typed
    ``*List``; not a custom ``*List`` kind that holds a pod template itself).

    Items of a typed list as the API returns them (``kind: PodList``, items without ``kind``
    or ``apiVersion``) take the list's item kind. An object that aliases make appear many
    times is yielded once: a List of aliased Lists would otherwise expand exponentially.
    """
    root = doc.root
    kind = text(doc.get(root, "kind"))
    if kind is not None and not kind.endswith("List"):
        # Nearly every document: one object or none, no envelope (what the walk below finds).
        return [(root, kind)] if text(doc.get(root, "apiVersion")) is not None else []
    stack: list[tuple[Node, str | None]] = [(root, doc.implied_kind)]
    seen: set[int] = set()
    out = []
    while stack:
        node, implied = stack.pop()
        if id(node) in seen:
            continue
        kind = text(doc.get(node, "kind"))
        if kind is None or text(doc.get(node, "apiVersion")) is None:
            if implied is None or doc.mapping(node) is None or kind is not None:
                continue
            kind = implied
        seen.add(id(node))
        items = doc.get(node, "items")
        # A custom resource whose kind merely ends in "List" and that has a pod template of its
        # own (spec.template.spec.containers) is an object, not an envelope.
        if (
            kind.endswith("List")
            and isinstance(items, SequenceNode)
            and _find(doc, node, kind) is None
        ):
            item_kind = kind[: -len("List")] if kind != "List" else None
            stack.extend((item, item_kind) for item in reversed(items.value))
            continue
        out.append((node, kind))
    return out


def envelope(doc: Document) -> tuple[bool, str | None]:
    """Whether a document's root is a List envelope whose items are objects (as
    :func:`typed_objects` opens it), and the kind it gives items that have none."""
    kind = text(doc.get(doc.root, "kind"))
    if kind is None or text(doc.get(doc.root, "apiVersion")) is None or not kind.endswith("List"):
        return False, None
    if _find(doc, doc.root, kind) is not None:
        return False, None
    return True, (kind[: -len("List")] if kind != "List" else None)


def objects(doc: Document) -> Iterator[Node]:
    """Every object in a document (see :func:`typed_objects`)."""
    return (node for node, _ in typed_objects(doc))


def pod_templates(doc: Document) -> Iterator[PodTemplate]:
    """The pod templates of every object in a document."""
    for obj, kind in typed_objects(doc):
        tmpl = _find(doc, obj, kind)
        if tmpl is None:
            continue
        path, template = tmpl
        spec_entry = doc.entry(template, "spec")
        own_meta = []
        if path:  # a workload: its own metadata (and a CronJob's job template's) does nothing
            own_meta = [m for m in (doc.get(obj, "metadata"),) if m is not None]
            if path[:2] == ("spec", "jobTemplate"):
                job_meta = doc.get(obj, "spec", "jobTemplate", "metadata")
                if job_meta is not None:
                    own_meta.append(job_meta)
        yield PodTemplate(
            doc=doc,
            obj=_ref(doc, obj, kind),
            path=".".join((*path, "spec")),
            spec=spec_entry[1] if spec_entry else None,
            spec_key=spec_entry[0] if spec_entry else None,
            metadata=doc.get(template, "metadata"),
            object_metadata=own_meta,
            object_root=obj,
        )


def _find(doc: Document, obj: Node, kind: str | None) -> tuple[tuple[str, ...], Node] | None:
    if kind in SCHEMA_KINDS:
        return None
    path = _TEMPLATE_PATHS.get(kind or "")
    if path is None:  # a custom resource: only when it really holds containers there
        path = _CUSTOM_TEMPLATE_PATH
        if not isinstance(doc.get(obj, *path, "spec", "containers"), SequenceNode):
            return None
    template = doc.get(obj, *path) if path else obj
    if template is None or doc.mapping(template) is None:
        return None
    return path, template
