"""Output formats: the text, JSON, GitHub and Markdown reporters (``report``), SARIF (``sarif``),
and the table of formats by name (``formats``).

May import ``text``, ``model``, ``edit`` and ``rules``.
"""
