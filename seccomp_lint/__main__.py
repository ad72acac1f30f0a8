"""``python -m seccomp_lint``."""

from .cli import entry

entry()
