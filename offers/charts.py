"""Geometry of the staff page's redemptions-per-day bar chart (server-rendered SVG).

The template draws what ``daily_bars`` returns; a table next to it gives every figure. The
bar geometry is the dashboard's (``routines.charts.bar_chart``); this adds the day labels.
"""

from __future__ import annotations

from typing import Any

from routines.charts import bar_chart

BOX = {"width": 600, "height": 200, "top": 20, "bottom": 30, "left": 8, "right": 8}


def daily_bars(days: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars for ``[{"date", "count"}, ...]``: date labels under at most ~12 bars, so they
    never overlap, and figures over the bars up to a month of days."""
    chart = bar_chart(days, "count", box=BOX, bar_share=0.7, value_gap=5, axis_gap=16)
    label_every = max(1, round(len(days) / 12))
    for index, bar in enumerate(chart["bars"]):
        bar["show_label"] = index % label_every == 0 or index == len(days) - 1
        bar["show_value"] = bool(bar["count"]) and len(days) <= 31
    return chart
