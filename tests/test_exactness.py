"""Exact in the small: verdicts that must not pass silently, found by adversarial use (issue 22).
Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

SCRIPT_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:
  initContainers:
  - name: init
    image: busybox
    args:
    - |
      set -e
      # seccomp-lint: ignore[missing-seccomp-profile] a line of the script, not a YAML comment
  containers:
  - name: app
    image: busybox
"""

COMMENTED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:  # seccomp-lint: ignore[missing-seccomp-profile] the node runs it sandboxed
  containers:
  - name: app
    image: busybox
    args: ["# seccomp-lint: ignore[unconfined-seccomp-profile] inside a string"]
"""


def test_a_suppression_inside_a_block_scalar_is_not_a_comment(lint, tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(SCRIPT_POD)
    result = lint(path)
    assert result.code == 1
    assert [f["rule"] for f in result.findings] == ["missing-seccomp-profile"]
    assert not result.findings[0].get("suppressed")


def test_a_real_comment_still_suppresses(lint, tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(COMMENTED_POD)
    result = lint(path)
    assert result.code == 0, result.findings
    # The text inside the quoted string is no suppression: nothing says it names nothing.
    assert all(f["rule"] != "invalid-suppression" for f in result.findings)
