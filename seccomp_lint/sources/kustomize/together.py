"""A shared Kustomize run's output split by overlay (:mod:`..sharing` says which overlays share
one): each overlay's objects, in the order of the output, as its own build would output them.

An object belongs to the overlay whose folder configures one of its transformations (or its
generator); an object that names none of the run's overlays, or more than one, or a document
that is not one object, and the output is not split (its overlays are built again, each alone).
"""

from __future__ import annotations

import os

from ...text.streams import Chunk, count_lines
from .origin import Built, read_built

_START = b"---\n"  # how Kustomize starts each document after the first


def by_overlay(
    data: bytes, wrapper: str, directories: tuple[str, ...]
) -> dict[str, tuple[bytes, str, list[Built]]] | None:
    """Each overlay's output (real paths as ``directories``), the wrapper's folder and its
    objects (read once, here); None where an object's overlay is not told by its marks."""
    mine: dict[str, list[Built]] = {d: [] for d in directories}
    chunks: set[int] = set()
    for b in read_built(data, wrapper):
        if id(b.chunk) in chunks:
            return None  # (a chunk of two documents: not as Kustomize writes them)
        chunks.add(id(b.chunk))
        marks = {os.path.dirname(step.configured_in) for step in b.origin.steps}
        if b.origin.configured_in:
            marks.add(os.path.dirname(b.origin.configured_in))
        owners = [d for d in directories if d in marks]
        if len(owners) != 1:
            return None
        mine[owners[0]].append(b)
    out = {}
    for directory, objects in mine.items():
        texts: list[bytes] = []
        rebased: list[Built] = []
        line = 0
        for b in objects:
            text = b.chunk.data
            started = text.startswith(_START)
            if b.index and not started:
                return None  # (a document after the first that does not start as Kustomize's)
            text = text[len(_START) :] if started and not texts else text
            text = _START + text if texts and not text.startswith(_START) else text
            rebased.append(
                Built(b.kind, b.name, b.origin, b.namespace, Chunk(text, line), len(rebased))
            )
            texts.append(text)
            line += count_lines(text)
        out[directory] = (b"".join(texts), wrapper, rebased)
    return out
