"""The error for a broken guarantee of a tool whose output seccomp-lint reads."""

from __future__ import annotations


class ToolContractError(RuntimeError):
    """libyaml or kustomize did what it guarantees never to do (an event without a position, a
    document announced but not composed, a patch operation kustomize accepted without a path):
    a bug to report, not a problem of the input. Caught only where one input is read (a file,
    stdin, a build), which then fails with :meth:`report`'s words; the others are still read."""

    def report(self) -> str:
        return f"not checked: {self} (a tool broke its contract: please report this)"
