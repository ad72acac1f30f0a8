"""What identifies a finding from one run to the next, wherever its file puts it: paths relative
to a root, the key of rule, file, object, container and setting (baseline entries, GitLab
fingerprints), and the hashed fingerprints code scanning and GitLab track findings by."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable
from typing import NamedTuple

from ..model.data import Finding

STDIN_NAMES = ("-", "<stdin>")


def relative(path: str, root: str, *, outside: bool = True) -> str | None:
    """``path`` relative to ``root``, normalised, with forward slashes (``..`` steps where it lies
    outside ``root``); None on another drive, or outside ``root`` when not ``outside``."""
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive
        return None
    rel = os.path.normpath(rel).replace(os.sep, "/")
    if not outside and (rel == ".." or rel.startswith("../")):
        return None
    return rel


class Key(NamedTuple):
    """A finding's identity, its file and its namespace: what survives edits."""

    rule: str
    path: str  # relative to a root (the baseline file's directory), forward slashes
    kind: str | None
    namespace: str | None
    name: str | None
    container: str | None
    setting: str | None


# How report files (-o, --sarif-file, --summary-file, a baseline) write a path that is not
# UTF-8 (a file name's bytes, which Python reads as lone surrogates): each such character as
# U+FFFD, as ruff shows such names, so the file stays UTF-8 JSON that any reader takes (a walk
# reads a .json file in the repository as YAML), rather than failing halfway through the file.
REPORT_ERRORS = "seccomp-lint-lossy"


def _lossy(exc: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "\ufffd".encode() * (exc.end - exc.start), exc.end  # (UTF-8 takes bytes, not text)


codecs.register_error(REPORT_ERRORS, _lossy)


def lossy(text: str) -> str:
    """``text`` as a report file holds it (:data:`REPORT_ERRORS`)."""
    return text if text.isascii() else text.encode("utf-8", REPORT_ERRORS).decode("utf-8")


def finding_key(f: Finding, root: str) -> Key:
    """The key of a finding, its path taken relative to ``root`` (stdin stays as named)."""
    obj = f.at_source  # (a base's object as the base writes it, not as an overlay built it)
    kind, namespace, name = (obj.kind, obj.namespace, obj.name) if obj else (None, None, None)
    path = f.path if f.path in STDIN_NAMES else (relative(f.path, root) or f.path)
    return Key(f.rule, lossy(path), kind, namespace, name, f.container, f.setting)


def fingerprint(parts: Iterable[str | None], seen: dict[str, int]) -> tuple[str, int]:
    """A hash of ``parts`` (None as empty), and how many times ``seen`` has now counted it: two
    findings with one identity (one rule at pod and container level) must stay two."""
    import hashlib  # a documented seam: OpenSSL's load costs 11 ms, only when this is written

    text = "\0".join("" if p is None else p for p in parts)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    seen[digest] = seen.get(digest, 0) + 1
    return digest, seen[digest]
