"""What kustomize says about each object it built: the file it came from and what changed it.

The wrapper build turns on two annotations. ``config.kubernetes.io/origin`` names the object's
resource file (or the generator and the kustomization that configures it, or a remote base);
``alpha.config.kubernetes.io/transformations`` lists, in the order they ran, the transformers
and patches that touched it, each with the file that configures it (a kustomization's
``namePrefix`` is a ``PrefixTransformer`` configured in that kustomization).

Their values are small YAML texts, and they repeat: every object of one resource file has the
same origin, every object that passed through the same kustomizations the same transformations.
Each distinct text is read once, by :func:`annotation_value`: a strict reader of the plain block
mappings and lists kustomize writes, with libyaml for anything it does not take.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import NamedTuple

import yaml

from ...text.depth import Loader, too_deep
from ...text.documents import Document, compose, text
from ...text.errors import ToolContractError
from ...text.streams import Chunk, chunks, count_lines
from .metadata import printable_ascii, read_metadata, reads_as_string

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
NAMESPACE_TRANSFORMER = "NamespaceTransformer"


@dataclass(frozen=True)
class Transformation:
    """One transformer or patch that touched a built object: its kind (``PrefixTransformer``,
    ``PatchTransformer``, …), the file that configures it (absolute) and its name there."""

    kind: str
    configured_in: str
    name: str | None = None


@dataclass(frozen=True)
class Origin:
    """Where kustomize says a built object came from; paths are absolute."""

    path: str | None = None  # the resource file
    configured_in: str | None = None  # the kustomization of a generator
    configured_by: str | None = None  # the generator's kind
    remote: str | None = None  # repo and ref of a remote resource
    steps: tuple[Transformation, ...] = ()  # the transformers and patches that touched it, in order

    @property
    def patched_in(self) -> tuple[str, ...]:
        """The files whose patches touched the object, in the order they were applied."""
        out: list[str] = []
        for step in self.steps:
            if "Patch" in step.kind and step.configured_in not in out:
                out.append(step.configured_in)
        return tuple(out)

    @property
    def renamespaced(self) -> bool:
        """Whether a ``namespace:`` transformer set the object's namespace on the way."""
        return any(step.kind == NAMESPACE_TRANSFORMER for step in self.steps)


@dataclass
class Built:
    """One object of the build output, its origin and the annotations kustomize added; its
    document is composed when first asked for (mapping most findings needs only the rest)."""

    kind: str | None
    name: str | None
    origin: Origin
    namespace: str | None
    chunk: Chunk
    index: int  # of its document in the output
    composed: Document | None = None

    @property
    def doc(self) -> Document:
        """The object's document, as :func:`~...text.documents.parse_stream` gives it."""
        if self.composed is None:
            found = [d for d in compose(self.chunk, self.index) if isinstance(d, Document)]
            if len(found) != 1:
                raise ToolContractError("a document of kustomize's output did not compose again")
            self.composed = found[0]
        return self.composed


def read_built(data: bytes, wrapper: str) -> list[Built]:
    """The build output's documents, each with its origin resolved to absolute paths.

    Kustomize writes each document in block style with ``kind:`` and ``metadata:`` at the left
    margin: only the ``metadata:`` block is read here, from its text where it is written as
    Kustomize writes it (:mod:`.metadata`), else composed; a document that is written otherwise
    is composed whole."""
    out: list[Built] = []
    seen: dict[tuple[str | None, str | None], Origin] = {}

    def add(
        kind: str | None,
        name: str | None,
        namespace: str | None,
        raw: tuple[str | None, str | None],
        chunk: Chunk,
        whole: Document | None,
    ) -> None:
        origin = seen.get(raw)
        if origin is None:
            origin = seen[raw] = _origin(raw[0], raw[1], wrapper)
        out.append(Built(kind, name, origin, namespace, chunk, len(out), whole))

    # What sends a document to libyaml, looked for in the whole output once (most have none).
    printable = printable_ascii(data)  # (then it has none of those line breaks either)
    clean = not _more(b"\n" + data) and (printable or not any(b in data for b in _YAML_ONLY_BREAKS))
    for chunk in chunks(data):
        margin = _margin_block(chunk, clean)
        read = None
        if margin is not None:
            read = read_metadata(margin[2], ORIGIN, TRANSFORMATIONS, printable)
        if margin is not None and read is not None:
            raw = (read.origin, read.transformations)
            add(margin[0], read.name, read.namespace, raw, chunk, None)
            continue
        head = document_head(chunk, len(out))
        if head is not None:
            docs = [head.metadata]
        else:
            docs = [d for d in compose(chunk, len(out)) if isinstance(d, Document)]
        for doc in docs:
            meta = doc.get(doc.root, "metadata")
            raw = (
                text(doc.get(meta, "annotations", ORIGIN)),
                text(doc.get(meta, "annotations", TRANSFORMATIONS)),
            )
            kind = head.kind if head is not None else text(doc.get(doc.root, "kind"))
            name, namespace = text(doc.get(meta, "name")), text(doc.get(meta, "namespace"))
            add(kind, name, namespace, raw, chunk, None if head is not None else doc)
    return out


class Head(NamedTuple):
    """What a document written in plain block style says at its left margin: its kind, whether
    its ``apiVersion`` is a plain word there, its ``metadata:`` block (composed alone) and the
    line of its first key (1-based, as editors count)."""

    kind: str
    versioned: bool
    metadata: Document
    line: int


def document_head(chunk: Chunk, index: int) -> Head | None:
    """The :class:`Head` of one document written as kustomize writes them (and most manifests
    are); None for any other text, which must then be composed whole."""
    margin = _margin_block(chunk)
    if margin is None:
        return None
    kind, start, block = margin
    data = chunk.data
    found = list(compose(Chunk(block, chunk.line + count_lines(data[:start])), index))
    if len(found) != 1 or not isinstance(found[0], Document):
        return None
    if list(found[0].mapping(found[0].root) or ()) != ["metadata"]:
        return None
    first = _MARGIN.search(b"\n" + data)  # (at the line break before the line: see _MARGIN)
    line = chunk.line + count_lines(data[: first.start() if first else 0]) + 1
    return Head(kind, _versioned(data), found[0], line)


def _margin_block(chunk: Chunk, clean: bool = False) -> tuple[str, int, bytes] | None:
    """The kind of a document written in plain block style, one ``kind:`` and one ``metadata:``
    at its left margin, and its ``metadata:`` block (up to the next line at the margin) with
    its offset; None for any other text. ``clean``: the stream it is part of was found to hold
    no :data:`_MORE` and no line break only YAML counts."""
    data = chunk.data
    text = b"\n" + data  # (each line after a line break: see _KIND; offsets one on in it)
    kinds = _KIND.findall(text)
    metas = list(_METADATA.finditer(text))
    if len(kinds) != 1 or len(metas) != 1:
        return None
    if not clean and _more(text):
        return None
    if not clean and any(b in data for b in _YAML_ONLY_BREAKS):
        return None  # libyaml breaks lines there too: the margin is not where it seems
    try:
        kind = _plain(kinds[0].decode("utf-8"))
    except (_NotSimple, UnicodeDecodeError):
        return None
    start = metas[0].start()  # (the line break before it in text: where it starts in data)
    end = _MARGIN.search(text, metas[0].end() - 1)
    return kind, start, data[start : end.start() if end else len(data)]


def _versioned(data: bytes) -> bool:
    """Whether the document's ``apiVersion`` at the left margin is a plain word YAML reads as a
    string (else the caller composes the document to know)."""
    found = _API_VERSION.findall(b"\n" + data)
    if len(found) != 1:
        return False
    try:
        _plain(found[0].decode("utf-8"))
    except (_NotSimple, UnicodeDecodeError):
        return False
    return True


def _origin(origin_text: str | None, steps_text: str | None, wrapper: str) -> Origin:
    found = _value(origin_text)
    origin = found if isinstance(found, dict) else {}
    steps = []
    listed = _value(steps_text)
    for step in listed if isinstance(listed, list) else []:
        by = step.get("configuredBy") if isinstance(step, dict) else None
        where = step.get("configuredIn") if isinstance(step, dict) else None
        if isinstance(by, dict) and isinstance(by.get("kind"), str) and isinstance(where, str):
            name = by.get("name")
            named = name if isinstance(name, str) else None
            steps.append(Transformation(by["kind"], origin_path(wrapper, where), named))
    path = origin.get("path")
    remote = None
    if origin.get("repo"):
        remote = f"{origin['repo']}//{path or ''}?ref={origin.get('ref', '')}"
        path = None
    by = origin.get("configuredBy")
    configured_in = origin.get("configuredIn")
    return Origin(
        path=origin_path(wrapper, path) if isinstance(path, str) else None,
        configured_in=origin_path(wrapper, configured_in)
        if isinstance(configured_in, str)
        else None,
        configured_by=by.get("kind") if isinstance(by, dict) else None,
        remote=remote,
        steps=tuple(steps),
    )


# The annotation texts read, by text, across builds (a walk's overlays of one base have the same
# origins; every object of one overlay, the same transformations). Their values are only read.
_VALUES: dict[str, object] = {}
_VALUES_MAX = 4096


def _value(raw: str | None) -> object:
    """:func:`annotation_value`, remembered."""
    if raw is None:
        return None
    if raw not in _VALUES:
        while len(_VALUES) >= _VALUES_MAX:
            del _VALUES[next(iter(_VALUES))]
        _VALUES[raw] = annotation_value(raw)
    return _VALUES[raw]


def origin_path(wrapper: str, path: str) -> str:
    """An origin path (relative to the wrapper kustomization) as an absolute path."""
    return os.path.normpath(os.path.join(wrapper, path))


# --------------------------------------------------------------------------- the annotations

# A root key at the left margin: ``kind: Word``, ``metadata:``; any line that starts there. Each
# is matched from the line break before it, in a text with one put before its first line: a
# pattern that starts with ``^`` is tried at every position, about ten times slower.
_KIND = re.compile(rb"\nkind: ([A-Za-z0-9]+)\r?(?=\n|\Z)")
_METADATA = re.compile(rb"\nmetadata:\r?\n")
_API_VERSION = re.compile(rb"\napiVersion: ([A-Za-z0-9./-]+)\r?(?=\n|\Z)")
# A line that starts at the left margin (not a comment, nor a document marker).
_MARGIN = re.compile(rb"\n(?!---|\.\.\.)[^ \t\r\n#]")
_YAML_ONLY_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")  # NEL, LS, PS
# What would make a line at the left margin more than a root key of a block mapping: a flow
# collection, a quoted or complex key, a merge key, a document marker with content, a directive;
# and a template action anywhere (an unrendered template may not compose whole): :func:`_more`.
_MORE = re.compile(rb"\n(?:[{\[\"'?]|<<|---[^\n]*\S|\.\.\.|%)")


def _more(text: bytes) -> bool:
    """Whether a text (with a line break put before its first line) holds :data:`_MORE`."""
    return b"{{" in text or _MORE.search(text) is not None


# ``key: value``, ``key:`` or ``- key: value``, the key at the line's indentation (plus two
# after a dash); the value a plain word with no character YAML would read specially (a colon
# only inside it, as in a URL).
_LINE = re.compile(
    r"( *)(- )?([A-Za-z][A-Za-z0-9]*):(?: ([A-Za-z0-9_./][A-Za-z0-9_./+=@~:-]*(?<!:)))?"
)


class _NotSimple(Exception):
    """A text the strict reader does not take: libyaml reads it."""


def annotation_value(raw: str | None) -> object:
    """An annotation's YAML value (None when absent or not YAML)."""
    if raw is None:
        return None
    try:
        return _simple(raw)
    except _NotSimple:
        pass
    if too_deep(raw.encode("utf-8", "surrogatepass")) is not None:
        return None  # libyaml's composer recurses: not a text kustomize writes anyway
    try:
        return yaml.load(raw, Loader=Loader)
    except yaml.YAMLError:
        return None


def _plain(word: str) -> str:
    """``word``, when YAML reads it as a string (not ``true``, ``1.5``, ``null``, …)."""
    if not reads_as_string(word):
        raise _NotSimple
    return word


def _simple(raw: str) -> object:
    """Block mappings (and lists of them) of plain words, read without a YAML parser; raises
    :class:`_NotSimple` for anything else."""
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    tokens = []
    for line in lines:
        match = _LINE.fullmatch(line)
        if match is None:
            raise _NotSimple
        indent, dash, key, value = match.groups()
        column = len(indent) + (2 if dash else 0)
        tokens.append((column, bool(dash), _plain(key), None if value is None else _plain(value)))
    if not tokens or tokens[0][0] != (2 if tokens[0][1] else 0):
        raise _NotSimple
    value, end = _block(tokens, 0, tokens[0][0])
    if end != len(tokens):
        raise _NotSimple
    return value


def _block(tokens: list, i: int, column: int) -> tuple[object, int]:
    """The mapping, or list of mappings, whose keys start at ``column``; and the next token."""
    if not tokens[i][1]:
        return _mapping(tokens, i, column)
    items = []
    while i < len(tokens) and tokens[i][0] == column and tokens[i][1]:
        item, i = _mapping(tokens, i, column)
        items.append(item)
    return items, i


def _mapping(tokens: list, i: int, column: int) -> tuple[dict, int]:
    out: dict = {}
    first = True
    while i < len(tokens):
        at, item, key, value = tokens[i]
        if at < column or (item and not first):
            break
        if at > column or key in out:
            raise _NotSimple
        first, i = False, i + 1
        if value is not None:
            out[key] = value
        elif i < len(tokens) and tokens[i][0] > column:
            out[key], i = _block(tokens, i, tokens[i][0])
        else:
            out[key] = None
    return out, i
