"""The pre-filter: which documents can matter, judged from their text before any parse.

A document that contains none of the words a finding needs (``ontainers``, ``seccomp``,
``defaultAction``, ``SeccompProfile``, a Namespace's ``pod-security.kubernetes.io`` and
``spo.x-k8s.io/enable-binding`` labels; with ``--level namespace``, ``Namespace``) and no escape
sequence that could spell them is never composed; neither is a CustomResourceDefinition (a schema that mentions pod specs but never
holds one), when its text says so unambiguously. A document that names a kind that holds pod
templates is always composed, so one that does not compose (``spec: *undefined``) is reported,
never passed.
"""

from __future__ import annotations

import re

# Escape sequences in double-quoted scalars that could spell a needle without its letters.
_ESCAPES = re.compile(rb"\\(?:[xuU]|\r?\n)")
# containers, initContainers, ephemeralContainers; seccompProfile and the annotations; a profile
# JSON file's defaultAction; a Security Profiles Operator SeccompProfile (whose spec may lack it).
# A Namespace's Pod Security labels and profile binding label (--level namespace).
_NEEDLES = (
    b"ontainers",
    b"seccomp",
    b"defaultAction",
    b"SeccompProfile",
    b"pod-security.kubernetes.io",
    b"spo.x-k8s.io/enable-binding",
)


# The built-in kinds that hold a pod template (model/workloads.py says where).
POD_KINDS = (
    "Pod",
    "PodTemplate",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
)
# ``kind: Deployment`` as an object's kind: at the root or on a List item (indented at most two
# columns: an HPA's ``scaleTargetRef: {kind: Deployment}`` sits deeper), or as JSON's
# ``"kind": "Pod"`` anywhere.
_KINDS = "|".join(POD_KINDS).encode()
# (Two patterns: one that starts with a line break is searched three times faster.)
_POD_KIND = re.compile(
    rb"\n(?:  )?(?:- )?['\"]?kind['\"]?[ \t]*:[ \t]*['\"]?(?:%s)['\"]?[ \t]*[#\r\n]" % _KINDS
)
_POD_KIND_JSON = re.compile(rb"\"kind\"[ \t\r\n]*:[ \t\r\n]*\"(?:%s)\"" % _KINDS)


def relevant(data: bytes, namespaces: bool = False) -> bool:
    """Whether a document could hold a pod template, a seccomp setting or a profile; with
    ``namespaces`` (``--level namespace``), a ``Namespace`` object too, with or without labels:
    which declaration of a namespace is the last must not depend on the pre-filter."""
    for needle in _NEEDLES:
        if needle in data:
            return not is_crd(data)
    if namespaces and b"Namespace" in data:
        return not is_crd(data)  # every CRD says "scope: Namespaced"
    if escaped(data):
        return True
    if b"kind" not in data:
        return False
    if b'"kind"' in data and _POD_KIND_JSON.search(data) is not None:
        return True
    return _POD_KIND.search(b"\n" + data + b"\n") is not None


def escaped(data: bytes) -> bool:
    """Whether a text holds an escape sequence (in a double-quoted scalar) that could spell a
    word without its letters: then no word's absence from the text says anything."""
    return b"\\" in data and _ESCAPES.search(data) is not None


# Schema-only kinds: they describe pod specs (and so mention containers and seccompProfile)
# but never hold one. Most bytes of real repositories are CustomResourceDefinitions.
SCHEMA_KINDS = frozenset({"CustomResourceDefinition"})
# Both are searched in "\n" + text: a pattern that starts with a literal newline lets the regex
# engine skip ahead, where ``^`` with re.M tries every position (CRDs are the largest documents).
_ROOT_KIND = re.compile(rb"\nkind:[ \t]*([A-Za-z]+)[ \t]*(?:#[^\r\n]*)?\r?(?=\n|\Z)")
# Anything at column 0 that could set a root key other than as a plain ``kind:`` line.
_ROOT_OTHER = re.compile(
    rb"\n(?:[\"'?<!&*{\[]|\.\.\.|kind\b(?!:[ \t]*[A-Za-z]+[ \t]*(?:#|\r?(?:\n|\Z))))"
)


def is_crd(data: bytes) -> bool:
    """Whether a document's root object is, read from its text alone, a schema-only kind.

    Conservative: exactly one plain ``kind:`` line at column 0, and no line there that could
    make the root anything else (a quoted or complex key, a merge key, a tag, an anchor or alias,
    a flow collection, a document end with another document after it).
    """
    if b"CustomResourceDefinition" not in data:
        return False
    lined = b"\n" + data
    kinds = _ROOT_KIND.findall(lined)
    if len(kinds) != 1 or kinds[0].decode() not in SCHEMA_KINDS:
        return False
    return _ROOT_OTHER.search(lined) is None
