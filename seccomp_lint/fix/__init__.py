"""The fix loop: planned fixes applied round by round as offset edits, verified (old data plus
exactly the change, no new finding on re-linting) and written atomically.

May import every stage below it: ``text``, ``model``, ``edit``, ``rules``, ``output``, ``lint``.
"""
