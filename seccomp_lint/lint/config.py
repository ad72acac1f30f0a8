"""The config file ``.seccomp-lint.yaml``: find it, load it, validate it, merge it into options.

Keys are the long option names. Validation against ``schemas/config.schema.json`` needs
jsonschema, whose import costs more than a whole pre-commit run; so a config that validated once
is remembered by the hash of its bytes (and of the schema) in the user's cache directory.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import yaml

from ..model.resources import schema_bytes
from ..output.identity import relative
from ..rules import BY_ID

if TYPE_CHECKING:
    import pathspec

CONFIG_NAMES = (".seccomp-lint.yaml", ".seccomp-lint.yml")
SCHEMA = "config.schema.json"  # in schemas/, read by resources.schema_bytes
# Keys that are not command-line options.
FILE_ONLY_KEYS = ("exclude", "per-path-ignores", "charts")
RULE_LIST_KEYS = ("select", "ignore")
PATH_KEYS = (
    "profiles-dir",
    "baseline",
    "admission-config",
    "kubelet-config",
)  # relative to the config file


class ConfigError(Exception):
    """A config file that cannot be read or does not match the schema (exit code 2)."""


@dataclass(frozen=True)
class Config:
    """A loaded config file: option values by key, exclusions and per-path ignores."""

    path: str
    root: str  # the directory holding the file; globs and relative paths start here
    options: dict = field(default_factory=dict)
    exclude: pathspec.GitIgnoreSpec | None = None
    per_path_ignores: tuple[tuple[pathspec.GitIgnoreSpec, frozenset[str]], ...] = ()
    # chart folder -> the values files a walk renders it with, one render each (absolute paths)
    charts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def excluded(self, path: str) -> bool:
        """Whether an ``exclude`` pattern matches ``path`` or a directory above it."""
        rel = relative(path, self.root, outside=False) if self.exclude is not None else None
        return rel is not None and self.exclude is not None and self.exclude.match_file(rel)

    def ignored_rules(self, path: str) -> frozenset[str]:
        """The rule ids ``per-path-ignores`` turns off for ``path``."""
        rel = relative(path, self.root, outside=False) if self.per_path_ignores else None
        if rel is None:
            return frozenset()
        return frozenset().union(*(ids for p, ids in self.per_path_ignores if p.match_file(rel)))


def find(start: str | None = None) -> str | None:
    """The nearest config file from ``start`` upward; the search ends at a repository's root."""
    directory = os.path.abspath(start or os.getcwd())
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory or os.path.exists(os.path.join(directory, ".git")):
            return None
        directory = parent


def load(path: str) -> Config:
    """Read, validate and compile the config file at ``path``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    try:
        values = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: cannot parse config file: {exc}") from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a mapping of option names, not {_kind(values)}")
    for key in values:
        if not isinstance(key, str):
            raise ConfigError(f"{path}: key {key!r} is not a string (quote it)")
    _validate(path, data, values)
    return _compile(path, values)


_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "seccomp-lint", "valid-config")


def _schema_bytes() -> bytes:
    return schema_bytes(SCHEMA)


def _validate(path: str, data: bytes, values: dict) -> None:
    schema = _schema_bytes()
    import hashlib  # a documented seam: OpenSSL's load costs 11 ms, only with a config file

    digest = hashlib.sha256(schema + b"\0" + data).hexdigest()
    marker = os.path.join(_cache_dir(), digest)
    problems = [] if os.path.exists(marker) else schema_problems(values, schema)
    problems += _rule_id_problems(values)  # with the schema's: every problem in one round
    if problems:
        # Every problem at once: fixing a config should not take one run per mistake.
        raise ConfigError("\n".join(f"{path}: {p}" for p in problems))
    try:
        os.makedirs(os.path.dirname(marker), exist_ok=True)
        with open(marker, "w"):
            pass
    except OSError:
        pass  # a read-only cache costs only time


def schema_problems(values: object, schema: bytes | None = None) -> list[str]:
    """Every way ``values`` breaks the config schema, one readable line each."""

    import jsonschema  # a documented seam: ~180 ms to import; validated configs are cached

    loaded = json.loads(schema or _schema_bytes())
    validator = jsonschema.Draft202012Validator(loaded)
    errors = sorted(validator.iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(e, loaded) for e in errors]


def _describe(error, schema: dict) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties" and not where:
        known = list(schema["properties"])
        lines = []
        for key in sorted(set(error.instance) - set(known)):
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"unknown key {key!r}{hint}; known keys: {', '.join(known)}")
        return "\n".join(lines)
    label = f"key {where!r}" if where else "the file"
    value = error.instance
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"{label}: {value!r} is not one of {allowed}"
    if error.validator == "type":
        hint = ""
        if where == "kube-version" and isinstance(value, (int, float)):
            hint = ' (quote it: kube-version: "1.30")'
        return f"{label}: expected {error.validator_value}, got {_kind(value)} {value!r}{hint}"
    if error.validator == "oneOf" or (error.validator == "pattern" and "/" in where):
        return f"{label}: expected rule ids, as a list or a comma-separated string, got {value!r}"
    if error.validator == "pattern":
        return f'{label}: {value!r} is not a version like "1.30"'
    return f"{label}: {error.message}"


def rule_id_problems(ids: list[str]) -> list[str]:
    """Why each unknown rule id is wrong, with the closest known id."""
    out = []
    for rule_id in ids:
        if rule_id not in BY_ID:
            # Matched without case: --ignore MISSING-SECCOMP-PROFILE finds its rule.
            close = difflib.get_close_matches(rule_id.lower(), list(BY_ID), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(BY_ID)}"
            out.append(f"unknown rule id {rule_id!r}; {hint}")
    return out


def _rule_id_problems(values: dict) -> list[str]:
    """Unknown rule ids in the rule lists that have the right shape (the schema reports the
    others)."""
    lists = [(key, values[key]) for key in RULE_LIST_KEYS if key in values]
    per_path = values.get("per-path-ignores", {})
    if isinstance(per_path, dict):
        lists += [(f"per-path-ignores/{glob}", ids) for glob, ids in per_path.items()]
    return [f"key {key!r}: {p}" for key, ids in lists for p in rule_id_problems(_ids(ids))]


def _ids(value: object) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        return []
    return [i.strip() for i in items if isinstance(i, str) and i.strip()]


def _compile(path: str, values: dict) -> Config:
    root = os.path.dirname(os.path.abspath(path))
    options = dict(values)
    for key in FILE_ONLY_KEYS:
        options.pop(key, None)
    for key in RULE_LIST_KEYS:
        if key in options:
            options[key] = [",".join(_ids(options[key]))]
    for key in PATH_KEYS:
        if key in options:
            options[key] = os.path.join(root, os.path.expanduser(options[key]))
    for chart in values.get("charts", {}):
        folder = _under(root, chart)
        if not os.path.isfile(os.path.join(folder, "Chart.yaml")):
            # (a key mistyped would silently render the chart with its defaults only)
            raise ConfigError(f"{path}: charts: {chart!r} is not a chart's folder (no Chart.yaml)")
        parent = os.path.dirname(os.path.dirname(folder))
        if os.path.basename(os.path.dirname(folder)) == "charts" and os.path.isfile(
            os.path.join(parent, "Chart.yaml")
        ):  # (rendered with its parent only: its values go in the parent's, under its name)
            raise ConfigError(
                f"{path}: charts: {chart!r} is a subchart, rendered with its parent: name the "
                "parent chart, its values files setting this one's values under its name"
            )
    return Config(
        path=path,
        root=root,
        options=options,
        exclude=patterns(values["exclude"]) if values.get("exclude") else None,
        per_path_ignores=tuple(
            (patterns([g]), frozenset(_ids(ids)))
            for g, ids in values.get("per-path-ignores", {}).items()
        ),
        charts={
            _under(root, chart): tuple(_under(root, v) for v in entry.get("values", []))
            for chart, entry in values.get("charts", {}).items()
        },
    )


def _under(root: str, path: str) -> str:
    """A path of the config file (relative to its folder) as an absolute path."""
    return os.path.normpath(os.path.join(root, os.path.expanduser(path)))


def patterns(lines: Sequence[str]) -> pathspec.GitIgnoreSpec:
    """Path patterns with gitignore semantics (``*`` within a name, ``**`` across directories,
    a pattern without ``/`` at any depth, a trailing ``/`` for directories, ``!`` to re-include),
    matched against paths relative to the directory that states them."""
    import pathspec  # a documented seam: 15 ms of start-up, only when there are patterns

    return pathspec.GitIgnoreSpec.from_lines(lines)


def explicit_dests(fresh: argparse.ArgumentParser, argv: Sequence[str] | None) -> set[str]:
    """The destinations ``argv`` sets explicitly; ``fresh`` is a new parser, changed here."""
    for action in fresh._actions:
        action.default = argparse.SUPPRESS
    return set(vars(fresh.parse_args(argv)))


def apply(
    config: Config, parser: argparse.ArgumentParser, args: argparse.Namespace, given: set[str]
) -> None:
    """Set each option the command line left alone from the config file; every problem is
    reported at once."""
    by_option = {s: a for a in parser._actions for s in a.option_strings}
    problems = []
    for key, value in config.options.items():
        action = by_option.get("--" + key)
        if action is None:
            problems.append(f"key {key!r} is not supported by this version")
            continue
        if action.dest in given:
            continue
        if action.nargs == 0:  # a flag: true sets it, false leaves the default
            value = action.const if value else action.default
        elif isinstance(value, str) and callable(action.type):
            try:
                value = action.type(value)
            except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
                problems.append(f"key {key!r}: {exc}")
                continue
        setattr(args, action.dest, value)
    if problems:
        raise ConfigError("\n".join(f"{config.path}: {p}" for p in problems))
