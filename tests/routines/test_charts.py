"""The dashboard's chart geometry (routines/charts.py)."""

from __future__ import annotations

import datetime as dt

from routines import charts


def _year_to(today: dt.date) -> list[dict]:
    first = today.replace(year=today.year - 1) + dt.timedelta(days=1)
    return [
        {"date": first + dt.timedelta(days=n), "minutes": 0, "sessions": 0, "rest": False}
        for n in range((today - first).days + 1)
    ]


def test_the_last_month_label_fits_when_the_month_starts_in_the_last_column():
    """Issue 13: on Thursday 3 December 2026 "Dec" stood in the last column and was cut."""
    calendar = charts.heatmap(_year_to(dt.date(2026, 12, 3)))
    last = calendar["months"][-1]
    assert last["label"] == "Dec"
    assert last["x"] + charts.MONTH_LABEL_WIDTH <= calendar["width"]
    # Every cell is still inside the picture, and there is no more room than a label needs.
    assert max(cell["x"] for cell in calendar["cells"]) + charts.CELL <= calendar["width"]
    assert calendar["width"] == last["x"] + charts.MONTH_LABEL_WIDTH
