"""Suppression comments are told from scalars by the composed document's nodes (no second libyaml
pass over the text): the same comments libyaml's scanner tells, and the scanner where the nodes
cannot tell (an anchor or a tag before a scalar, a text holding several documents)."""

from __future__ import annotations

import pytest
from conftest import REPO, TESTS

from seccomp_lint.text import suppressions
from seccomp_lint.text.documents import Document, compose
from seccomp_lint.text.streams import Chunk, chunks, decode

COMMENT = b" # seccomp-lint: ignore[missing-seccomp-profile] reason"
SOURCES = sorted(
    [*(TESTS / "fixtures").rglob("*.yaml"), *(REPO / "examples").rglob("*.yaml")],
    key=str,
)


def _one_document(data: bytes) -> Document | None:
    docs = list(compose(Chunk(data, 0), 0))
    return docs[0] if len(docs) == 1 and isinstance(docs[0], Document) else None


def test_the_nodes_tell_what_the_scanner_tells() -> None:
    """Every line of every fixture and example given a suppression comment at its end (after a
    plain line a comment; in a block scalar or a multi-line string, text): read with the
    document's nodes, the same suppressions as read with the scanner."""
    documents = lines = read = 0
    for path in SOURCES:
        for chunk in chunks(decode(path.read_bytes())[0]):
            ends = [len(line.rstrip(b"\r\n")) for line in chunk.data.splitlines(keepends=True)]
            data = b"".join(
                line[:end] + COMMENT + line[end:]
                for line, end in zip(chunk.data.splitlines(keepends=True), ends)
            )
            doc = _one_document(data)
            if doc is None:
                continue  # the comments broke it (a flow collection over several lines)
            with_nodes = suppressions.from_comments(data, 0, doc.root)
            assert with_nodes == suppressions.from_comments(data, 0), path
            documents, lines, read = documents + 1, lines + len(ends), read + len(with_nodes)
    # Enough of both kinds: comments that are comments, and text inside scalars.
    assert documents > 150 and read > 0.9 * lines and lines - read > 50, (documents, lines, read)


@pytest.mark.parametrize(
    "text",
    [
        # An anchor, then the comment, then the scalar on the next line: a real comment, though
        # the scalar's node starts at the anchor.
        b"image: &img # seccomp-lint: ignore[missing-seccomp-profile] r\n  nginx\n",
        b"args: [!!str # seccomp-lint: ignore[missing-seccomp-profile] r\n  x]\n",
        # In the second document of one text: inside its block scalar, not a comment.
        b"a: b\n...\nc: |\n  # seccomp-lint: ignore[missing-seccomp-profile] r\n",
        # An alias of an ancestor (a recursive node) does not lead the search in circles.
        b'&top\na: *top\nb: "x\n  # seccomp-lint: ignore[missing-seccomp-profile] r\n  y"\n',
    ],
)
def test_where_the_nodes_cannot_tell_the_scanner_does(text: bytes) -> None:
    doc = _one_document(text) or next(d for d in compose(Chunk(text, 0), 0))
    assert isinstance(doc, Document)
    assert suppressions.from_comments(text, 0, doc.root) == suppressions.from_comments(text, 0)
