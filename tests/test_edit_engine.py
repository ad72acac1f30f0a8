"""The edit engine's core: one verifier (``splices.changed_exactly``), one quoting function, and
the splice primitives that set a key path in a YAML tree (a Helm values file, or a values tree
inside a larger document)."""

from __future__ import annotations

import json

import pytest
import yaml

from seccomp_lint.edit.quoting import scalar
from seccomp_lint.edit.splices import Rejected, changed_exactly, parse_data, set_in_text
from seccomp_lint.model.data import Change

PROFILE = '{"type": "RuntimeDefault"}'
PATH = ("podSecurityContext", "seccompProfile", "type")


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


# --------------------------------------------------------------------------- quoting


def test_a_word_is_plain_exactly_when_it_reads_back_as_that_string() -> None:
    # YAML 1.1 (as the API server reads it) makes these booleans, null, numbers: quoted.
    for word in ("on", "off", "yes", "No", "null", "~", "1", "0x1F", "1.5", ".inf", "y", "N"):
        assert scalar(word, False) == f'"{word}"', word
        assert yaml.safe_load(scalar(word, False)) == word
    # Words that read back as themselves are plain, a leading underscore too.
    for word in ("RuntimeDefault", "_x", "seccompProfile", "localhost/profiles/a.json"):
        assert scalar(word, False) == word
    # Indicators, blanks and ": " are quoted; JSON is always quoted.
    for word in ("a b", "x: y", "#c", "-x", "", "it's"):
        assert yaml.safe_load(scalar(word, False)) == word
        assert scalar(word, False).startswith('"'), word
    assert scalar("RuntimeDefault", True) == '"RuntimeDefault"'


def test_quoted_text_reads_back_in_yaml_and_json() -> None:
    for word in ("tr\u00e9s", "\U0001f600 x", "tab\there", 'say "hi"', "back\\slash", "nel\x85"):
        assert yaml.safe_load(scalar(word, False)) == word, word
        assert json.loads(scalar(word, True)) == word, word


# --------------------------------------------------------------------------- setting a key path


def test_a_key_yaml_reads_as_a_boolean_is_quoted_and_the_result_verifies() -> None:
    """The old values writer left ``on`` plain (a boolean key) and then rejected its own result."""
    new, old = set_in_text("x: 1\n", ("on", "_x"), "RuntimeDefault")
    assert new == 'x: 1\n"on":\n  _x: RuntimeDefault\n'
    assert old is None
    assert yaml.safe_load(new) == {"x": 1, "on": {"_x": "RuntimeDefault"}}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # A trailing comma stays after the new entry (it became ``true,, seccompProfile``).
        (
            "podSecurityContext: {runAsNonRoot: true,}\n",
            "podSecurityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault},}\n",
        ),
        (
            'podSecurityContext: {"runAsNonRoot": true, }\n',
            'podSecurityContext: {"runAsNonRoot": true, "seccompProfile": '
            '{"type": "RuntimeDefault"}, }\n',
        ),
        # One entry per line: kept so.
        (
            "podSecurityContext: {\n  runAsUser: 1,\n}\n",
            "podSecurityContext: {\n  runAsUser: 1,\n  seccompProfile: {type: RuntimeDefault},\n}\n",
        ),
        # A block scalar ends the mapping: the new key goes after it.
        (
            "podSecurityContext:\n  note: |\n    a\n    b\nx: 1\n",
            "podSecurityContext:\n  note: |\n    a\n    b\n  seccompProfile:\n"
            "    type: RuntimeDefault\nx: 1\n",
        ),
        # A null leaf is filled, a quoted word replaced in its quotes.
        (
            "podSecurityContext:\n  seccompProfile:\n    type:\n",
            "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n",
        ),
        (
            'podSecurityContext: {seccompProfile: {type: "Unconfined"}}\n',
            'podSecurityContext: {seccompProfile: {type: "RuntimeDefault"}}\n',
        ),
        # A comment-only file gets the keys at its end, the comment kept.
        (
            "# nothing yet\n",
            "# nothing yet\npodSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n",
        ),
    ],
)
def test_set_in_text_splices(before: str, after: str) -> None:
    assert set_in_text(before, PATH, "RuntimeDefault")[0] == after


def test_a_values_key_shared_through_an_alias_is_not_changed_through_it() -> None:
    text = "podSecurityContext: &psc\n  runAsNonRoot: true\ndebug:\n  podSecurityContext: *psc\n"
    with pytest.raises(Rejected, match="more than the intended value"):
        set_in_text(text, PATH, "RuntimeDefault")


def test_a_deeply_nested_values_file_is_a_clean_error() -> None:
    deep = "x: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(Rejected, match=r"does not parse .*nested deeper than 1000 levels"):
        set_in_text(deep, PATH, "RuntimeDefault")
    block = "".join(" " * i + f"k{i}:\n" for i in range(1200)) + " " * 1200 + "v: 1\n"
    with pytest.raises(Rejected, match="nested deeper than 1000 levels"):
        set_in_text(block, PATH, "RuntimeDefault")


HELM_RELEASE = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: other}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  chart:
    spec: {chart: web}
  values:
    replicaCount: 2  # two
    podSecurityContext:
      runAsNonRoot: true
  # the end
"""


def test_a_values_tree_inside_a_larger_document() -> None:
    """A Flux HelmRelease's ``spec.values``: the same primitives, at a node path prefix."""
    new, old = set_in_text(HELM_RELEASE, PATH, "RuntimeDefault", ("spec", "values"), 1)
    assert old is None
    assert new == HELM_RELEASE.replace(
        "      runAsNonRoot: true\n",
        "      runAsNonRoot: true\n      seccompProfile:\n        type: RuntimeDefault\n",
    )
    crlf = HELM_RELEASE.replace("\n", "\r\n")
    assert set_in_text(crlf, PATH, "RuntimeDefault", ("spec", "values"), 1)[0] == new.replace(
        "\n", "\r\n"
    )
    with pytest.raises(Rejected, match=r"no spec\.valuesFrom"):
        set_in_text(HELM_RELEASE, PATH, "RuntimeDefault", ("spec", "valuesFrom"), 1)
    with pytest.raises(Rejected, match="more than one YAML document"):
        set_in_text(HELM_RELEASE, PATH, "RuntimeDefault")


# What verification reads: the direct build must give what PyYAML's safe loader gives.
PLAIN_AND_UNUSUAL = [
    "a: 1\nb: 0x1F\nc: 1_000\nd: 1:30\ne: .5\nf: .inf\ng: yes\nh: ~\ni: 2024-01-02\n"
    "j: 2024-01-02T03:04:05Z\nk: !!binary aGk=\nl: '1'\nm: [1, {n: null}]\n",
    "a: &x {b: [1, 2]}\nc: *x\nd: *x\n",  # aliases shared, as PyYAML shares them
    "a: &x [1, *x]\n",  # an alias of its own ancestor
    "base: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2\n",  # a merge key: PyYAML's constructor
    "a: !!set {x, y}\nb: !!omap [{x: 1}]\n",  # tags the direct build leaves to PyYAML
    "a: 1\na: 2\n",  # the last of two equal keys wins, in both
    "---\n---\na: 1\n...\n",  # an empty document is None
]


@pytest.mark.parametrize("text", PLAIN_AND_UNUSUAL)
def test_verification_reads_data_as_the_safe_loader_does(text: str) -> None:
    expected = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    got = parse_data(text, False)
    assert repr(got) == repr(expected)  # equal, and of the same types (1 is not True)
    if "*x" in text:  # shared, not copied
        first = got[0]
        assert first["a"] is (first["c"] if "c" in first else first["a"][1])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: [1\n", "the file does not parse"),
        ("? [a]\n: 1\n", "while constructing a mapping"),
        ("a: !!foo x\n", "foo"),
    ],
)
def test_what_the_safe_loader_refuses_is_refused_with_its_words(text: str, error: str) -> None:
    with pytest.raises(Rejected, match=error):
        parse_data(text, False)
