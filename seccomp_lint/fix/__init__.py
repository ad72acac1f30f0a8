"""The fix loop: planned fixes applied round by round as offset edits, verified (old data plus
exactly the change, no new finding on re-linting) and written atomically (``fixes``); for a
build source, its files fixed, written, checked end to end by the source's adapter and put back
when the check fails (``stage``).

May import every stage below it: ``text``, ``model``, ``edit``, ``rules``, ``output``, ``lint``.
"""
