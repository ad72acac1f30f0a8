"""The files of a chart's folder that Helm renders the chart from: its templates and top files,
a subchart's alike, and any other when its templates read the chart's files."""

from __future__ import annotations

import os
from functools import lru_cache

CHART_FILE = "Chart.yaml"
# The files at a chart's top that Helm reads to render it (values files the config names are
# read too: Discoverer.chart_values).
CHART_READS = frozenset(
    {CHART_FILE, "values.yaml", "values.schema.json", "requirements.yaml", "Chart.lock"}
)


def chart_renders(chart: str, rel: list[str]) -> bool:
    """Whether the file at ``rel`` (its path's parts below ``chart``'s folder) is one Helm reads
    to render the chart: its templates, top files, a subchart's alike, any other when templates
    read its files (``.Files.Get``); never ``crds/`` (applied as written, not rendered)."""
    if rel[0] == "crds":
        return False
    top = rel
    while len(top) > 2 and top[0] == "charts":
        top = top[2:]  # (a subchart's folder: its files, read the same way)
    if (top[0] in CHART_READS) if len(top) == 1 else top[0] == "templates":
        return True
    return chart_reads_files(chart)


@lru_cache(maxsize=256)
def chart_reads_files(chart: str) -> bool:
    """Whether a chart's templates read its other files (``.Files.Get``, ``tpl``): then any of
    them may be rendered, and none is linted as itself."""
    for here, _, files in os.walk(os.path.join(chart, "templates")):
        for name in files:
            try:
                with open(os.path.join(here, name), "rb") as handle:
                    if b".Files." in handle.read():
                        return True
            except OSError:
                continue
    return False
