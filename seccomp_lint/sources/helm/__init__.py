"""The Helm adapter: renders a chart (``render``), finds templates on disk for a rendered stream
(``stream``), plans fixes in values files (``values``) and templates (``templates``), and the
chart's fix stage (``fix``).
"""
