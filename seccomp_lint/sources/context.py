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
from ..model.admission import NamespaceDecl
from ..model.data import Level, Options
from ..text.streams import json_file
from .discover import Discoverer, Index, _shown
from .files import STDIN, Input

# ``kind: Namespace`` in any of YAML's and JSON's spellings but escapes (a CRD's
# ``scope: Namespaced`` is most of the files that say "Namespace" and is no match).
_NAMESPACE_KIND = re.compile(rb"kind['\"]?[ \t]*:[ \t\r\n]*['\"]?Namespace(?![A-Za-z0-9_-])")


def repository_namespaces(
    discoverer: Discoverer, inputs: list[Input], options: Options
) -> list[FileResult]:
    """With ``--level namespace``, a result per file of the inputs' repositories that declares a
    Namespace and is not itself linted, holding only those declarations (marked ``context``)."""
    if options.level != Level.NAMESPACE:
        return []
    linted = {os.path.realpath(i.path) for i in inputs if i.path != STDIN}
    indexes: dict[str, Index] = {}
    for path in sorted(linted):
        index = discoverer.index(path)
        indexes.setdefault(index.root, index)
    out: list[FileResult] = []
    for index in indexes.values():
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
            real = os.path.realpath(path)
            if real in linted or index.overlays_of(real):
                continue  # an input through a link, or a kustomization's (judged in its build)
            shown = _shown(path)
            result = lint_bytes(data, shown, options, json_file(path))
            declared = [
                replace(d, context=True) for d in result.declared if isinstance(d, NamespaceDecl)
            ]
            if declared:
                out.append(FileResult(shown, declared=list(declared)))
    return out
