"""``--level namespace``: the API server's PodSecurity configuration read, and a run's findings
judged at their namespaces' policies once every ``Namespace`` of the inputs is known.

The linter records what it cannot decide alone (a finding's :class:`~..model.psa.Admission`
facts, the ``Namespace`` objects of each input); :func:`judge_run` resolves each namespace's
labels (:func:`~..model.admission.policy_to_evaluate`) against the configuration's defaults,
drops what no mode requires (and what is exempt), makes enforce violations errors and warn or
audit ones warnings, and says in each message what admission does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model.admission import (
    BindingDecl,
    Declared,
    Exemptions,
    NamespaceDecl,
    NamespaceSummary,
    PodSecurityConfig,
    binding,
    describe,
    evaluate,
    exemption,
    has_profile,
    parse_level,
    parse_version,
    policy_to_evaluate,
    rejects,
)
from ..model.data import Finding, Level, Options, Severity
from ..model.psa import Admission, AdmissionOutcome, LevelVersion, PsaMode, PsaPolicy
from ..output.github import neutral, on_github
from ..output.report import escape
from ..text.documents import BOOL, Document, ParseError, is_null, is_true, parse_stream, text
from .config import ConfigError
from .linter import FileResult

# The versions of the two configuration kinds the API server reads.
ADMISSION_APIS = ("apiserver.config.k8s.io/v1", "apiserver.k8s.io/v1alpha1")
PSA_APIS = tuple(f"pod-security.admission.config.k8s.io/{v}" for v in ("v1", "v1beta1", "v1alpha1"))


def configured(path: str | None, level: str) -> PodSecurityConfig | None:
    """``--admission-config``, read (only with ``--level namespace``); exempt usernames are
    said once: who sends a request is not in the files."""
    if path is None:
        return None
    if level != Level.NAMESPACE:
        raise ConfigError("--admission-config needs --level namespace")
    loaded = load_config(path)
    if loaded.exemptions.usernames:
        users = escape(", ".join(loaded.exemptions.usernames))
        said = (
            f"seccomp-lint: {escape(path)}: exemptions.usernames ({users}) cannot be judged from "
            "files: every request is judged as one from a user who is not exempt"
        )
        print(neutral(said) if on_github() else said, file=sys.stderr)
    return loaded


def seccomp_default(path: str | None) -> bool:
    """``--kubelet-config``: whether the ``KubeletConfiguration`` sets ``seccompDefault: true``
    (the kubelet then runs a container that sets no profile as RuntimeDefault)."""
    if path is None:
        return False
    doc = _read(path)
    if text(doc.get(doc.root, "kind")) != "KubeletConfiguration":
        raise _error(path, doc, doc.root, "expected kind KubeletConfiguration")
    value = doc.get(doc.root, "seccompDefault")
    if value is not None and value.tag != BOOL:
        raise _error(path, doc, value, "seccompDefault: expected true or false")
    return is_true(value)


def load_config(path: str) -> PodSecurityConfig:
    """The PodSecurity configuration in an ``AdmissionConfiguration`` (inline, or by ``path``
    relative to the file) or a bare ``PodSecurityConfiguration``; ConfigError with the file,
    line and column when the API server would refuse it."""
    doc = _read(path)
    kind = text(doc.get(doc.root, "kind"))
    if kind == "PodSecurityConfiguration":
        return _psa_config(path, doc, doc.root)
    if kind != "AdmissionConfiguration":
        raise _error(
            path, doc, doc.root, "expected kind AdmissionConfiguration or PodSecurityConfiguration"
        )
    _api(path, doc, doc.root, ADMISSION_APIS)
    plugins = _typed(path, doc, doc.get(doc.root, "plugins"), "plugins", SequenceNode)
    for i, plugin in enumerate(plugins.value if plugins is not None else ()):
        _typed(path, doc, plugin, f"plugins[{i}]", MappingNode)
        if text(doc.get(plugin, "name")) != "PodSecurity":
            continue
        inline = _typed(path, doc, doc.get(plugin, "configuration"), "configuration", MappingNode)
        if inline is not None:
            return _psa_config(path, doc, inline)
        where = text(doc.get(plugin, "path"))
        if where is None:
            raise _error(
                path, doc, plugin, "the PodSecurity plugin has neither configuration nor path"
            )
        other = os.path.join(os.path.dirname(os.path.abspath(path)), where)
        if not os.path.isabs(where) and not os.path.exists(other):
            raise _error(path, doc, doc.get(plugin, "path") or plugin, f"{where}: no such file")
        inner = _read(other if not os.path.isabs(where) else where)
        return _psa_config(other, inner, inner.root)
    return PodSecurityConfig(path=path)  # no PodSecurity plugin configured: Kubernetes' defaults


def _read(path: str) -> Document:
    try:
        with open(path, "rb") as handle:
            docs = parse_stream(handle.read(), strict=True)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ParseError as exc:
        raise ConfigError(f"{path}: cannot parse: {exc}") from None
    if len(docs) != 1 or docs[0].mapping(docs[0].root) is None:
        raise ConfigError(f"{path}: expected one YAML mapping")
    return docs[0]


def _error(path: str, doc: Document, node: Node, why: str) -> ConfigError:
    line, column = doc.pos(node)
    return ConfigError(f"{path}:{line}:{column}: {why}")


def _typed(
    path: str, doc: Document, node: Node | None, where: str, kind: type[Node]
) -> Node | None:
    """``node`` when it is absent, null or of ``kind``; else the API server's decoding error, at
    it (a mapping where a list belongs is refused, never read as empty)."""
    if is_null(node) or isinstance(node, kind):
        return node if isinstance(node, kind) else None
    assert node is not None
    want = {MappingNode: "a mapping", SequenceNode: "a list", ScalarNode: "a string"}[kind]
    raise _error(path, doc, node, f"{where}: expected {want}")


def _api(path: str, doc: Document, node: Node, known: tuple[str, ...]) -> None:
    api = text(doc.get(node, "apiVersion"))
    if api not in known:
        where = doc.get(node, "apiVersion") or node
        raise _error(path, doc, where, f"apiVersion {api!r} is not one of {', '.join(known)}")


def _psa_config(path: str, doc: Document, node: Node) -> PodSecurityConfig:
    """A ``PodSecurityConfiguration``: defaults (unset: privileged, latest) and exemptions."""
    _api(path, doc, node, PSA_APIS)
    defaults = _typed(path, doc, doc.get(node, "defaults"), "defaults", MappingNode)
    modes = {}
    for mode in PsaMode:
        level_node = doc.get(defaults, mode.value)
        version_node = doc.get(defaults, f"{mode.value}-version")
        level = parse_level(text(level_node)) if level_node is not None else LevelVersion().level
        version = (
            parse_version(text(version_node))
            if version_node is not None
            else LevelVersion().version
        )
        if level is None:
            raise _error(
                path,
                doc,
                level_node or node,
                f"defaults.{mode.value}: must be privileged, baseline or restricted",
            )
        if version is None:
            raise _error(
                path,
                doc,
                version_node or node,
                f'defaults.{mode.value}-version: must be "latest" or "v1.x"',
            )
        modes[mode] = LevelVersion(level, version)
    exempt = _typed(path, doc, doc.get(node, "exemptions"), "exemptions", MappingNode)

    def names(key: str) -> tuple[str, ...]:
        found = _typed(path, doc, doc.get(exempt, key), f"exemptions.{key}", SequenceNode)
        items = found.value if found is not None else ()
        for i, item in enumerate(items):
            if not isinstance(item, ScalarNode) or text(item) is None:
                raise _error(path, doc, item, f"exemptions.{key}[{i}]: expected a string")
        return tuple(text(i) or "" for i in items)

    exemptions = Exemptions(
        frozenset(names("namespaces")), frozenset(names("runtimeClasses")), names("usernames")
    )
    policy = PsaPolicy(modes[PsaMode.ENFORCE], modes[PsaMode.WARN], modes[PsaMode.AUDIT])
    return PodSecurityConfig(policy, exemptions, path)


class Judge:
    """Pod Security Admission over a run: each namespace's policy (its labels over the
    configuration's defaults; the last declaration of a name wins, labels or none, as
    ``kubectl apply`` of them in order leaves it: :func:`~..model.admission.redeclared` says
    when they differ), its ProfileBindings, and a finding's verdict."""

    def __init__(self, declared: list[Declared], options: Options, config: PodSecurityConfig):
        self.config = config
        self.kube_minor = options.kube_version[1]
        self.summaries: dict[str, NamespaceSummary] = {}
        self.enabled: set[str] = set()  # namespaces enabled for profile binding
        self.bindings: dict[str, list[BindingDecl]] = {}
        self.named: set[str] = set()  # the namespaces of the pod templates judged
        # Declared only by the repository's other files: summarised when a pod template is there.
        self.context = {d.name for d in declared if isinstance(d, NamespaceDecl) and d.context}
        self.context -= {d.name for d in declared if isinstance(d, NamespaceDecl) and not d.context}
        for d in declared:
            if isinstance(d, BindingDecl):
                self.bindings.setdefault(d.namespace, []).append(d)
            if not isinstance(d, NamespaceDecl):
                continue
            policy = policy_to_evaluate(dict(d.labels), config.defaults)
            self.summaries[d.name] = NamespaceSummary(d.name, policy, True)
            (self.enabled.add if d.binding else self.enabled.discard)(d.name)

    def summary(self, name: str) -> NamespaceSummary:
        """The namespace's summary; one no input declares takes the defaults."""
        found = self.summaries.get(name)
        if found is None:
            found = self.summaries[name] = NamespaceSummary(name, self.config.defaults, False)
        return found

    def verdict(self, adm: Admission) -> Admission | None:
        """What admission does with ``adm``'s pod template; None: it is exempt."""
        self.named.add(adm.namespace)
        summary = self.summary(adm.namespace)
        if exemption(adm, self.config) is not None:
            summary.exempt = summary.exempt or adm.namespace in self.config.exemptions.namespaces
            return None
        bindings = self.bindings.get(adm.namespace, [])
        adm = binding(adm, bindings, adm.namespace in self.enabled)
        return evaluate(adm, summary.policy, self.kube_minor)


def judge_run(
    findings: list[Finding],
    declared: list[Declared],
    options: Options,
    config: PodSecurityConfig,
) -> tuple[list[Finding], list[NamespaceSummary]]:
    """The findings as admission judges them (what no mode requires dropped), and one summary
    per namespace they or the inputs name, with the pod templates of each outcome."""
    judge = Judge(declared, options, config)
    out: list[Finding] = []
    counted: set[tuple] = set()
    for f in findings:
        if f.profile_ref is not None and has_profile(declared, f.profile_ref):
            continue  # the operator installs it: judged where its SeccompProfile is linted
        judged = judge.verdict(f.admission) if f.admission is not None else None
        if judged is None or judged.outcome is None:
            if f.admission is None:
                out.append(f)
            continue
        obj = f.object
        pod = (f.path, obj.document if obj else None, obj.label if obj else None)
        if (pod, judged.outcome) not in counted:
            counted.add((pod, judged.outcome))
            judge.summary(judged.namespace).outcomes[judged.outcome] += 1
        if judged.outcome is AdmissionOutcome.BOUND:
            continue  # compliant through a binding: said in the summary
        out.append(
            replace(
                f,
                admission=judged,
                severity=Severity.ERROR if rejects(judged) else Severity.WARNING,
                message=f"{f.message}; {describe(judged)}",
            )
        )
    summaries = judge.summaries.values()
    return out, [s for s in summaries if s.name not in judge.context or s.name in judge.named]


def requirement(
    results: list[FileResult], options: Options, config: PodSecurityConfig
) -> Callable[[Finding], bool]:
    """Whether some mode of its namespace requires a finding (one of no Pod Security check
    always counts), with the Namespaces and ProfileBindings of ``results`` known: ``--fix``
    fixes only those."""
    judge = Judge([d for r in results for d in r.declared], options, config)

    def required(f: Finding) -> bool:
        if f.admission is None:
            return True
        judged = judge.verdict(f.admission)
        return judged is not None and judged.outcome not in (None, AdmissionOutcome.BOUND)

    return required
