"""Node paths: the keys and list items from a document's root to a node, and back.

Build output and patch files are matched to their sources by such paths (``helm``,
``patches``): a list item is matched by its ``name`` where it has one, as strategic merge does.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .documents import Document, text

Step = tuple  # (key,) for a mapping entry, (index, name) for a sequence item


def node_path(doc: Document, line: int, column: int) -> list[Step] | None:
    """The steps from the root to the node at a 1-based position: (key,) or (index, name)."""
    stack: list[tuple[Node, list[Step]]] = [(doc.root, [])]
    seen: set[int] = set()
    # A block collection starts where its first entry does: prefer the key or scalar there.
    collection: list[Step] | None = None
    while stack:
        node, steps = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if doc.pos(node) == (line, column) and steps:
            if isinstance(node, ScalarNode):
                return steps
            collection = collection or steps
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    here = [*steps, (key.value,)]
                    if doc.pos(key) == (line, column):
                        return here
                    stack.append((value, here))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, [*steps, (i, text(doc.get(item, "name")))]))
    return collection


def follow(doc: Document, root: Node, steps: list[Step]) -> tuple[Node, int] | None:
    """The deepest node reached along ``steps`` (list items matched by name) and its depth."""
    node, reached, depth = root, None, 0
    for step in steps:
        if len(step) == 1:
            entry = doc.entry(node, step[0])
            if entry is None:
                break
            reached, node = entry[0], entry[1]
        else:
            index, name = step
            if not isinstance(node, SequenceNode):
                break
            match = None
            if name is not None:
                match = next((i for i in node.value if text(doc.get(i, "name")) == name), None)
            elif index < len(node.value):
                match = node.value[index]
            if match is None:
                break
            reached, node = match, match
        depth += 1
    return (reached, depth) if reached is not None else None
