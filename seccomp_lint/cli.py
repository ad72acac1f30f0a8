"""Command line: parse options, lint the inputs, report, and choose the exit code."""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__, pipeline
from .lint import config, namespaces
from .lint.config import Config, rule_id_problems
from .lint.request import Mode, Request
from .model.data import NEWEST_KUBE, Level, Options, Severity
from .output.formats import ALIASES, FORMATS, Display
from .output.github import neutral, on_github
from .pipeline import EXIT_CLEAN, EXIT_ERROR
from .rules import BY_ID, RULES, doc, fix_summary, level_name

FORMAT_NAMES = (*FORMATS, *ALIASES)


class UsageError(Exception):
    """A bad option value; reported with exit code 2."""


def _kube_version(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a version like 1.30, not {value!r}")
    major, minor = int(match.group(1)), int(match.group(2))
    if major != 1:
        raise argparse.ArgumentTypeError(f"{value!r}: Kubernetes versions are 1.x")
    if minor < 10:
        # 1.2 is most likely 1.20 cut short (an unquoted 1.20 in YAML is the number 1.2).
        raise argparse.ArgumentTypeError(
            f"{value!r} predates every release seccomp-lint judges (the seccompProfile field came "
            f"in 1.19); did you mean 1.{minor}0?"
        )
    return major, minor


def _rule_ids(values: list[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    ids = frozenset(i.strip() for v in values for i in v.split(",") if i.strip())
    problems = rule_id_problems(sorted(ids))
    if problems:
        raise UsageError("; ".join(problems))
    if not ids:
        # An empty --select "$RULES" would silently turn every rule off.
        raise UsageError("--select/--ignore given without any rule id")
    return ids


def _profiles_dir(value: str | None) -> str | None:
    if value is not None and not os.path.isdir(value):
        raise UsageError(f"--profiles-dir {value}: not a directory")
    return value


_NEWEST = ".".join(map(str, NEWEST_KUBE))
_NS_HELP = "--level namespace: the namespace of objects that name none (default: default)"
_KUBELET_HELP = "a KubeletConfiguration: with seccompDefault, say it covers unset profiles"
_ADMISSION_HELP = "--level namespace: the API server's AdmissionConfiguration (PodSecurity)"
# The options, group by group as --help lists them: (flags, add_argument's keywords). The long
# names are also the config file's keys. argparse copies a list default before appending to it.
_OPTIONS: dict[str, list[tuple[tuple[str, ...], dict[str, Any]]]] = {
    "what to check": [
        (
            ("--level",),
            dict(
                choices=("restricted", "baseline", "namespace"),
                default="restricted",
                help="Pod Security Standards level to enforce (default: restricted); namespace: "
                "each pod as its namespace's Pod Security labels judge it",
            ),
        ),
        (("--namespace",), dict(default="default", metavar="NAME", help=_NS_HELP)),
        (("--admission-config",), dict(metavar="FILE", help=_ADMISSION_HELP)),
        (("--kubelet-config",), dict(metavar="FILE", help=_KUBELET_HELP)),
        (
            ("--kube-version",),
            dict(
                type=_kube_version,
                default=NEWEST_KUBE,
                metavar="X.Y",
                help=f"Kubernetes version the manifests target (default: {_NEWEST})",
            ),
        ),
        (
            ("--require-runtime-default",),
            dict(
                action="store_true", help="CIS 5.7.2: report Localhost profiles too, at any --level"
            ),
        ),
        (("--select",), dict(action="append", metavar="RULES", help="only these rule ids")),
        (("--ignore",), dict(action="append", metavar="RULES", help="skip these rule ids")),
        (
            ("--profiles-dir",),
            dict(
                metavar="DIR",
                help="a copy of the kubelet seccomp root: resolve and lint Localhost profiles in it",
            ),
        ),
    ],
    "inputs": [
        (
            ("--exclude",),
            dict(
                action="append",
                default=[],
                metavar="PATTERN",
                help="leave out paths matching this gitignore-style pattern (repeatable)",
            ),
        ),
        (
            ("--no-respect-gitignore",),
            dict(
                dest="respect_gitignore",
                action="store_false",
                help="also walk into what .gitignore files ignore",
            ),
        ),
        (
            ("--no-builds",),
            dict(
                dest="builds",
                action="store_false",
                help="lint every file as itself: do not render the charts or build the "
                "kustomizations a walk (or a changed file) reaches",
            ),
        ),
        (
            ("--kustomize",),
            dict(
                action="append",
                default=[],
                metavar="DIR",
                help="build a kustomization (kustomize or kubectl on PATH) and report in its "
                "source files",
            ),
        ),
        (
            ("--chart",),
            dict(
                action="append",
                default=[],
                metavar="DIR",
                help="render a Helm chart (helm template with helm on PATH, else the Helm SDK) "
                "and lint it",
            ),
        ),
        (
            ("--values",),
            dict(
                action="append",
                default=[],
                metavar="FILE",
                help="with --chart: a values file for helm template (repeatable)",
            ),
        ),
        (
            ("--config",),
            dict(
                metavar="PATH",
                help="config file (default: the nearest .seccomp-lint.yaml from the working "
                "directory up)",
            ),
        ),
    ],
    "fixing": [
        (
            ("--fix",),
            dict(
                action="store_true",
                help="apply safe fixes in place (stdin: write the fixed stream to stdout)",
            ),
        ),
        (
            ("--diff",),
            dict(action="store_true", help="print the fixes as unified diffs and write nothing"),
        ),
        (
            ("--unsafe-fixes",),
            dict(
                action="store_true",
                help="with --fix or --diff, also apply fixes that change behaviour (review them)",
            ),
        ),
        (
            ("--exit-non-zero-on-fix",),
            dict(
                action="store_true",
                help="with --fix, exit 1 when a file was rewritten, even if nothing remains",
            ),
        ),
    ],
    "output": [
        (
            ("-f", "--format", "--output-format"),
            dict(
                choices=FORMAT_NAMES,
                default="text",
                metavar="FORMAT",
                help="output format: text (the default; ruff's name: full), concise (one line "
                f"per finding), {', '.join(f for f in FORMATS if f not in ('text', 'concise'))}",
            ),
        ),
        (
            ("-o", "--output-file"),
            dict(metavar="PATH", help="write the report to PATH instead of stdout"),
        ),
        (
            ("-q", "--quiet"),
            dict(action="store_true", help="print only findings, and nothing when there are none"),
        ),
        (
            ("--statistics",),
            dict(action="store_true", help="print the number of findings per rule"),
        ),
        (
            ("--color",),
            dict(
                choices=("auto", "always", "never"),
                default="auto",
                help="colour the text report (auto: on a terminal; NO_COLOR and FORCE_COLOR "
                "respected)",
            ),
        ),
        (
            ("--baseline",),
            dict(
                metavar="FILE",
                help="report only findings not recorded in this baseline file (see "
                "--write-baseline)",
            ),
        ),
        (
            ("--write-baseline",),
            dict(
                metavar="FILE",
                help="record the findings in a baseline file (and report none of them); run "
                "again to drop entries that match nothing",
            ),
        ),
        (("--sarif-file",), dict(metavar="PATH", help="also write a SARIF report to PATH")),
        (
            ("--summary-file",),
            dict(
                metavar="PATH",
                help="also append a Markdown table of every finding to PATH (e.g. "
                "$GITHUB_STEP_SUMMARY)",
            ),
        ),
        (
            ("-e", "--exit-zero"),
            dict(action="store_true", help="exit 0 even when findings remain"),
        ),
        (
            ("--fail-level",),
            dict(
                choices=("error", "warning"),
                default="warning",
                help="the least severe finding that fails the run (default: warning, i.e. any)",
            ),
        ),
    ],
    "other": [
        (
            ("-j", "--jobs"),
            dict(
                type=int,
                default=0,
                metavar="N",
                help="worker processes for large runs; builds a lint runs at once (default: CPU count)",
            ),
        ),
        (
            ("--no-prefilter",),
            dict(
                dest="prefilter",
                action="store_false",
                help="parse every document, also those that cannot hold a pod template",
            ),
        ),
        (("--explain",), dict(metavar="RULE", help="print a rule's documentation and exit")),
        (
            ("--list-rules",),
            dict(
                action="store_true",
                help="print every rule id with its level, severity and summary, and exit",
            ),
        ),
        (("--version",), dict(action="version", version=f"seccomp-lint {__version__}")),
    ],
}


def build_parser() -> argparse.ArgumentParser:
    """The command line; long option names are also the config file's keys."""
    p = argparse.ArgumentParser(
        prog="seccomp-lint",
        description=(
            "Check that every container in every Kubernetes pod template runs under a seccomp "
            "profile the API server accepts (Pod Security Standards, CIS 5.7.2)."
        ),
        epilog=(
            "Exit status: 0 nothing (at --fail-level) found, 1 findings remain (--diff: there "
            "is a diff), 2 usage error or an input that could not be read or built."
        ),
    )
    p.add_argument(
        "paths", nargs="*", help="files or directories to lint (default: .); - reads stdin"
    )
    for title, options in _OPTIONS.items():
        group = p.add_argument_group(title)
        for flags, keywords in options:
            group.add_argument(*flags, **keywords)
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


def list_rules(fmt: str = "text") -> int:
    """``--list-rules``: every rule id with its level, severity, fixes and one-line summary;
    with ``--format json``, as a JSON array."""
    if fmt == "json":
        rules = [
            {
                "id": rule.ID,
                "level": level_name(rule),
                "severity": str(rule.SEVERITY),
                "summary": (rule.__doc__ or "").strip().splitlines()[0],
                "fixes": [
                    {"applicability": str(spec.applicability), "summary": spec.summary}
                    for spec in rule.FIXES
                ],
            }
            for rule in RULES
        ]
        print(json.dumps(rules, indent=2, ensure_ascii=False))
        return EXIT_CLEAN
    width = max(len(rule.ID) for rule in RULES)
    for rule in RULES:
        summary = (rule.__doc__ or "").strip().splitlines()[0]
        print(
            f"{rule.ID:<{width}}  {level_name(rule):<10}  {rule.SEVERITY!s:<7}  {summary}"
            f"  [fix: {fix_summary(rule)}]"
        )
    return EXIT_CLEAN


def explain(rule_id: str) -> int:
    """``--explain ID``: the rule's documentation, its Fix section generated from its data."""
    rule = BY_ID.get(rule_id)
    if rule is None:
        return _error(rule_id_problems([rule_id])[0])
    print(f"# {rule.ID}\n\nLevel: {level_name(rule)}. Severity: {rule.SEVERITY}.\n\n{doc(rule)}")
    return EXIT_CLEAN


def entry() -> None:
    """The console script and ``python -m seccomp_lint``: :func:`main`, then exit without
    tearing down the interpreter. Freeing a large run's millions of nodes one by one at exit
    took longer than linting them (a 10,000-pod dump: 1.3 s of 2.2 s); every report and file
    is written and closed by then, and the standard streams are flushed here."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or EXIT_ERROR
    os._exit(code)


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
    said = f"seccomp-lint: error: {message}"  # (a config's text: no workflow command on GitHub)
    print(neutral(said) if on_github() else said, file=sys.stderr)
    return EXIT_ERROR


def _main(argv: Sequence[str] | None = None) -> int:
    # Merge keys are flattened recursively; documents nest at most documents.MAX_DEPTH deep.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    # A large document (a cluster dump) is millions of nodes without reference cycles: with
    # the default thresholds the collector scans them again and again (half the run for a
    # 10,000-pod List). Collect less often; what is alive at start-up is never scanned.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_rules:
        return list_rules(ALIASES.get(args.format, args.format))
    if args.explain:
        return explain(args.explain)
    try:
        loaded_config = _apply_config(parser, args, argv)
    except config.ConfigError as exc:
        return _error(str(exc))
    if not args.paths and not (args.kustomize or args.chart):
        args.paths = ["."]  # as ruff: no path means the working directory; - reads stdin
    if args.values and not args.chart:
        return _error("--values needs --chart")
    if args.diff and args.write_baseline:  # (its findings are those of files it does not write)
        return _error("--write-baseline records the files as they are: run it without --diff")
    args.format = ALIASES.get(args.format, args.format)
    mode = Mode.DIFF if args.diff else Mode.FIX if args.fix else Mode.LINT
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
            namespace=args.namespace,
            seccomp_default=namespaces.seccomp_default(args.kubelet_config),
            fixing=mode is not Mode.LINT,
        )
        podsecurity = namespaces.configured(args.admission_config, args.level)
    except (UsageError, config.ConfigError) as exc:
        return _error(str(exc))
    request = Request(
        paths=tuple(args.paths),
        options=options,
        mode=mode,
        unsafe=args.unsafe_fixes,
        fmt=args.format,
        display=Display(
            args.quiet, args.statistics, args.sarif_file, args.summary_file, _color(args.color)
        ),
        jobs=args.jobs or os.cpu_count() or 1,
        config=loaded_config,
        kustomize=tuple(args.kustomize),
        charts=tuple(args.chart),
        values=tuple(args.values),
        exclude=tuple(args.exclude),
        respect_gitignore=args.respect_gitignore,
        builds=args.builds,
        fail_level=Severity(args.fail_level),
        exit_zero=args.exit_zero,
        exit_non_zero_on_fix=args.exit_non_zero_on_fix,
        output_file=args.output_file,
        baseline=args.baseline,  # (read by the pipeline: a bad one is in every report)
        write_baseline=args.write_baseline,
        admission=podsecurity,
    )
    return pipeline.run(request)


def _color(choice: str) -> bool | None:
    """True/False for always/never; None (decide by the terminal) for auto, where NO_COLOR
    (https://no-color.org) turns colour off and FORCE_COLOR on."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return None
