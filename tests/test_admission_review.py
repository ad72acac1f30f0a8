"""``--level namespace`` as the ``k8s.io/pod-security-admission`` library decides the cases a
review of issue 24 found wrong: a pinned version newer than the cluster (the check registry
clamps it to the newest version the cluster's library knows), a namespace declared twice (the
verdict must not depend on the pre-filter), malformed admission configurations (the API server
refuses them), the invalid-label rule's help, and PodTemplate (warn and audit judge it; enforce
does not, and nothing makes pods from it by itself).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import REPO

OUTPUT_SCHEMA = json.loads((REPO / "schemas" / "output.schema.json").read_text())

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n{labels}"
BARE_POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\n"
    "spec:\n{extra}  containers:\n  - name: app\n    image: nginx\n"
)


def _ns(name: str, **labels: str) -> str:
    body = "".join(
        f"    pod-security.kubernetes.io/{k.replace('_', '-')}: {v}\n" for k, v in labels.items()
    )
    if not labels:
        return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    return NS.format(name=name, labels=body)


def _outcomes(findings: list[dict]) -> list[tuple[str, str, str]]:
    return sorted(
        (f["object"]["kind"], f["admission"]["outcome"], f["severity"])
        for f in findings
        if f["admission"] is not None
    )


# 1. A pinned version newer than the cluster: clamped to the cluster's (registry.go EvaluatePod).
@pytest.mark.parametrize(
    ("kube", "pinned", "rejected"),
    [
        ("1.24", "v1.30", True),  # the 1.24 library has no Windows exemption: clamped to v1.24
        ("1.24", "v1.25", True),
        ("1.24", "v1.24", True),
        ("1.25", "v1.30", False),  # clamped to v1.25: exempt
        ("1.30", "v1.24", True),  # an older pin is evaluated as that version
        ("1.30", "v1.30", False),
    ],
)
def test_a_pinned_version_newer_than_the_cluster_is_clamped(
    lint, tmp_path: Path, kube: str, pinned: str, rejected: bool
) -> None:
    path = tmp_path / "w.yaml"
    windows = "  os: {name: windows}\n"
    pod = BARE_POD.format(name="win", ns="w", extra=windows)
    path.write_text(_ns("w", enforce="restricted", enforce_version=pinned) + "---\n" + pod)
    result = lint("--level", "namespace", "--kube-version", kube, path)
    assert "Traceback" not in result.stderr
    judged = [f for f in result.findings if f["admission"] is not None]
    if not rejected:
        assert judged == [] and result.code == 0
        return
    assert [(f["admission"]["outcome"], f["severity"]) for f in judged] == [("rejected", "error")]
    assert result.code == 1


def test_latest_and_a_pin_agree_on_the_cluster_version(lint, tmp_path: Path) -> None:
    """At --kube-version 1.24, latest and v1.30 both evaluate v1.24: same verdict, each named as
    the label says."""
    path = tmp_path / "two.yaml"
    docs = [
        _ns("a", enforce="restricted"),
        _ns("b", enforce="restricted", enforce_version="v1.30"),
        BARE_POD.format(name="p", ns="a", extra="  os: {name: windows}\n"),
        BARE_POD.format(name="p", ns="b", extra="  os: {name: windows}\n"),
    ]
    path.write_text("---\n".join(docs))
    found = lint("--level", "namespace", "--kube-version", "1.24", path).findings
    modes = sorted(
        (f["admission"]["namespace"], m["version"]) for f in found for m in f["admission"]["modes"]
    )
    assert modes == [("a", "latest"), ("b", "v1.30")]


# 2. A namespace declared twice: the verdict does not depend on the pre-filter.
def _twice(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a-psa.yaml").write_text(_ns("shop", enforce="restricted"))
    (root / "b-namespaces.yaml").write_text(_ns("shop") + "---\n" + _ns("other"))
    (root / "pod.yaml").write_text(BARE_POD.format(name="solo", ns="shop", extra=""))
    return root


def test_a_namespace_declared_twice_is_judged_alike_with_and_without_the_prefilter(
    lint, tmp_path: Path
) -> None:
    root = _twice(tmp_path)
    default = lint("--level", "namespace", root)
    unfiltered = lint("--level", "namespace", "--no-prefilter", root)
    assert default.findings == unfiltered.findings
    assert default.code == unfiltered.code
    # The later declaration (kubectl apply -f of the directory: b-namespaces.yaml last) wins.
    assert default.findings == [] and default.code == 0
    shop = next(n for n in default.report["summary"]["namespaces"] if n["name"] == "shop")
    assert shop["enforce"] == {"level": "privileged", "version": "latest"}


def test_a_namespace_declared_twice_with_different_labels_gets_a_notice(
    lint, tmp_path: Path
) -> None:
    root = _twice(tmp_path)
    for extra in ((), ("--no-prefilter",)):
        err = lint("--level", "namespace", *extra, root).stderr
        first, later = root / "a-psa.yaml", root / "b-namespaces.yaml"
        assert err.count('namespace "shop" is declared more than once') == 1, err
        assert f"{first}:1:1" in err and f"{later}:1:1" in err
        assert "other" not in err
    # The same labels twice: nothing to say.
    (root / "b-namespaces.yaml").write_text(_ns("shop", enforce="restricted"))
    same = lint("--level", "namespace", root)
    assert "declared more than once" not in same.stderr
    assert _outcomes(same.findings) == [("Pod", "rejected", "error")]


# 3. Malformed admission configurations: the API server refuses them.
@pytest.mark.parametrize(
    ("body", "where", "why"),
    [
        (
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\n"
            "plugins: {name: PodSecurity}\n",
            "3:10",
            "plugins: expected a list",
        ),
        (
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\n"
            "plugins:\n- PodSecurity\n",
            "4:3",
            "plugins[0]: expected a mapping",
        ),
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\n"
            "kind: PodSecurityConfiguration\ndefaults: [a]\n",
            "3:11",
            "defaults: expected a mapping",
        ),
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\n"
            "kind: PodSecurityConfiguration\nexemptions: {namespaces: {a: b}}\n",
            "3:26",
            "exemptions.namespaces: expected a list",
        ),
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\n"
            "kind: PodSecurityConfiguration\nexemptions: [kube-system]\n",
            "3:13",
            "exemptions: expected a mapping",
        ),
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\n"
            "kind: PodSecurityConfiguration\nexemptions:\n  runtimeClasses: [kata, [x]]\n",
            "4:26",
            "exemptions.runtimeClasses[1]: expected a string",
        ),
        (
            "apiVersion: pod-security.admission.config.k8s.io/v1\n"
            "kind: PodSecurityConfiguration\ndefaults:\n  enforce: [restricted]\n",
            "4:12",
            "defaults.enforce: must be privileged, baseline or restricted",
        ),
        (
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n"
            "- name: PodSecurity\n  configuration: [a]\n",
            "5:18",
            "configuration: expected a mapping",
        ),
    ],
)
def test_a_malformed_admission_config_is_a_usage_error(
    lint, tmp_path: Path, body: str, where: str, why: str
) -> None:
    config = tmp_path / "admission.yaml"
    config.write_text(body)
    pod = tmp_path / "pod.yaml"
    pod.write_text(BARE_POD.format(name="p", ns="default", extra=""))
    result = lint("--level", "namespace", "--admission-config", config, pod)
    assert result.code == 2, result.stderr
    assert f"{config}:{where}: {why}" in result.stderr
    assert "Traceback" not in result.stderr


# 4. The invalid label's help: what it is evaluated as now, and a value that keeps the intent.
@pytest.mark.parametrize(
    ("key", "value", "help"),
    [
        (
            "enforce",
            "Restricted",
            "evaluated as restricted (an invalid enforce level fails closed); "
            "write one of privileged, baseline, restricted",
        ),
        (
            "warn",
            "bogus",
            "evaluated as privileged (an invalid warn level fails open); "
            "write one of privileged, baseline, restricted",
        ),
        ("enforce-version", '"1.30"', "evaluated as latest; write v1.30"),
        ("audit-version", "v1.30.1", "evaluated as latest; write v1.30"),
        ("warn-version", "newest", 'evaluated as latest; write "latest" or "v1.<minor>"'),
    ],
)
def test_invalid_label_help_says_what_it_means_now(
    lint, tmp_path: Path, key: str, value: str, help: str
) -> None:
    path = tmp_path / "ns.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n"
        f"    pod-security.kubernetes.io/{key}: {value}\n"
    )
    _, out, _ = lint("--level", "namespace", path, fmt="text").output
    assert [x.strip() for x in out.splitlines() if x.startswith("  help: ")] == [f"help: {help}"]


# 5. PodTemplate: warn and audit judge it; enforce does not, and nothing makes pods from it.
POD_TEMPLATE = (
    "apiVersion: v1\nkind: PodTemplate\nmetadata: {{name: tpl, namespace: {ns}}}\n"
    "template:\n  spec:\n    containers:\n    - name: app\n      image: nginx\n"
)


def test_a_pod_template_is_not_rejected_nor_are_its_pods(lint, tmp_path: Path) -> None:
    path = tmp_path / "tpl.yaml"
    docs = [
        _ns("shop", enforce="restricted"),  # warn follows enforce
        _ns("quiet", enforce="restricted", warn="privileged"),
        _ns("observed", audit="restricted"),
        *(POD_TEMPLATE.format(ns=n) for n in ("shop", "quiet", "observed")),
    ]
    path.write_text("---\n".join(docs))
    result = lint("--level", "namespace", path)
    judged = {
        f["admission"]["namespace"]: (f["severity"], f["admission"]["outcome"], f["message"])
        for f in result.findings
    }
    assert {ns: v[:2] for ns, v in judged.items()} == {
        "shop": ("warning", "warned"),
        "quiet": ("warning", "admitted"),
        "observed": ("warning", "audited"),
    }
    assert judged["shop"][2].endswith(
        'admitted with a warning (namespace "shop" warns at restricted:latest); '
        'a Pod made from it would be rejected (namespace "shop" enforces restricted:latest)'
    )
    assert judged["quiet"][2].endswith(
        'admitted; a Pod made from it would be rejected (namespace "quiet" enforces '
        "restricted:latest)"
    )
    assert "will be rejected" not in result.stdout
    jsonschema.Draft202012Validator(OUTPUT_SCHEMA).validate(result.report)
    quiet = next(n for n in result.report["summary"]["namespaces"] if n["name"] == "quiet")
    assert (quiet["admitted"], quiet["pods_rejected"], quiet["rejected"]) == (1, 0, 0)
    # Nothing the API server rejects: --fail-level error passes.
    assert lint("--level", "namespace", "--fail-level", "error", path).code == 0


# 6. Some files of a repository (pre-commit's changed ones): its other Namespaces are read.
def _repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "apps").mkdir(parents=True)
    (root / ".git").mkdir()  # the work tree's root, as git_root finds it
    (root / "ns.yaml").write_text(_ns("shop", enforce="restricted") + "---\n" + _ns("unused"))
    (root / "apps" / "pod.yaml").write_text(BARE_POD.format(name="solo", ns="shop", extra=""))
    (root / "apps" / "other.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    return root


def test_changed_files_are_judged_in_the_namespaces_the_repository_declares(
    lint, tmp_path: Path
) -> None:
    root = _repository(tmp_path)
    pod = root / "apps" / "pod.yaml"
    alone = lint("--level", "namespace", pod)
    walked = lint("--level", "namespace", root)
    assert _outcomes(alone.findings) == _outcomes(walked.findings) == [("Pod", "rejected", "error")]
    assert alone.code == walked.code == 1
    # The summary names the repository's namespaces a pod template of the run is in, not all.
    assert [n["name"] for n in alone.report["summary"]["namespaces"]] == ["shop"]
    assert alone.report["summary"]["namespaces"][0]["declared"] is True
    # --fix of the changed file alone fixes what admission would reject.
    fixed = lint("--level", "namespace", "--fix", pod)
    assert "RuntimeDefault" in pod.read_text() and fixed.findings == []


def test_an_input_redeclaring_a_repository_namespace_is_the_later_one(lint, tmp_path: Path) -> None:
    root = _repository(tmp_path)
    pod = root / "apps" / "pod.yaml"
    mine = root / "apps" / "ns.yaml"
    mine.write_text(_ns("shop", enforce="baseline"))
    result = lint("--level", "namespace", mine, pod)
    assert result.findings == []  # baseline: no profile is fine
    assert f"the last, {mine}:1:1, is judged" in result.stderr
    # A file inside a chart is the chart's (rendered), never read for context.
    mine.unlink()
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "ns.yaml").write_text(_ns("shop", enforce="privileged"))
    assert _outcomes(lint("--level", "namespace", pod).findings) == [("Pod", "rejected", "error")]


def test_a_repository_namespace_in_json_or_a_list_is_read(lint, tmp_path: Path) -> None:
    root = _repository(tmp_path)
    (root / "ns.yaml").unlink()
    pod = root / "apps" / "pod.yaml"
    assert lint("--level", "namespace", pod).findings == []  # no Namespace: the defaults
    (root / "ns.json").write_text(
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": '
        '{"pod-security.kubernetes.io/enforce": "restricted"}}}'
    )
    assert _outcomes(lint("--level", "namespace", pod).findings) == [("Pod", "rejected", "error")]
    (root / "ns.json").unlink()
    (root / "dump.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n"
        "  metadata:\n    name: shop\n    labels: {pod-security.kubernetes.io/audit: restricted}\n"
    )
    assert _outcomes(lint("--level", "namespace", pod).findings) == [("Pod", "audited", "warning")]


def test_a_kustomization_namespace_is_left_to_its_build(lint, tmp_path: Path) -> None:
    """A file a kustomization reads is judged through the build (its transformers may change the
    labels), never read raw for context; a folder reached through a link is read once."""
    root = _repository(tmp_path)
    base = root / "base"
    base.mkdir()
    (base / "ns.yaml").write_text(_ns("shop", enforce="privileged"))
    (base / "kustomization.yaml").write_text("resources: [ns.yaml]\n")
    pod = root / "apps" / "pod.yaml"
    assert _outcomes(lint("--level", "namespace", pod).findings) == [("Pod", "rejected", "error")]
    (root / "linked").symlink_to(root / "apps")
    result = lint("--level", "namespace", pod)
    assert _outcomes(result.findings) == [("Pod", "rejected", "error")]
    assert "declared more than once" not in result.stderr


def test_an_excluded_repository_namespace_is_not_read(lint, tmp_path: Path) -> None:
    root = _repository(tmp_path)
    pod = root / "apps" / "pod.yaml"
    config = root / ".seccomp-lint.yaml"
    config.write_text("level: namespace\nexclude: [ns.yaml]\n")
    assert lint("--config", config, pod).findings == []  # shop at the defaults
    config.write_text("level: namespace\n")
    assert _outcomes(lint("--config", config, pod).findings) == [("Pod", "rejected", "error")]
