"""The edit engine: one document's geometry (``geometry``: offsets, lines, node paths), the one
quoting function (``quoting``), the splice primitives every YAML/JSON text a fix writes comes from
(``edits``), applying edits and the one verifier of the new data (``splices``), unified diffs
(``diffs``) and atomic writes (``writer``). Rules plan their fixes with these, so they sit below
the rules.

May import ``text`` and ``model``.
"""
