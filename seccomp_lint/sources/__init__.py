"""Where documents come from: files, walks and stdin (``files``), and one adapter per build kind,
``kustomize`` and ``helm``, which build or render, map findings back to their source files and
verify fixes there. ``adapter`` says what an adapter is (and holds the types they share),
``builds`` is the registry (build kind -> adapter), ``toolrun`` runs their tools.

May import every stage below it; nothing below imports it.
"""
