"""Geometry for the dashboard's server-rendered SVG charts (no chart library, no JS).

The templates draw what these functions return; every figure also appears as text.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_CHART = {"width": 600, "height": 220, "top": 24, "bottom": 36, "left": 8, "right": 8}
CELL, GAP = 11, 3
HEATMAP_LEFT, HEATMAP_TOP = 30, 18
MONTH_LABEL_WIDTH = 24  # a three-letter month at the labels' 9px, with room to spare
LEVELS = [
    (0, "No session"),
    (1, "Under 10 minutes"),
    (10, "10 to 19 minutes"),
    (20, "20 to 39 minutes"),
    (40, "40 minutes or more"),
]
WEEKDAY_LABELS = {0: "Mon", 2: "Wed", 4: "Fri"}


def bar_chart(
    items: list[dict[str, Any]],
    value: str,
    *,
    box: dict[str, int] = BAR_CHART,
    bar_share: float = 0.64,
    value_gap: int = 6,
    axis_gap: int = 18,
) -> dict[str, Any]:
    """Bars for ``items[i][value]`` in ``box``'s fixed viewBox, the tallest reaching the top:
    x, y, height and label positions per bar; a non-zero value is never drawn under 2 units.
    The dashboard's weekly minutes and the offers' redemptions per day share it."""
    inner_w = box["width"] - box["left"] - box["right"]
    inner_h = box["height"] - box["top"] - box["bottom"]
    peak = max([item[value] for item in items] + [1])
    slot = inner_w / max(len(items), 1)
    bar_w = max(slot * bar_share, 1)
    axis_y = box["height"] - box["bottom"] + axis_gap
    bars = []
    for index, item in enumerate(items):
        height = round(inner_h * item[value] / peak, 1)
        if item[value] and height < 2:
            height = 2
        x = round(box["left"] + index * slot + (slot - bar_w) / 2, 1)
        y = round(box["top"] + inner_h - height, 1)
        bars.append(
            {
                **item,
                "x": x,
                "y": y,
                "width": round(bar_w, 1),
                "height": height,
                "label_x": round(x + bar_w / 2, 1),
                "value_y": round(y - value_gap, 1),
                "axis_y": axis_y,
            }
        )
    return {
        **box,
        "bars": bars,
        "baseline_y": box["top"] + inner_h,
        "axis_y": axis_y,
        "axis_end": box["width"] - box["right"],
        "peak": peak if any(item[value] for item in items) else 0,
        "total": sum(item[value] for item in items),
    }


def weekly_bars(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars for minutes per week (the dashboard)."""
    return bar_chart(weeks, "minutes")


def level_of(minutes: int, sessions: int) -> int:
    if not sessions and not minutes:
        return 0
    level = 1
    for index, (threshold, _) in enumerate(LEVELS[1:], start=1):
        if minutes >= threshold:
            level = index
    return level


def heatmap(days: list[dict[str, Any]]) -> dict[str, Any]:
    """A GitHub-style calendar: one column per week (Monday on top), one cell per day."""
    if not days:
        return {"cells": [], "months": [], "width": 0, "height": 0, "weekdays": [], "legend": []}
    first: dt.date = days[0]["date"]
    first_monday = first - dt.timedelta(days=first.weekday())
    cells, months = [], []
    seen_month = None
    for day in days:
        date: dt.date = day["date"]
        column = (date - first_monday).days // 7
        x = HEATMAP_LEFT + column * (CELL + GAP)
        y = HEATMAP_TOP + date.weekday() * (CELL + GAP)
        level = level_of(day.get("minutes", 0), day.get("sessions", 0))
        cells.append(
            {
                **day,
                "x": x,
                "y": y,
                "level": level,
                "rest": bool(day.get("rest")),
                "dot_x": x + CELL / 2,
                "dot_y": y + CELL / 2,
            }
        )
        if (date.year, date.month) != seen_month and date.day <= 7:
            months.append({"x": x, "label": date.strftime("%b")})
            seen_month = (date.year, date.month)
    columns = (days[-1]["date"] - first_monday).days // 7 + 1
    width = HEATMAP_LEFT + columns * (CELL + GAP)
    if months:  # room for the last month's label, which may start in the last column
        width = max(width, months[-1]["x"] + MONTH_LABEL_WIDTH)
    return {
        "cells": cells,
        "cells_svg": _heatmap_cells_svg(cells),
        "months": months,
        "width": width,
        "height": HEATMAP_TOP + 7 * (CELL + GAP),
        "cell": CELL,
        "weekdays": [
            {"y": HEATMAP_TOP + row * (CELL + GAP) + CELL - 1, "label": label}
            for row, label in WEEKDAY_LABELS.items()
        ],
        "legend": [{"level": index, "label": label} for index, (_, label) in enumerate(LEVELS)],
    }


def _cell_title(cell: dict[str, Any]) -> str:
    date: dt.date = cell["date"]
    label = f"{date:%a} {date.day} {date:%b} {date.year}"
    sessions = cell.get("sessions", 0)
    if sessions:
        plural = "" if sessions == 1 else "s"
        return f"{label}: {sessions} session{plural}, {cell.get('minutes', 0)} min"
    return f"{label}: {'rest day' if cell['rest'] else 'no session'}"


def _heatmap_cells_svg(cells: list[dict[str, Any]]) -> SafeString:
    """The 365 day cells as SVG markup (each with its text in a <title>), built here
    rather than in a template loop, which took ~100 ms a page for this many cells.

    Plain string formatting, not ``format_html`` (which escaped 3,300 values a render,
    about a third of a chart render's CPU): every value is a number computed in ``heatmap``
    or a fixed class name; the title, the one piece of text, is escaped as ``format_html``
    would."""
    parts = []
    for cell in cells:
        rest = bool(cell["rest"])
        dot = (
            f'<circle class="heat-rest-dot" cx="{float(cell["dot_x"])}" '
            f'cy="{float(cell["dot_y"])}" r="2"/>'
            if rest
            else ""
        )
        parts.append(
            f'<rect class="heat heat-{int(cell["level"])}{" heat-rest" if rest else ""}" '
            f'x="{int(cell["x"])}" y="{int(cell["y"])}" width="{CELL}" height="{CELL}" rx="2">'
            f"<title>{escape(_cell_title(cell))}</title></rect>{dot}"
        )
    return mark_safe("".join(parts))  # noqa: S308 (numbers, fixed names, escaped titles)


def months_summary(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The heatmap as text: per month, days practised, sessions, minutes and rest days."""
    months: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
    for day in days:
        date: dt.date = day["date"]
        month = months.setdefault(
            (date.year, date.month),
            {"label": date.strftime("%B %Y"), "days": 0, "sessions": 0, "minutes": 0, "rest": 0},
        )
        if day.get("sessions"):
            month["days"] += 1
            month["sessions"] += day["sessions"]
        month["minutes"] += day.get("minutes", 0)
        month["rest"] += bool(day.get("rest"))
    return list(reversed(months.values()))
