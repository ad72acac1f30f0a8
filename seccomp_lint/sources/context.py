"""``--level namespace`` on some files of a repository: the Namespace objects of the rest of it.

pre-commit passes only the changed files, so ``seccomp-lint --level namespace pod.yaml`` would
judge ``pod.yaml``'s pods at the defaults while the repository's ``ns.yaml`` declares their
namespace restricted. The run reads the Namespace objects of the repository holding its inputs
(the Git work tree, see :func:`.discover.repository_root`): every manifest file of the one walk
:func:`.discover.build_index` makes that is not an input, not in a chart and not read by a
kustomization (those are judged through their builds, which a run reaches when it names a file
they read). A text pre-check (``kind: Namespace`` in the bytes) keeps it to a read of each file; the few
that pass are linted for their Namespace objects only, findings dropped.

The repository's declarations come before the run's own: when a namespace is declared in both,
the run's (the changed file) is the later one, and :func:`~..model.admission.redeclared` says so
when their labels differ.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

from ..lint.linter import FileResult, lint_bytes
from ..lint.request import Request
from ..model.admission import NamespaceDecl
from ..model.data import Level
from ..rules.invalid_pod_security_label import ID as INVALID_LABEL
from ..text.streams import json_file
from .discover import Discoverer, _shown, repository_root
from .files import STDIN, Input, excluder, real_path

# ``kind: Namespace`` in any of YAML's and JSON's spellings but escapes (a CRD's
# ``scope: Namespaced`` is most of the files that say "Namespace" and is no match).
_NAMESPACE_KIND = re.compile(rb"kind['\"]?[ \t]*:[ \t\r\n]*['\"]?Namespace(?![A-Za-z0-9_-])")


def repository_namespaces(
    discoverer: Discoverer, request: Request, inputs: list[Input]
) -> list[FileResult]:
    """With ``--level namespace``, a result per file of the repositories holding the run's paths
    (none: ``.``) that declares a Namespace and is neither one of the ``inputs`` (what is
    linted) nor excluded (config ``exclude``, ``--exclude``), holding only those declarations
    (marked ``context``). A repository that is itself a path walked is all inputs already."""
    options = request.options
    if options.level != Level.NAMESPACE:
        return []
    excluded = excluder(request.config, request.exclude)
    # Their Namespace objects are all that is wanted: no pod rule runs, no fix is planned.
    only_namespaces = replace(options, select=frozenset({INVALID_LABEL}), fixes=False)
    linted = {os.path.abspath(i.path) for i in inputs if i.path != STDIN}
    given = [p for p in request.paths or (".",) if p != STDIN]  # no path: the working directory
    walked = {real_path(p) for p in given if os.path.isdir(p)}
    roots = _outermost({real_path(repository_root(p)) for p in given})
    out: list[FileResult] = []
    for index in map(discoverer.index, (r for r in roots if r not in walked)):
        for path in index.manifests():
            if path in linted:
                continue
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue  # not an input: a file the run cannot read is not its business
            if b"Namespace" not in data or _NAMESPACE_KIND.search(data) is None:
                continue
            if excluded(path):
                continue
            real = real_path(path)
            if real in linted or index.overlays_of(real):
                continue  # an input (by its real path), or a kustomization's (in its build)
            shown = _shown(path)
            result = lint_bytes(data, shown, only_namespaces, json_file(path))
            declared = [
                replace(d, context=True) for d in result.declared if isinstance(d, NamespaceDecl)
            ]
            if declared:
                out.append(FileResult(shown, declared=list(declared)))
    return out


def _outermost(roots: set[str]) -> list[str]:
    """The roots no other one holds (outside a Git work tree an input's repository may be its
    own folder, inside another input's), sorted: each file is read once."""
    kept: set[str] = set()
    for root in sorted(roots):
        here, parent = root, os.path.dirname(root)
        while parent != here and parent not in kept:
            here, parent = parent, os.path.dirname(parent)
        if parent == here:  # reached the file system's root: no kept root holds it
            kept.add(root)
    return sorted(kept)
