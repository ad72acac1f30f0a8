"""Command line: parse options, lint the inputs, report, and choose the exit code."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from . import __version__, config, pipeline
from .config import Config
from .model import NEWEST_KUBE, Level, Options
from .output import FORMATS, Display
from .pipeline import EXIT_CLEAN, EXIT_ERROR, Mode, Request
from .rules import BY_ID, doc, level_name
FORMAT_NAMES = tuple(FORMATS)


class UsageError(Exception):
    """A bad option value; reported with exit code 2."""


def _kube_version(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a version like 1.30, not {value!r}")
    return int(match.group(1)), int(match.group(2))


def _rule_ids(values: list[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    ids = frozenset(i.strip() for v in values for i in v.split(",") if i.strip())
    unknown = sorted(ids - BY_ID.keys())
    if unknown:
        raise UsageError(f"unknown rule id {unknown[0]!r}; known: {', '.join(BY_ID)}")
    if not ids:
        # An empty --select "$RULES" would silently turn every rule off.
        raise UsageError("--select/--ignore given without any rule id")
    return ids


def _profiles_dir(value: str | None) -> str | None:
    if value is not None and not os.path.isdir(value):
        raise UsageError(f"--profiles-dir {value}: not a directory")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seccomp-lint",
        description=(
            "Check that every container in every Kubernetes pod template runs under a seccomp "
            "profile the API server accepts (Pod Security Standards, CIS 5.7.2)."
        ),
    )
    p.add_argument("paths", nargs="*", help="files or directories to lint; - reads stdin")
    p.add_argument("--format", choices=FORMAT_NAMES, default="text", help="output format")
    p.add_argument(
        "--level",
        choices=("restricted", "baseline"),
        default="restricted",
        help="Pod Security Standards level to enforce (default: restricted)",
    )
    newest = ".".join(map(str, NEWEST_KUBE))
    p.add_argument(
        "--kube-version",
        type=_kube_version,
        default=NEWEST_KUBE,
        metavar="X.Y",
        help=f"Kubernetes version the manifests target (default: {newest})",
    )
    p.add_argument(
        "--require-runtime-default",
        action="store_true",
        help="CIS 5.7.2: report Localhost profiles too, at any --level",
    )
    p.add_argument("--select", action="append", metavar="RULES", help="only these rule ids")
    p.add_argument("--ignore", action="append", metavar="RULES", help="skip these rule ids")
    p.add_argument("--explain", metavar="RULE", help="print a rule's documentation and exit")
    p.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="worker processes for large runs (default: CPU count)",
    )
    p.add_argument(
        "--no-prefilter",
        dest="prefilter",
        action="store_false",
        help="parse every document, also those that cannot hold a pod template",
    )
    p.add_argument(
        "--profiles-dir",
        metavar="DIR",
        help="a copy of the kubelet seccomp root: resolve and lint Localhost profiles in it",
    )
    p.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: the nearest .seccomp-lint.yaml from the working directory up)",
    )
    p.add_argument(
        "--quiet", action="store_true", help="print only findings, and nothing when there are none"
    )
    p.add_argument("--statistics", action="store_true", help="print the number of findings per rule")
    p.add_argument("--sarif-file", metavar="PATH", help="also write a SARIF report to PATH")
    p.add_argument(
        "--summary-file",
        metavar="PATH",
        help="also append a Markdown table of every finding to PATH (e.g. $GITHUB_STEP_SUMMARY)",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="apply safe fixes in place (stdin: write the fixed stream to stdout)",
    )
    p.add_argument(
        "--diff", action="store_true", help="print the fixes as unified diffs and write nothing"
    )
    p.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix or --diff, also apply fixes that change behaviour (review them)",
    )
    p.add_argument(
        "--kustomize",
        action="append",
        default=[],
        metavar="DIR",
        help="build a kustomization (kustomize or kubectl on PATH) and report in its source files",
    )
    p.add_argument(
        "--chart",
        action="append",
        default=[],
        metavar="DIR",
        help="render a Helm chart (helm template; helm on PATH) and lint the result",
    )
    p.add_argument(
        "--values",
        action="append",
        default=[],
        metavar="FILE",
        help="with --chart: a values file for helm template (repeatable)",
    )
    p.add_argument("--version", action="version", version=f"seccomp-lint {__version__}")
    return p


def _apply_config(
    parser: argparse.ArgumentParser, args: argparse.Namespace, argv: Sequence[str] | None
) -> Config | None:
    """Load the config file, if any, and fill in the options the command line left alone."""
    path = args.config or config.find()
    if path is None:
        return None
    loaded = config.load(path)
    given = config.explicit_dests(build_parser(), argv)
    config.apply(loaded, parser, args, given)
    return loaded


def explain(rule_id: str) -> int:
    """``--explain ID``: the rule's documentation, its Fix section generated from its data."""
    rule = BY_ID.get(rule_id)
    if rule is None:
        print(f"seccomp-lint: unknown rule {rule_id!r}; known: {', '.join(BY_ID)}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"# {rule.ID}\n\nLevel: {level_name(rule)}. Severity: {rule.SEVERITY}.\n\n{doc(rule)}"
    )
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit codes 0 (clean), 1 (findings or files rewritten), 2 (error)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("seccomp-lint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``); exit quietly like other command-line tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


def _error(message: str) -> int:
    print(f"seccomp-lint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _main(argv: Sequence[str] | None = None) -> int:
    # Merge keys are flattened recursively; documents nest at most documents.MAX_DEPTH deep.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.explain:
        return explain(args.explain)
    try:
        loaded_config = _apply_config(parser, args, argv)
    except config.ConfigError as exc:
        return _error(str(exc))
    if not args.paths and not (args.kustomize or args.chart):
        parser.print_usage(sys.stderr)
        return _error("no paths given (use - to read stdin)")
    if args.values and not args.chart:
        return _error("--values needs --chart")
    try:
        options = Options(
            level=Level(args.level),
            kube_version=args.kube_version,
            require_runtime_default=args.require_runtime_default,
            select=_rule_ids(args.select),
            ignore=_rule_ids(args.ignore) or frozenset(),
            prefilter=args.prefilter,
            profiles_dir=_profiles_dir(args.profiles_dir),
            fixes=bool(args.format in ("json", "sarif") or args.sarif_file),
        )
    except UsageError as exc:
        return _error(str(exc))
    mode = Mode.DIFF if args.diff else Mode.FIX if args.fix else Mode.LINT
    if mode is not Mode.LINT and args.chart:
        print(
            "seccomp-lint: rendered Helm output is not rewritten; each finding's help names "
            "the template or values change to make",
            file=sys.stderr,
        )
    request = Request(
        paths=tuple(args.paths),
        options=options,
        mode=mode,
        unsafe=args.unsafe_fixes,
        fmt=args.format,
        display=Display(args.quiet, args.statistics, args.sarif_file, args.summary_file),
        jobs=args.jobs or os.cpu_count() or 1,
        config=loaded_config,
        kustomize=tuple(args.kustomize),
        charts=tuple(args.chart),
        values=tuple(args.values),
    )
    return pipeline.run(request)
