"""A document that cannot be read unambiguously.

## What it does
Reports a document that is not valid YAML (or JSON), at the position where the parser stopped;
a document nested more than 1000 levels deep (not parsed, to stay safe from hostile input); and
a duplicate key in a mapping the linter reads (an object, its metadata, a pod spec, a container).
The other documents of the file, and the other files, are still linted. A file holding an
unrendered template (`{{ ... }}`) is skipped with a notice instead. Only documents that could
hold a pod template or a seccomp setting (they mention containers or seccomp) are checked: a
broken ConfigMap is for a YAML linter to report, and documents that cannot matter are never
parsed.

## Why is this bad
Nothing in that document can be checked, and the API server will not accept it either. With a
duplicate key, YAML decoders disagree on which value wins, so what the linter checks may not be
what the cluster gets; kubectl's strict field validation rejects such objects.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata: {name: web
spec:
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers: [{name: app, image: nginx}]
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers: [{name: app, image: nginx}]
```

## References
- https://yaml.org/spec/1.1/
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.data import FixSpec, Level, Severity
from ..text.documents import Document
from .base import Problem, RuleType

ID = "yaml-syntax-error"
TYPE = RuleType.DOCUMENT
LEVEL: Level | None = None
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): nothing in the document was checked.
SECURITY_SEVERITY = 5.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "`--fix` never rewrites a file that has a syntax error."


def parse_problem(line: int, column: int, message: str) -> Problem:
    """A document the parser stopped in, at a 1-based position."""
    return Problem(node=None, position=(line, column), message=message)


def check_document(doc: Document) -> Iterator[Problem]:
    """Duplicate keys in the mappings the linter read."""
    for key, first in doc.duplicates:
        yield Problem(
            node=key,
            message=(
                f"duplicate key {key.value!r} (first at line {doc.pos(first)[0]}): decoders "
                "disagree on which value wins, and kubectl's strict validation rejects it"
            ),
            help="keep one of the two keys",
            where=f"duplicate key {key.value}",
        )
