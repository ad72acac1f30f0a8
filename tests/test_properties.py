"""Property-based tests: random pod templates, written in random YAML styles, judged by a small
reference model, in this file, of Pod Security Admission's seccomp check and of when each rule
fires (each rule's "What it does" in docs/rules.md).

The model knows nothing of the linter's code: it works on the plain data the generator built, and
the YAML text is rendered here too (block or flow, 2 or 4 spaces, indentless sequences, quoting,
comments, CRLF). ``HYPOTHESIS_MAX_EXAMPLES`` sets the examples per property (default 500: six properties, 3,000 examples in CI).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace

import pytest
import yaml
from conftest import REPO
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from seccomp_lint.edit import diffs
from seccomp_lint.fix import fixes
from seccomp_lint.lint.linter import lint_bytes
from seccomp_lint.model.data import Options

MAX_EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "500"))
PROPERTY = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KUBE = [(1, 24), (1, 26), (1, 30)]
LEVELS = ["restricted", "baseline"]
POD_ANN = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANN = "container.seccomp.security.alpha.kubernetes.io/"

# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Profile:
    """What a seccomp setting means: a valid (type, profile), or invalid (type None)."""

    type: str | None
    profile: str | None = None

    @property
    def valid(self) -> bool:
        return self.type is not None


INVALID = Profile(None)
# name -> (the seccompProfile value, what the API server makes of it). None: an explicit null.
FIELDS: dict[str, tuple[object, Profile | None]] = {
    "null": (None, None),
    "runtime-default": ({"type": "RuntimeDefault"}, Profile("RuntimeDefault")),
    "localhost": (
        {"type": "Localhost", "localhostProfile": "profiles/audit.json"},
        Profile("Localhost", "profiles/audit.json"),
    ),
    "localhost-other": (
        {"type": "Localhost", "localhostProfile": "other.json"},
        Profile("Localhost", "other.json"),
    ),
    "unconfined": ({"type": "Unconfined"}, Profile("Unconfined")),
    "localhost-without-profile": ({"type": "Localhost"}, INVALID),
    "localhost-absolute": ({"type": "Localhost", "localhostProfile": "/var/lib/p.json"}, INVALID),
    "localhost-dotdot": ({"type": "Localhost", "localhostProfile": "a/../b.json"}, INVALID),
    "profile-with-other-type": ({"type": "RuntimeDefault", "localhostProfile": "p.json"}, INVALID),
    "mis-cased": ({"type": "runtimedefault"}, INVALID),
    "mis-cased-unconfined": ({"type": "UNCONFINED"}, INVALID),
    "bare-string": ("RuntimeDefault", INVALID),
    "empty": ({}, INVALID),
    "type-null": ({"type": None}, INVALID),
    "unknown-field": ({"type": "RuntimeDefault", "profileName": "x"}, INVALID),
}
ANNOTATIONS: dict[str, Profile] = {
    "runtime/default": Profile("RuntimeDefault"),
    "docker/default": Profile("RuntimeDefault"),
    "unconfined": Profile("Unconfined"),
    "localhost/profiles/audit.json": Profile("Localhost", "profiles/audit.json"),
    "localhost/other.json": Profile("Localhost", "other.json"),
    "localhost/": INVALID,
    "localhost//abs.json": INVALID,
    "localhost/../x.json": INVALID,
    "RuntimeDefault": INVALID,
    "": INVALID,
}
TRUE = ["true", "True", "yes", "on", "TRUE"]
FALSE = ["false", "no", "off", '"true"']  # a quoted "true" is a string, not a boolean


class Raw(str):
    """A scalar written exactly as given (booleans spelled the YAML 1.1 way)."""


@dataclass
class Container:
    name: str
    group: str
    setting: str | None  # a FIELDS key, or None for no seccompProfile key at all
    privileged: str | None = None  # a TRUE/FALSE spelling, or None for no key
    context_extra: bool = False  # securityContext holds other keys too


@dataclass
class Pod:
    kind: str  # Pod | Deployment
    name: str
    os: str | None  # spec.os.name
    setting: str | None
    containers: list[Container]
    annotations: dict[str, str] = field(default_factory=dict)  # on the pod template
    misplaced: dict[str, str] = field(default_factory=dict)  # on the Deployment's own metadata

    def data(self) -> dict:
        """The object as plain data, in the order it is written."""
        spec: dict = {}
        if self.os is not None:
            spec["os"] = {"name": self.os}
        if self.setting is not None:
            spec["securityContext"] = {
                "runAsNonRoot": True,
                "seccompProfile": FIELDS[self.setting][0],
            }
        for group in ("initContainers", "containers", "ephemeralContainers"):
            members = [c for c in self.containers if c.group == group]
            if members or group == "containers":
                spec[group] = [_container(c) for c in members]
        meta: dict = {"name": self.name}
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        if self.kind == "Pod":
            return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        own: dict = {"name": self.name}
        if self.misplaced:
            own["annotations"] = dict(self.misplaced)
        template = {
            "metadata": meta if self.annotations else {"labels": {"app": self.name}},
            "spec": spec,
        }
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": own,
            "spec": {"replicas": 2, "template": template},
        }


def _container(c: Container) -> dict:
    out: dict = {"name": c.name, "image": "registry.example.com/app:1.0"}
    sc: dict = {}
    if c.context_extra:
        sc["readOnlyRootFilesystem"] = True
    if c.privileged is not None:
        sc["privileged"] = Raw(c.privileged)
    if c.setting is not None:
        sc["seccompProfile"] = FIELDS[c.setting][0]
    if sc:
        out["securityContext"] = sc
    return out


# --------------------------------------------------------------------------- the reference model


def field_profile(name: str | None) -> Profile | None:
    return None if name is None else FIELDS[name][1]


def expected(pod: Pod, options: Options) -> Counter:
    """(rule, scope) -> count: Pod Security Admission's seccomp semantics (a container's own
    profile, else the pod's; legacy annotations only before 1.27; Windows pods exempt from
    restricted and barred from seccomp since 1.25/1.24) and each rule's trigger.

    ``scope`` is a container name, ``"pod"``, or for a missing profile the frozenset of the
    containers without one.
    """
    out: Counter = Counter()
    old_annotations = options.kube_version < (1, 27)  # the annotations still set the profile
    windows = pod.os == "windows" and options.kube_version >= (1, 25)  # exempt from restricted
    os_validated = pod.os == "windows" and options.kube_version >= (1, 24)  # no seccomp allowed
    names = {c.name for c in pod.containers}
    pod_field = field_profile(pod.setting)
    ann = {k: ANNOTATIONS[v] for k, v in pod.annotations.items()}
    pod_ann = ann.get(POD_ANN)
    by_container = {
        k[len(CONTAINER_ANN) :]: v for k, v in ann.items() if k.startswith(CONTAINER_ANN)
    }
    baseline_rules = options.level in ("baseline", "restricted")

    # Every place that sets a profile: (scope, origin, Profile).
    fields = [("pod", pod_field)] + [(c.name, field_profile(c.setting)) for c in pod.containers]
    fields = [(s, p) for s, p in fields if p is not None]
    annotations = ([("pod", pod_ann)] if pod_ann else []) + list(by_container.items())

    if baseline_rules:
        for key in pod.annotations:
            scope = "pod" if key == POD_ANN else key[len(CONTAINER_ANN) :]
            out["deprecated-seccomp-annotation", scope] += 1
        for _ in pod.misplaced:
            out["misplaced-seccomp-annotation", "pod"] += 1
        for c in pod.containers:
            if c.privileged in TRUE:
                out["privileged-container-seccomp", c.name] += 1
        pairs = [("pod", pod_ann, pod_field)] + [
            (c.name, by_container.get(c.name), field_profile(c.setting)) for c in pod.containers
        ]
        for scope, a, f in pairs:
            if (
                a
                and f
                and a.valid
                and f.valid
                and (a.type, a.profile if a.type == "Localhost" else None)
                != (f.type, f.profile if f.type == "Localhost" else None)
            ):
                out["seccomp-annotation-mismatch", scope] += 1
        if os_validated:
            for scope, _ in fields + annotations:
                out["seccomp-on-windows-pod", scope] += 1
        if not windows:
            for scope, p in fields + annotations:
                if not p.valid:
                    out["invalid-seccomp-profile", scope] += 1
            effective = fields + (annotations if old_annotations else [])
            for scope, p in effective:
                if p.type == "Unconfined":
                    out["unconfined-seccomp-profile", scope] += 1

    # --require-runtime-default (CIS 5.7.2) brings missing-seccomp-profile to any level.
    if (options.level == "restricted" or options.require_runtime_default) and not windows:
        pod_setting = pod_field or (pod_ann if old_annotations else None)
        bare = []
        for c in pod.containers:
            own = field_profile(c.setting)
            if own is None and old_annotations:
                own = by_container.get(c.name)
            if own is None and pod_setting is None:
                bare.append(c.name)
            elif options.require_runtime_default and own and own.type == "Localhost":
                out["missing-seccomp-profile:rrd", c.name] += 1
        if options.require_runtime_default and pod_setting and pod_setting.type == "Localhost":
            out["missing-seccomp-profile:rrd", "pod"] += 1
        if bare:
            out["missing-seccomp-profile", frozenset(bare)] += 1
    del names
    return out


def admission_allows(pod: Pod, level: str) -> bool:
    """Pod Security Admission's seccomp check (policy version >= 1.27: fields only, no annotations).

    Independent of the finding model above: used as a cross-check of the verdict.
    """
    allowed = {"RuntimeDefault", "Localhost"}
    pod_type = FIELDS[pod.setting][0] if pod.setting else None
    pod_type = pod_type.get("type") if isinstance(pod_type, dict) else ("?" if pod_type else None)
    if level == "baseline":
        types = [pod_type] + [
            (FIELDS[c.setting][0] or {}).get("type")
            if isinstance(FIELDS[c.setting][0], dict)
            else "?"
            for c in pod.containers
            if c.setting
        ]
        return "Unconfined" not in types
    if pod.os == "windows":
        return True
    if pod_type is not None and pod_type not in allowed:
        return False
    for c in pod.containers:
        value = FIELDS[c.setting][0] if c.setting else None
        own = value.get("type") if isinstance(value, dict) else ("?" if value else None)
        if own is None:
            if pod_type is None:
                return False
        elif own not in allowed:
            return False
    return True


# --------------------------------------------------------------------------- the linter's verdicts

_NAMES = re.compile(r'"([^"]+)"')


def actual(data: bytes, options: Options, document: int = 0) -> Counter:
    out: Counter = Counter()
    for f in lint_bytes(data, "p.yaml", options).findings:
        assert f.rule != "yaml-syntax-error", (f.message, data.decode())
        if f.object is not None and f.object.document != document:
            continue
        if f.rule == "missing-seccomp-profile":
            if "--require-runtime-default" in f.message:
                out["missing-seccomp-profile:rrd", f.container or "pod"] += 1
            else:
                listed = f.text.split(" runs without")[0].split(" run without")[0]
                names = frozenset(_NAMES.findall(listed.split(": ", 1)[1]))
                assert f.container in (None, *names)
                out[f.rule, names] += 1
        else:
            out[f.rule, f.container or "pod"] += 1
    return out


# --------------------------------------------------------------------------- rendering YAML


@dataclass(frozen=True)
class Style:
    indent: int  # 2 or 4
    indentless: bool  # sequence items at the key's own indentation
    flow_depth: int  # mappings this deep and deeper are written in flow style (99: never)
    quote: str  # "", "'" or '"' for string scalars that allow it
    null: str  # "null", "~" or ""
    comments: list  # booleans, consumed line by line: add a trailing comment
    newline: str  # "\n" or "\r\n"
    header: str  # text before the document: "", "---\n", a comment, a ConfigMap document


_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9._/-]*\Z")
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(value: object, style: Style) -> str:
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return style.null
    if value is True:
        return "true"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    plain_ok = _PLAIN.match(text) and text.lower() not in _SPECIAL
    if style.quote == '"' or not plain_ok:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style.quote == "'":
        return "'" + text + "'"
    return text


def _flow(value: object, style: Style) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k, style)}: {_flow(v, style)}".rstrip() for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, style) for v in value) + "]"
    out = _scalar(value, style)
    return out if out else "null"  # an empty scalar cannot end a flow entry in every position


def _key(key: str, style: Style) -> str:
    return key if _PLAIN.match(key) or "." in key else _scalar(key, style)


def _block(value: object, level: int, col: int, style: Style, out: list[str]) -> None:
    """Append the lines of a mapping or sequence whose entries start at column ``col``."""
    pad = " " * col
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_key(key, style)}:"
            if isinstance(item, dict) and item and level + 1 < style.flow_depth:
                out.append(head)
                _block(item, level + 1, col + style.indent, style, out)
            elif isinstance(item, list) and item:
                out.append(head)
                _block(item, level + 1, col + (0 if style.indentless else style.indent), style, out)
            elif isinstance(item, (dict, list)):
                out.append(f"{head} {_flow(item, style)}")
            else:
                out.append(f"{head} {_scalar(item, style)}".rstrip())
    else:
        for item in value:
            if isinstance(item, dict) and item and level + 1 < style.flow_depth:
                sub: list[str] = []
                _block(item, level + 1, col + 2, style, sub)
                out.append(f"{pad}- " + sub[0][col + 2 :])
                out.extend(sub[1:])
            else:
                out.append(
                    f"{pad}- {_flow(item, style) if isinstance(item, (dict, list)) else _scalar(item, style)}"
                )


def render(pod: Pod, style: Style) -> bytes:
    lines: list[str] = []
    _block(pod.data(), 0, 0, style, lines)
    comments = iter(style.comments)
    body = []
    for line in lines:
        if next(comments, False):
            # Comments that look like settings must change nothing.
            line += "  # seccompProfile: {type: Unconfined} privileged: true"
        body.append(line)
        if next(comments, False):
            body.append(
                " " * (len(line) - len(line.lstrip())) + "# containers: [] --- not a document"
            )
    text = style.header + "\n".join(body) + "\n"
    return text.replace("\n", style.newline).encode("utf-8")


# --------------------------------------------------------------------------- strategies

NAMES = st.sampled_from(
    ["app", "web", "sidecar", "proxy", "db", "worker", "init", "debug", "a.b", "x-1"]
)
SETTINGS = st.one_of(st.none(), st.sampled_from(sorted(FIELDS)))


@st.composite
def pods(draw) -> Pod:
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    groups = ["containers"] + [
        draw(st.sampled_from(["containers", "initContainers", "ephemeralContainers"]))
        for _ in names[1:]
    ]
    containers = [
        Container(
            name=name,
            group=group,
            setting=draw(SETTINGS),
            privileged=draw(st.one_of(st.none(), st.sampled_from(TRUE + FALSE))),
            context_extra=draw(st.booleans()),
        )
        for name, group in zip(names, groups)
    ]
    annotations: dict[str, str] = {}
    if draw(st.booleans()):
        if draw(st.booleans()):
            annotations[POD_ANN] = draw(st.sampled_from(sorted(ANNOTATIONS)))
        for name in draw(st.lists(st.sampled_from(names + ["ghost"]), max_size=3, unique=True)):
            annotations[CONTAINER_ANN + name] = draw(st.sampled_from(sorted(ANNOTATIONS)))
    kind = draw(st.sampled_from(["Pod", "Deployment"]))
    misplaced = {}
    if kind == "Deployment" and draw(st.integers(0, 4)) == 0:
        misplaced = {POD_ANN: draw(st.sampled_from(["runtime/default", "unconfined"]))}
    return Pod(
        kind=kind,
        name=draw(st.sampled_from(["web", "api", "job-1"])),
        os=draw(st.sampled_from([None, None, "linux", "windows", "Windows"])),
        setting=draw(SETTINGS),
        containers=containers,
        annotations=annotations,
        misplaced=misplaced,
    )


@st.composite
def styles(draw) -> Style:
    return Style(
        indent=draw(st.sampled_from([2, 4])),
        indentless=draw(st.booleans()),
        flow_depth=draw(st.sampled_from([99, 99, 6, 5, 4, 3])),
        quote=draw(st.sampled_from(["", "", "'", '"'])),
        null=draw(st.sampled_from(["null", "~", ""])),
        comments=draw(st.lists(st.booleans(), max_size=60)),
        newline=draw(st.sampled_from(["\n", "\n", "\r\n"])),
        header=draw(
            st.sampled_from(
                [
                    "",
                    "---\n",
                    "# a manifest\n",
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
                    "data: {containers: none}\n---\n",
                ]
            )
        ),
    )


def _document(style: Style) -> int:
    return 1 if "ConfigMap" in style.header else 0


# --------------------------------------------------------------------------- properties


def test_renderer_writes_the_data_it_was_given():
    """The generator's own check: the rendered text parses back to the pod's data."""

    @PROPERTY
    @given(pods(), styles())
    def check(pod: Pod, style: Style) -> None:
        docs = list(yaml.safe_load_all(render(pod, style).decode()))
        assert _plain(docs[_document(style)]) == _plain(pod.data())

    check()


def _plain(value: object) -> object:
    if isinstance(value, Raw):
        return yaml.safe_load(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@PROPERTY
@given(pods(), styles(), st.booleans())
def test_verdicts_match_the_reference_model(pod: Pod, style: Style, rrd: bool):
    data = render(pod, style)
    for kube in KUBE:
        for level in LEVELS:
            options = Options(level=level, kube_version=kube, require_runtime_default=rrd)
            want = expected(pod, options)
            got = actual(data, options, _document(style))
            assert got == want, f"{level} {kube}:\n{data.decode()}"
    event(f"findings at 1.30 restricted: {min(sum(want.values()), 3)}+")


@PROPERTY
@given(pods(), styles())
def test_verdict_agrees_with_pod_security_admission(pod: Pod, style: Style):
    """A pod the admission check rejects always has a finding; one it admits has none of the
    rules that stand for that check (fields only: Kubernetes >= 1.27, no annotations)."""
    pod = replace(pod, annotations={})
    data = render(pod, style)
    for level in LEVELS:
        options = Options(level=level, kube_version=(1, 30))
        rules = {rule for rule, _ in actual(data, options, _document(style))}
        checks = {
            "missing-seccomp-profile",
            "unconfined-seccomp-profile",
            "invalid-seccomp-profile",
            "seccomp-on-windows-pod",
        }  # a Windows pod's Unconfined is reported as this
        if level == "baseline":
            checks.discard("missing-seccomp-profile")
            checks.discard("invalid-seccomp-profile")  # baseline admission ignores the shape
        flagged = bool(rules & checks)
        allowed = admission_allows(pod, level)
        if not allowed:
            assert flagged, (
                f"admission rejects it at {level}, the linter is silent:\n{data.decode()}"
            )
        elif flagged:
            # Admitted yet flagged: only for shapes the API server itself rejects.
            assert rules & {"invalid-seccomp-profile", "seccomp-on-windows-pod"}, (
                f"{level}: {rules}\n{data.decode()}"
            )


@PROPERTY
@given(pods(), styles(), styles())
def test_style_never_changes_the_verdict(pod: Pod, one: Style, other: Style):
    a = actual(render(pod, one), Options(kube_version=(1, 26)), _document(one))
    b = actual(render(pod, other), Options(kube_version=(1, 26)), _document(other))
    assert a == b


# --------------------------------------------------------------------------- --fix

SECCOMP_KEYS = ("seccompProfile",)


def _without_seccomp(value: object) -> object:
    """The data with every seccomp setting removed, and containers left empty by that too."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in SECCOMP_KEYS or (isinstance(key, str) and "seccomp.security.alpha" in key):
                continue
            item = _without_seccomp(item)
            if key in ("securityContext", "annotations", "metadata") and item in ({}, None):
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [_without_seccomp(v) for v in value]
    return value


def _load(data: bytes) -> list:
    return list(yaml.load_all(data.decode("utf-8"), Loader=yaml.SafeLoader))


@PROPERTY
@given(pods(), styles(), st.sampled_from(KUBE), st.booleans())
def test_fix_changes_only_seccomp_settings_and_is_idempotent(pod: Pod, style: Style, kube, unsafe):
    data = render(pod, style)
    options = Options(kube_version=kube)
    result = fixes.fix_bytes(data, "p.yaml", options, unsafe)
    event(f"changed: {result.changed}")
    if not result.changed:
        return
    before, after = _load(data), _load(result.fixed)
    assert len(before) == len(after)
    assert _without_seccomp(before) == _without_seccomp(after), result.fixed.decode()
    # Bytes outside the edits stay: line endings and comments are the file's own.
    text = result.fixed.decode()
    if style.newline == "\r\n":
        assert text.count("\n") == text.count("\r\n"), "line endings changed"
    assert text.startswith(style.header.replace("\n", style.newline))
    again = fixes.fix_bytes(result.fixed, "p.yaml", options, unsafe)
    assert not again.changed, "a second --fix changed the file again:\n" + text


@PROPERTY
@given(pods(), styles(), st.sampled_from(KUBE))
def test_fix_resolves_what_it_fixed(pod: Pod, style: Style, kube):
    data = render(pod, style)
    options = Options(kube_version=kube)
    for unsafe in (False, True):
        result = fixes.fix_bytes(data, "p.yaml", options, unsafe)
        remaining = lint_bytes(result.fixed, "p.yaml", options).findings
        for f in remaining:
            assert f.rule != "yaml-syntax-error"
            fix = f.fix
            applicable = fix is not None and fix.edits and (unsafe or fix.applicability == "safe")
            if applicable:
                # A fix the engine offers either lands or the finding says why it did not.
                explained = next(
                    (
                        g
                        for g in result.findings
                        if (g.rule, g.container, g.message) == (f.rule, f.container, f.message)
                    ),
                    None,
                )
                assert explained is not None and "fix not applied" in (explained.help or ""), (
                    f"{f.rule} ({f.container}) still there after --fix{' --unsafe-fixes' if unsafe else ''}:\n"
                    + result.fixed.decode()
                )
        rules = {f.rule for f in remaining}
        if pod.os != "windows":  # no fix adds a profile to a Windows pod, exempt or not
            assert "missing-seccomp-profile" not in rules or any(
                "fix not applied" in (g.help or "") for g in result.findings
            ), result.fixed.decode()
        if unsafe:
            assert "unconfined-seccomp-profile" not in rules or any(
                "fix not applied" in (g.help or "") for g in result.findings
            ), result.fixed.decode()


def _project_manifests() -> list:
    root = REPO
    files = sorted((root / "tests" / "fixtures").rglob("*.yaml")) + sorted(
        (root / "examples").rglob("*.yaml")
    )
    return [
        pytest.param(p, id=str(p.relative_to(root)))
        for p in files
        if b"ontainers" in p.read_bytes()
    ]


@pytest.mark.parametrize("path", _project_manifests())
def test_fix_is_idempotent_on_the_project_manifests(path):
    data = path.read_bytes()
    for kube in KUBE:
        for unsafe in (False, True):
            options = Options(kube_version=kube)
            result = fixes.fix_bytes(data, path.name, options, unsafe)
            if not result.changed:
                continue
            assert _without_seccomp(_load(data)) == _without_seccomp(_load(result.fixed))
            again = fixes.fix_bytes(result.fixed, path.name, options, unsafe)
            assert not again.changed, (
                f"--kube-version {kube[0]}.{kube[1]}{' --unsafe-fixes' if unsafe else ''}: a second "
                "--fix changes the file again:\n"
                + diffs.unified_diff(path.name, result.fixed, again.fixed)
            )
