"""Running an external build tool (kustomize, kubectl, helm): offline, time-limited, verbatim errors."""

from __future__ import annotations

import subprocess

TIMEOUT = 60.0  # seconds a build may take
# Point HTTP(S) at a closed local port and allow git no remote protocol: builds stay offline.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "GIT_ALLOW_PROTOCOL": "file",
    "GIT_TERMINAL_PROMPT": "0",
}


class ToolError(Exception):
    """A build tool is missing, failed or took too long; the message is shown as it is."""


def run_tool(argv: list[str], what: str, cwd: str | None = None, env: dict | None = None) -> bytes:
    """Run a build tool with the time limit; its stdout, or ToolError with its stderr verbatim."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} did not finish within {TIMEOUT:g} s") from None
    except OSError as exc:
        raise ToolError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").rstrip()
        raise ToolError(f"{what} failed (exit {done.returncode}):\n{err}")
    return done.stdout
