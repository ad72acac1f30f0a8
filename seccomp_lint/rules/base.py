"""What rule modules share: the problem type, message helpers, and the pieces of their fixes.

A rule module states what :class:`Rule` lists (``ID``, ``TYPE``, ``LEVEL``, ``SEVERITY``,
``SECURITY_SEVERITY`` for SARIF, ``FIXES``, ``FIX_NOTE``) and the functions its ``TYPE`` names
(:class:`RuleType`); a rule with fixes also has ``FIX_ORDER`` and ``fix(c, pod, problem)``
returning an :class:`~seccomp_lint.edit.edits.Plan` that names one of its ``FIXES``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from enum import Flag, auto
from typing import Protocol, cast

from yaml.nodes import MappingNode, Node

from ..edit.edits import (
    RUNTIME_DEFAULT,
    Context,
    NoFix,
    Plan,
    context,
    ensure_field,
    explicit,
    flow,
    indent_step,
    remove,
    replace_scalar,
)
from ..model.admission import NamespaceObject
from ..model.data import (
    Applicability,
    Change,
    ChangeOp,
    Edit,
    Fix,
    FixSpec,
    Level,
    Options,
    Severity,
)
from ..model.profiles import Profile
from ..model.psa import PsaCheck
from ..model.seccomp import Setting, SettingOrigin, same_profile
from ..model.workloads import PodTemplate
from ..text.documents import Document
from ..text.prefilter import escaped
from ..text.suppressions import Suppression


class PersonDecides(Exception):
    """The rule has no automatic fix for this case: a person must decide (no fix is offered).

    Its counterpart :class:`~seccomp_lint.edit.edits.NoFix` means the fix exists but this text's
    shape (an anchor, a merge key, an unusual layout) keeps ``--fix`` from applying it: the
    finding then says so and why.
    """


@dataclass(frozen=True)
class Problem:
    """What a rule found: the node it is about, the message, and the suggested change.

    ``setting`` is the seccomp setting it is about; ``where`` names another setting (e.g.
    ``securityContext.privileged``) when there is no seccomp one. ``position`` (1-based, in the
    file) is given instead of a node for what the parser never made a node of (a comment, a
    syntax error).
    """

    node: Node | None
    message: str
    help: str | None = None
    container: str | None = None
    setting: Setting | None = None
    where: str | None = None
    position: tuple[int, int] | None = None
    containers: tuple[str, ...] = ()  # when it covers several containers (``container`` None)
    # The suppressions a problem is about (unused-suppression: what its fix removes).
    suppressions: tuple[Suppression, ...] = ()
    # The Pod Security check it fails, which --level namespace judges per namespace and mode.
    psa: PsaCheck | None = None
    # A SeccompProfile (namespace, name) the problem holds only if no input declares it.
    profile_ref: tuple[str | None, str] | None = None


class RuleType(Flag):
    """What a rule judges, and so which of its functions the linter calls (yamllint's ``TYPE``)."""

    POD = auto()  # check(pod, options): every pod template
    PROFILE = auto()  # check_profile(profile, options): every seccomp profile
    DOCUMENT = auto()  # check_document(doc), parse_problem(...): a document as such
    SUPPRESSION = auto()  # check_suppressions(found, known): the suppressions themselves
    NAMESPACE = auto()  # check_namespace(ns, options): every Namespace object


class Rule(Protocol):
    """What every rule module states: the registry is typed with it."""

    ID: str
    TYPE: RuleType
    LEVEL: Level | None
    SEVERITY: Severity
    SECURITY_SEVERITY: float  # GitHub code scanning's 0-10 score (SARIF security-severity)
    FIXES: tuple[FixSpec, ...]
    FIX_NOTE: str
    __doc__: str | None


class PodRule(Rule, Protocol):
    """A rule whose ``TYPE`` has ``POD``; ``NEEDLES``: words without one of which in a
    document's text ``check`` finds nothing there (empty: it may find something anywhere). A
    text with an escape sequence that could spell a word is always checked."""

    NEEDLES: tuple[bytes, ...]

    def check(self, pod: PodTemplate, options: Options) -> Iterator[Problem]: ...


class ProfileRule(Rule, Protocol):
    """A rule whose ``TYPE`` has ``PROFILE``."""

    def check_profile(self, profile: Profile, options: Options) -> Iterator[Problem]: ...


class DocumentRule(Rule, Protocol):
    """A rule whose ``TYPE`` has ``DOCUMENT``: the parser's problems and duplicate keys."""

    def parse_problem(self, line: int, column: int, message: str) -> Problem: ...

    def check_document(self, doc: Document) -> Iterator[Problem]: ...


class NamespaceRule(Rule, Protocol):
    """A rule whose ``TYPE`` has ``NAMESPACE``."""

    def check_namespace(self, ns: NamespaceObject, options: Options) -> Iterator[Problem]: ...


class SuppressionRule(Rule, Protocol):
    """A rule whose ``TYPE`` has ``SUPPRESSION``."""

    def check_suppressions(
        self, found: Iterable[Suppression], known: Collection[str]
    ) -> Iterator[Problem]: ...


class FixingRule(Rule, Protocol):
    """A rule with ``FIXES``: it plans them, and ``FIX_ORDER`` says when its fix applies among
    the fixes of one pod template (lowest first)."""

    FIX_ORDER: int

    def fix(self, c: Context, pod: PodTemplate, problem: Problem) -> Plan: ...


class SuppressionFixingRule(Rule, Protocol):
    """A rule with ``FIXES`` that acts on suppressions, not on a pod template (``pod`` None)."""

    FIX_ORDER: int

    def fix(self, c: Context, pod: PodTemplate | None, problem: Problem) -> Plan: ...


def containers_phrase(names: list[str]) -> str:
    """``container "a"`` or ``containers "a", "b"``."""
    quoted = ", ".join(f'"{n}"' for n in names)
    return f"container {quoted}" if len(names) == 1 else f"containers {quoted}"


# --------------------------------------------------------------------------- fix pieces


def spec_step(pod: PodTemplate) -> int:
    """The indentation step of the pod spec."""
    return indent_step(pod.spec, pod.spec_key)


def value_of(setting: Setting) -> dict:
    """A valid setting as the field's value."""
    if setting.type == "Localhost":
        return {"type": "Localhost", "localhostProfile": setting.profile}
    return {"type": setting.type}


def shown(value: dict) -> str:
    """A field value in flow style, for descriptions."""
    return flow(value, False)


def owner(
    pod: PodTemplate, name: str | None
) -> tuple[Node | None, Node | None, Setting | None, str]:
    """Where the field of the pod (None) or a container lives: mapping, key, setting, label."""
    if name is None:
        return pod.spec, pod.spec_key, pod.pod_field, f"{pod.path}.securityContext"
    for container in pod.containers:
        if container.name == name:
            label = f'the securityContext of container "{name}"'
            return container.node, None, container.field_setting, label
    raise PersonDecides(f"no container named {name!r}")


def type_node(setting: Setting) -> Node:
    """The value node of a field's ``type``."""
    if not isinstance(setting.value, MappingNode):
        raise PersonDecides("not a mapping")
    entry = explicit(setting.value, "type")
    if entry is None:
        raise PersonDecides("no type")
    return entry[1]


def set_type(c: Context, plan: Plan, setting: Setting, new: str) -> None:
    """Replace the text of a field's ``type`` (keeping its quoting)."""
    node = type_node(setting)
    plan.add(replace_scalar(c, node, new), [_set(c, node, new)])


def _set(c: Context, node: Node, value: str) -> Change:
    return Change(ChangeOp.SET, c.path(node), json.dumps(value))


def add_runtime_default(c: Context, pod: PodTemplate, plan: Plan) -> None:
    """Add the pod-level ``seccompProfile: {type: RuntimeDefault}``."""
    plan.add(*ensure_field(c, pod.spec, pod.spec_key, RUNTIME_DEFAULT, spec_step(pod)))


def migrate(
    c: Context,
    pod: PodTemplate,
    key: Node,
    setting: Setting,
    template_annotation: Setting | None,
    move: FixSpec,
    unconfined: FixSpec,
) -> Plan:
    """Move an annotation's profile to the field (unless it is there already), drop the key.

    ``move`` is the rule's fix for a profile; ``unconfined`` its fix for an ``unconfined``
    annotation, which writes ``RuntimeDefault``: an explicit ``Unconfined`` field would turn
    seccomp off where the ignored annotation (1.27+) or a node's default would not.
    """
    if not setting.valid:
        raise PersonDecides("the annotation value is not valid")
    mapping, mapping_key, current, label = owner(pod, setting.container)
    name = key.value
    if pod.is_windows:
        plan = Plan(move, f"remove the annotation {name} (Windows pods have no seccomp)")
        plan.add(*remove(c, c.key_owner(key), name))
        return plan
    value = value_of(setting)
    agreed = current if current is not None else template_annotation
    if agreed is not None:
        if not (agreed.valid and same_profile(agreed, setting)):
            raise PersonDecides("the annotation and the field disagree")
        where = "the field" if current is not None else "the pod template's annotation"
        plan = Plan(move, f"remove the annotation {name} ({where} already says {shown(value)})")
        plan.add(*remove(c, c.key_owner(key), name))
        return plan
    if setting.type == "Unconfined":
        plan = Plan(
            unconfined,
            f"set seccompProfile: {shown(RUNTIME_DEFAULT)} in {label} and remove {name} "
            "(it said unconfined)",
        )
        value = RUNTIME_DEFAULT
    else:
        plan = Plan(move, f"set seccompProfile: {shown(value)} in {label} and remove {name}")
    plan.add(*ensure_field(c, mapping, mapping_key, value, spec_step(pod)))
    plan.add(*remove(c, c.key_owner(key), name))
    return plan


def away_from_localhost(c: Context, setting: Setting, spec: FixSpec) -> Plan:
    """``type: RuntimeDefault`` instead of a Localhost profile (CIS 5.7.2)."""
    if setting.origin is not SettingOrigin.FIELD or not isinstance(setting.value, MappingNode):
        raise PersonDecides("not a field")
    plan = Plan(spec, "set type: RuntimeDefault and remove localhostProfile")
    set_type(c, plan, setting, "RuntimeDefault")
    plan.add(*remove(c, setting.value, "localhostProfile"))
    return plan


_BY_TYPE: dict[tuple[Rule, ...], tuple[list[PodRule], list[ProfileRule], tuple[bytes, ...]]] = {}
_BY_WORDS: dict[tuple[tuple[Rule, ...], frozenset[bytes]], list[PodRule]] = {}


def by_type(
    rules: Iterable[Rule], data: bytes | None = None
) -> tuple[list[PodRule], list[ProfileRule]]:
    """The rules among ``rules`` that check pod templates, and those that judge seccomp
    profiles (worked out once per set of rules: the linter asks for every document). Given a
    document's text ``data``, only the pod rules that could find something in it: those whose
    ``NEEDLES`` it holds (most documents of a large stream mention no seccomp setting at all)."""
    key = tuple(rules)
    found = _BY_TYPE.get(key)
    if found is None:
        pods = [cast(PodRule, r) for r in key if RuleType.POD in r.TYPE]
        profiles = [cast(ProfileRule, r) for r in key if RuleType.PROFILE in r.TYPE]
        needles = tuple(dict.fromkeys(n for r in pods for n in r.NEEDLES))
        found = _BY_TYPE[key] = (pods, profiles, needles)
    pods, profiles, needles = found
    if data is None or not needles or escaped(data):
        return pods, profiles
    present = frozenset(n for n in needles if n in data)
    some = _BY_WORDS.get((key, present))
    if some is None:
        some = [r for r in pods if not r.NEEDLES or any(n in present for n in r.NEEDLES)]
        _BY_WORDS[(key, present)] = some
    return some, profiles


def namespace_rules(rules: Iterable[Rule]) -> list[NamespaceRule]:
    """The rules among ``rules`` that judge Namespace objects."""
    return [cast(NamespaceRule, r) for r in rules if RuleType.NAMESPACE in r.TYPE]


def fixer(rule: Rule) -> FixingRule | None:
    """The rule as one that plans fixes, when it has any."""
    return cast(FixingRule, rule) if rule.FIXES else None


# Errors an unusual shape can raise while a fix is planned (a deep document, a key or an item
# the plan expected): the fix is declined, never a crash. A TypeError or an AttributeError is a
# programming error, and surfaces.
_SHAPE_ERRORS = (RecursionError, IndexError, KeyError, ValueError)


def build_fix(
    rule: Rule, problem: Problem, pod: PodTemplate, edit_rendered: bool = False
) -> Fix | None:
    """The fix for one rule's problem in a pod template: None when a person must decide; a fix
    without edits, saying why, when the text's shape or a rendered document keeps ``--fix``
    from applying it."""
    planner = fixer(rule)
    if planner is None:
        return None
    return _planned(rule, lambda c: planner.fix(c, pod, problem), pod.doc, pod, edit_rendered)


def suppression_fix(rule: Rule, problem: Problem, doc: Document) -> Fix | None:
    """The fix for a rule's problem about a suppression written in ``doc`` (one fix per
    suppression: its position is the fix's scope)."""
    if not rule.FIXES:
        return None
    planner = cast(SuppressionFixingRule, rule)
    return _planned(rule, lambda c: planner.fix(c, None, problem), doc, None, False, problem)


def _planned(
    rule: Rule,
    plan_in: Callable[[Context], Plan],
    doc: Document,
    pod: PodTemplate | None,
    edit_rendered: bool,
    problem: Problem | None = None,
) -> Fix | None:
    """A rule's plan for ``doc`` as a fix (see :func:`build_fix`)."""
    try:
        c = context(doc)
        plan = plan_in(c)
        if doc.helm_source and not edit_rendered:
            return Fix(
                plan.description,
                plan.spec.applicability,
                changes=tuple(plan.changes),
                document=doc.index,
                declined=(
                    "rendered output is not rewritten; make the change in the chart template "
                    f"{doc.helm_source}: {plan.description}"
                ),
            )
        if pod is not None:
            scope = (doc.index, *c.path(pod.spec if pod.spec is not None else doc.root))
        else:
            where = problem.position if problem is not None and problem.position else ()
            scope = (doc.index, "suppression", *where)
        edits = tuple(
            Edit(c.pos(start), c.pos(end), content) for start, end, content in sorted(plan.edits)
        )
        return Fix(
            plan.description,
            plan.spec.applicability,
            edits,
            tuple(plan.changes),
            document=doc.index,
            scope=scope,
        )
    except PersonDecides:
        return None
    except NoFix as exc:
        spec = rule.FIXES[0]
        return Fix(f"{spec.summary} (not applicable here)", spec.applicability, declined=str(exc))
    except _SHAPE_ERRORS as exc:
        spec = rule.FIXES[0]
        return Fix(
            f"{spec.summary} (not applicable here)",
            spec.applicability,
            declined=f"an unusual shape ({type(exc).__name__})",
        )


def safe(summary: str, detail: str) -> FixSpec:
    """A fix ``--fix`` applies by itself."""
    return FixSpec(Applicability.SAFE, summary, detail)


def unsafe(summary: str, detail: str) -> FixSpec:
    """A fix that changes what the workload runs under: only with ``--unsafe-fixes``."""
    return FixSpec(Applicability.UNSAFE, summary, detail)
