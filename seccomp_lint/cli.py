"""Command line: parse options, lint the inputs, report, and choose the exit code."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from . import __version__
from .model import NEWEST_KUBE, Options

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMAT_NAMES = ("text", "json")


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
    from .rules import BY_ID

    ids = frozenset(i.strip() for v in values for i in v.split(",") if i.strip())
    unknown = sorted(ids - BY_ID.keys())
    if unknown:
        raise UsageError(f"unknown rule id {unknown[0]!r}; known: {', '.join(BY_ID)}")
    return ids


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
        help="CIS 5.7.2 wording: report Localhost profiles too",
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
    p.add_argument("--version", action="version", version=f"seccomp-lint {__version__}")
    return p


def explain(rule_id: str) -> int:
    from .rules import BY_ID

    rule = BY_ID.get(rule_id)
    if rule is None:
        print(f"seccomp-lint: unknown rule {rule_id!r}; known: {', '.join(BY_ID)}", file=sys.stderr)
        return EXIT_ERROR
    level = rule.LEVEL or "always"
    print(f"# {rule.ID}\n\nLevel: {level}. Severity: {rule.SEVERITY}.\n\n{rule.__doc__.strip()}")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    # Merge keys are flattened recursively; documents nest at most documents.MAX_DEPTH deep.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.explain:
        return explain(args.explain)
    if not args.paths:
        parser.print_usage(sys.stderr)
        print("seccomp-lint: error: no paths given (use - to read stdin)", file=sys.stderr)
        return EXIT_ERROR
    try:
        options = Options(
            level=args.level,
            kube_version=args.kube_version,
            require_runtime_default=args.require_runtime_default,
            select=_rule_ids(args.select),
            ignore=_rule_ids(args.ignore) or frozenset(),
            prefilter=args.prefilter,
        )
    except UsageError as exc:
        print(f"seccomp-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return run(args.paths, options, args.format, args.jobs or os.cpu_count() or 1)


def run(paths: list[str], options: Options, fmt: str, jobs: int) -> int:
    from .report import FORMATS, Run
    from .sources import MissingPath, discover, lint_all

    try:
        inputs, notes = discover(paths)
    except MissingPath as exc:
        print(f"seccomp-lint: error: {exc}: no such file or directory", file=sys.stderr)
        return EXIT_ERROR
    for note in notes:
        print(f"seccomp-lint: {note}", file=sys.stderr)
    result = Run()
    for fr in lint_all(inputs, options, jobs):
        if fr.error:
            result.errors.append((fr.path, fr.error))
            print(f"seccomp-lint: {fr.path}: {fr.error}", file=sys.stderr)
            continue
        if fr.notice:
            result.skipped.append((fr.path, fr.notice))
            print(f"seccomp-lint: {fr.path}: {fr.notice}", file=sys.stderr)
        result.files += 1
        result.documents += fr.documents
        result.findings.extend(sorted(fr.findings, key=lambda f: (f.line, f.column, f.rule)))
    FORMATS[fmt](result, sys.stdout)
    if result.errors or notes:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN
