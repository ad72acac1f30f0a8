"""Linting one file or stream: the linter that runs the rules over composed documents and stamps
their findings (``linter``), and the configuration file (``config``).

May import ``text``, ``model``, ``edit``, ``rules`` and ``output``.
"""
