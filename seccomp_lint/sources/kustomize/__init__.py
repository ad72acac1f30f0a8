"""The Kustomize adapter: builds a kustomization offline, maps objects back to their source files
(``build``), locates fixes and checks them by rebuilding (``adapter``), reads and edits patches
(``patches``, ``patch_edits``), and renders and adds an overlay patch (``suggest``, ``overlay``).
"""
