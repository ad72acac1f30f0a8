"""Output formats: the text (full and concise), JSON, GitHub and Markdown reporters (``report``),
SARIF (``sarif``), JUnit XML (``junit``), GitLab Code Quality (``gitlab``), the table of formats
by name (``formats``), the baseline file that leaves recorded findings out of a report
(``baseline``), and what identifies a finding across runs (``identity``: relative paths, keys,
fingerprints).

May import ``text``, ``model``, ``edit`` and ``rules``.
"""
