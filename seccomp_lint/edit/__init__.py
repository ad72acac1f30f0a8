"""The edit engine's primitives: offset edits and YAML/JSON splices at parse positions (``edits``),
applying edits and verifying the new data (``splices``), unified diffs (``diffs``) and atomic
writes (``writer``). Rules plan their fixes with these, so they sit below the rules.

May import ``text`` and ``model``.
"""
