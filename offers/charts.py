"""Geometry of the staff page's redemptions-per-day bar chart (server-rendered SVG).

The template draws what ``daily_bars`` returns; a table next to it gives every figure.
"""

from __future__ import annotations

from typing import Any

BOX = {"width": 600, "height": 200, "top": 20, "bottom": 30, "left": 8, "right": 8}


def daily_bars(days: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars for ``[{"date", "count"}, ...]`` in a fixed viewBox, tallest = ``peak``."""
    inner_w = BOX["width"] - BOX["left"] - BOX["right"]
    inner_h = BOX["height"] - BOX["top"] - BOX["bottom"]
    peak = max([d["count"] for d in days] + [1])
    slot = inner_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1)
    # Date labels under at most ~12 bars, so they never overlap.
    label_every = max(1, round(len(days) / 12))
    bars = []
    for index, day in enumerate(days):
        height = round(inner_h * day["count"] / peak, 1)
        if day["count"] and height < 2:
            height = 2
        x = round(BOX["left"] + index * slot + (slot - bar_w) / 2, 1)
        y = round(BOX["top"] + inner_h - height, 1)
        bars.append(
            {
                **day,
                "x": x,
                "y": y,
                "width": round(bar_w, 1),
                "height": height,
                "label_x": round(x + bar_w / 2, 1),
                "value_y": round(y - 5, 1),
                "show_label": index % label_every == 0 or index == len(days) - 1,
                "show_value": bool(day["count"]) and len(days) <= 31,
            }
        )
    return {
        **BOX,
        "bars": bars,
        "baseline_y": BOX["top"] + inner_h,
        "axis_y": BOX["height"] - BOX["bottom"] + 16,
        "axis_end": BOX["width"] - BOX["right"],
        "peak": peak if any(d["count"] for d in days) else 0,
        "total": sum(d["count"] for d in days),
    }
