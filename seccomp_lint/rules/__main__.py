"""``python -m seccomp_lint.rules``: print docs/rules.md."""

from . import markdown

print(markdown(), end="")
