"""The Kustomize adapter: builds a kustomization offline, maps objects back to their source files
(``build``), reads and edits patches (``patches``, ``patch_edits``) and adds an overlay patch
(``overlay``).
"""
