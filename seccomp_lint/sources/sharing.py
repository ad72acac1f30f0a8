"""Which of a walk's overlays one Kustomize run builds together (a tool run costs ~0.1 s of CPU
before it reads anything, and a walk builds every overlay of the repository).

A wrapper kustomization that names several overlays outputs each overlay's objects as a build of
that overlay alone does: Kustomize builds each directory a kustomization names as a kustomization
of its own, then appends its objects. What differs is only what Kustomize does once, at the top
of a build, and what it refuses:

* name references are fixed once over all the objects, so a reference in one overlay to an
  object it does not hold may be pointed at another overlay's renamed object of that name: they
  name ConfigMaps, Secrets, ServiceAccounts, …, which no rule reads;
* ``vars``, transformer ``configurations``, ``crds`` and ``openapi`` settings reach up to the top,
  ``sortOptions`` are read only there, and Helm charts need a tool: an overlay with any field but
  :data:`SHARED_KEYS` in any kustomization it reaches is built alone;
* two overlays that output an object with the same kind, namespace and name fail the build: each
  is then built alone (and overlays that read a file in common and give their objects the same
  prefixes are not put together where they also give the same namespace, or where a file they
  share holds a cluster-scoped object, which a namespace does not tell apart).

Each object of the output is told to its overlay by its transformations annotation: Kustomize
records every transformer a kustomization configures on every object of that kustomization,
changed or not, so an overlay with one (:data:`STAMPS`: a namespace, a prefix, a patch, …) marks
every object it outputs with its own folder. An overlay without one is built alone.
(:mod:`.kustomize.together` splits a shared run's output and checks each object's mark.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .discover import Index, Planned

# The fields that configure a transformer, which Kustomize records on every object.
STAMPS = (
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
)
# The kustomization fields whose effect stays within the kustomization's own objects.
SHARED_KEYS = frozenset(STAMPS) | {
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "buildMetadata",
}
RUN_SIZE = 8  # overlays in one run at most: runs start --jobs at once, the first ones early
# Kustomize's time grows with the square of a run's objects (~2 us a pair: bench/RESULTS.md,
# one file of 500 / 1,000 / 2,000 objects 0.6 / 2.1 / 8.6 s) while a run's start-up is ~0.1 s:
# an overlay of n objects joins a run of N while N * n stays under this (one with n * n over
# it is built alone): sharing pays among small overlays only.
PAIRS = 10_000

Names = tuple[str, str, str]  # what an overlay names its objects: namespace, prefix, suffix


def sharing(data: dict) -> tuple[bool, Names | None]:
    """Whether a kustomization (its file's mapping) may be built with others, and, where it
    also marks its objects, the namespace and prefixes it gives them."""
    shared = all(isinstance(key, str) and key in SHARED_KEYS for key in data)
    if not shared or not any(data.get(key) for key in STAMPS):
        return shared, None
    names = tuple(str(data.get(key) or "") for key in ("namespace", "namePrefix", "nameSuffix"))
    return True, (names[0], names[1], names[2])


def shareable(index: Index, directory: str) -> Names | None:
    """The names an overlay (a build) gives its objects, where it may share a run: it marks its
    objects and every kustomization it reaches keeps to :data:`SHARED_KEYS`."""
    k = index.kustomizations.get(directory)
    if k is None or k.names is None:
        return None
    seen, todo = {directory}, [directory]
    while todo:
        here = index.kustomizations.get(todo.pop())
        if here is None or not here.shared:
            return None  # (one outside the repository's index: not known, so alone)
        for inner in here.includes - seen:
            seen.add(inner)
            todo.append(inner)
    return k.names


def in_runs(builds: list[Planned], overlays: Mapping[str, tuple[Index, str]]) -> list[Planned]:
    """``builds`` with the overlays that may share a run numbered by their run (in order, up
    to :data:`RUN_SIZE` a run, while it stays small: :data:`PAIRS`); ``overlays``: a Kustomize
    build's directory as planned -> its index and real path. An overlay that shares nothing is
    left alone."""
    runs: list[list[tuple[int, frozenset[str], Names, int]]] = []
    files = _Files()
    for at, p in enumerate(builds):
        index, directory = overlays.get(p.directory, (None, ""))
        names = shareable(index, directory) if index is not None else None
        if names is None or index is None:
            continue
        members = index.members(directory)
        objects = sum(files(path)[0] for path in members)
        if objects * objects > PAIRS:
            continue  # (alone: too large to gain from sharing)
        run = runs[-1] if runs else []
        clash = any(_clash(names, members, n, m, files) for _, m, n, _ in run)
        if clash or len(run) >= RUN_SIZE or sum(o for *_, o in run) * objects > PAIRS:
            run = []
        if not run:
            runs.append(run)
        run.append((at, members, names, objects))
    out = list(builds)
    for number, run in enumerate(r for r in runs if len(r) > 1):
        for at, *_ in run:
            out[at] = replace(out[at], run=number)
    return out


def _clash(
    names: Names, members: frozenset[str], n: Names, m: frozenset[str], files: _Files
) -> bool:
    """Whether two overlays may output an object of one id: they read a file in common and
    give their objects the same prefixes, and the same namespace or a cluster-scoped object
    is among what they share (a namespace does not tell those apart)."""
    if names[1:] != n[1:] or not (common := members & m):
        return False
    return names[0] == n[0] or any(files(f)[1] for f in common)


class _Files:
    """What the plan reads of a file, once: how many objects it may hold (its ``kind:`` lines,
    a List's items' too, a JSON file's ``"kind"`` keys: more, never fewer), and whether one is
    cluster-scoped."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[int, bool]] = {}

    def __call__(self, path: str) -> tuple[int, bool]:
        if path not in self.seen:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = b""
            # (JSON: every "kind" key, wherever it is written: more, never fewer)
            own = [k.decode("ascii") for k in [*_KIND.findall(data), *_JSON_KIND.findall(data)]]
            count = len(_ANY_KIND.findall(data)) + len(_JSON_KIND.findall(data))
            self.seen[path] = (count, any(k in CLUSTER_SCOPED for k in own))
        return self.seen[path]


_KIND = re.compile(rb"""^kind:[ \t]*["']?([A-Za-z]+)""", re.MULTILINE)  # (an object's own)
_ANY_KIND = re.compile(rb"^[ \t-]*kind:", re.MULTILINE)
_JSON_KIND = re.compile(rb'"kind"\s*:\s*"([A-Za-z]+)"')
# Kubernetes' own cluster-scoped kinds (a custom one, ClusterIssuer say, is found by the build
# failing: each overlay is then built alone).
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
