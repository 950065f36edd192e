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


def test_each_day_is_one_cell_with_its_level_title_and_rest_dot():
    """The cells are written with plain string formatting (not ``format_html``): the markup
    is still well-formed SVG, one <rect> per day in its column and row, with its level, its
    text and, on a rest day, the outline class and the dot."""
    import xml.etree.ElementTree as ET

    days = _year_to(dt.date(2026, 12, 3))
    days[-1].update(minutes=25, sessions=2)  # Thursday 3 December 2026
    days[-2].update(rest=True)  # Wednesday 2 December 2026
    calendar = charts.heatmap(days)
    markup = f'<svg xmlns="http://www.w3.org/2000/svg">{calendar["cells_svg"]}</svg>'
    svg = ET.fromstring(markup)  # noqa: S314 (our own markup)
    ns = "{http://www.w3.org/2000/svg}"
    rects = svg.findall(f"{ns}rect")
    assert len(rects) == len(days)
    practised, rest = rects[-1], rects[-2]
    assert practised.get("class") == "heat heat-3"
    assert practised.find(f"{ns}title").text == "Thu 3 Dec 2026: 2 sessions, 25 min"
    assert (practised.get("x"), practised.get("y")) == (
        str(calendar["cells"][-1]["x"]),
        str(charts.HEATMAP_TOP + 3 * (charts.CELL + charts.GAP)),
    )
    assert rest.get("class") == "heat heat-0 heat-rest"
    assert rest.find(f"{ns}title").text == "Wed 2 Dec 2026: rest day"
    dots = svg.findall(f"{ns}circle")
    assert len(dots) == 1
    assert float(dots[0].get("cx")) == calendar["cells"][-2]["x"] + charts.CELL / 2
    assert rects[0].get("class") == "heat heat-0"
    assert rects[0].find(f"{ns}title").text.endswith(": no session")
