"""Command line: parse options, lint the inputs, report, and choose the exit code."""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sys
from collections.abc import Sequence

from . import __version__
from .model import NEWEST_KUBE, Options

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMAT_NAMES = ("text", "json", "sarif", "github", "markdown")


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


def _apply_config(parser: argparse.ArgumentParser, args: argparse.Namespace, argv):
    """Load the config file, if any, and fill in the options the command line left alone."""
    from . import config

    path = args.config or config.find()
    if path is None:
        return None
    loaded = config.load(path)
    given = config.explicit_dests(build_parser(), argv)
    config.apply(loaded, parser, args, given)
    return loaded


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


def _main(argv: Sequence[str] | None = None) -> int:
    # Merge keys are flattened recursively; documents nest at most documents.MAX_DEPTH deep.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.explain:
        return explain(args.explain)
    from .config import ConfigError

    try:
        loaded_config = _apply_config(parser, args, argv)
    except ConfigError as exc:
        print(f"seccomp-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not args.paths and not (args.kustomize or args.chart):
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
            profiles_dir=_profiles_dir(args.profiles_dir),
            fixes=bool(
                args.format in ("json", "sarif") or args.sarif_file or args.fix or args.diff
            ),
        )
    except UsageError as exc:
        print(f"seccomp-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    from .report import Display

    display = Display(args.quiet, args.statistics, args.sarif_file, args.summary_file)
    if args.values and not args.chart:
        print("seccomp-lint: error: --values needs --chart", file=sys.stderr)
        return EXIT_ERROR
    if (args.fix or args.diff) and (args.kustomize or args.chart):
        from .report import emit

        if args.paths or (args.kustomize and args.chart):
            print(
                "seccomp-lint: error: --fix/--diff with --kustomize or --chart takes no other inputs",
                file=sys.stderr,
            )
            return EXIT_ERROR
        if args.chart:
            print(
                "seccomp-lint: rendered Helm output is not rewritten; each finding's help names "
                "the template or values change to make",
                file=sys.stderr,
            )
            args.fix = args.diff = False
    if (args.fix or args.diff) and args.kustomize:
        from . import builds

        return builds.fix_kustomize(
            args.kustomize,
            options,
            lambda result, out: emit(result, args.format, display, out),
            fmt=args.format,
            diff=args.diff,
            unsafe=args.unsafe_fixes,
        )
    if args.fix or args.diff:
        from . import fixes
        from .report import emit

        return fixes.run(
            args.paths,
            options,
            lambda result, out: emit(result, args.format, display, out),
            args.format,
            diff=args.diff,
            unsafe=args.unsafe_fixes,
            jobs=args.jobs or os.cpu_count() or 1,
            config=loaded_config,
        )
    return run(
        args.paths,
        options,
        args.format,
        args.jobs or os.cpu_count() or 1,
        config=loaded_config,
        display=display,
        built=_builds(args, options),
    )


def _builds(args, options: Options):
    """Results of --kustomize and --chart builds (their modules load only when asked for)."""
    if not (args.kustomize or args.chart):
        return ()
    from . import builds

    return builds.results(args.kustomize, args.chart, args.values, options)


def run(
    paths: list[str], options: Options, fmt: str, jobs: int, config=None, display=None, built=()
) -> int:
    from .report import Display, Run, emit, escape
    from .sources import gather, lint_all

    gathered = gather(paths, config, sys.stderr)
    if gathered is None:
        return EXIT_ERROR
    inputs, passed_over = gathered
    display = display or Display()
    result = Run()
    for fr in itertools.chain(lint_all(inputs, options, jobs), built):
        if config is not None and config.per_path_ignores:
            muted = config.ignored_rules(fr.path)
            fr.findings = [f for f in fr.findings if f.rule not in muted]
        if fr.error:
            result.errors.append((fr.path, fr.error))
            print(f"seccomp-lint: {escape(fr.path)}: {escape(fr.error)}", file=sys.stderr)
            continue
        if fr.notice:
            result.skipped.append((fr.path, fr.notice))
            if not display.quiet:
                print(f"seccomp-lint: {escape(fr.path)}: {escape(fr.notice)}", file=sys.stderr)
        result.files += 1
        result.documents += fr.documents
        result.findings.extend(sorted(fr.findings, key=lambda f: (f.line, f.column, f.rule)))
    try:
        emit(result, fmt, display, sys.stdout)
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"seccomp-lint: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    if result.errors or passed_over:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN
