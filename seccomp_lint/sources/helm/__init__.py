"""The Helm adapter: renders a chart (``render``), finds templates on disk for a rendered stream
(``stream``), plans fixes in values files and templates (``templates``), verifies them in every
render the chart is deployed with (``verify``, ``branches``), and the chart's fix stage (``fix``,
on the shared :class:`~seccomp_lint.fix.stage.Stage`).
"""
