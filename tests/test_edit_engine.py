"""The edit engine's core: one verifier (``splices.changed_exactly``), one quoting function, and
the splice primitives that set a key path in a YAML tree (a Helm values file, or a values tree
inside a larger document)."""

from __future__ import annotations

import yaml

from seccomp_lint.edit.splices import changed_exactly, parse_data
from seccomp_lint.model.data import Change

PROFILE = '{"type": "RuntimeDefault"}'


def _data(text: str) -> object:
    return parse_data(text, False)[0]


# --------------------------------------------------------------------------- the verifier


def test_exactly_the_change_passes_and_anything_more_says_why() -> None:
    old = _data("a:\n  b: 1\n")
    new = _data("a:\n  b: 1\n  seccompProfile: {type: RuntimeDefault}\n")
    assert changed_exactly(old, new, [Change("set", ("a", "seccompProfile"), PROFILE)]) is None
    more = _data("a:\n  b: 2\n  seccompProfile: {type: RuntimeDefault}\n")
    why = changed_exactly(old, more, [Change("set", ("a", "seccompProfile"), PROFILE)])
    assert why == "the edit would change more than the intended value"
    # The change must be there, with its value (of its type: "1" is not 1).
    assert changed_exactly(old, old, [Change("set", ("a", "seccompProfile"), PROFILE)])
    assert changed_exactly(old, _data("a:\n  b: '1'\n"), []) is not None


def test_set_over_an_old_value_and_delete() -> None:
    old = _data("a: {type: Unconfined, localhostProfile: x.json}\n")
    new = _data("a: {type: RuntimeDefault}\n")
    changes = [
        Change("set", ("a", "type"), '"RuntimeDefault"'),
        Change("delete", ("a", "localhostProfile")),
    ]
    assert changed_exactly(old, new, changes) is None
    assert changed_exactly(old, new, changes[:1]) is not None


def test_a_change_through_an_alias_is_a_change_at_every_place_it_shows() -> None:
    """``b`` is an alias of ``a``'s mapping: a key added to the anchored text shows in both.
    Undoing the change at ``a`` on shared data would undo it at ``b`` too, and pass."""
    old = _data("a: &psc {runAsNonRoot: true}\nb: *psc\n")
    new = _data("a: &psc {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\nb: *psc\n")
    assert new["b"] is new["a"]  # type: ignore[index]  # what the loader gives: one object
    why = changed_exactly(old, new, [Change("set", ("a", "seccompProfile"), PROFILE)])
    assert why == "the edit would change more than the intended value"
    # Both places named: exactly right.
    both = [Change("set", (k, "seccompProfile"), PROFILE) for k in ("a", "b")]
    assert changed_exactly(old, new, both) is None
    assert new["b"] is new["a"]  # type: ignore[index]  # the caller's data is left as it was


def test_self_referring_data_is_refused_not_a_crash() -> None:
    data = yaml.safe_load("a: &x [1, *x]\n")
    why = changed_exactly(data, data, [])
    assert why is not None and "refers to itself" in why
