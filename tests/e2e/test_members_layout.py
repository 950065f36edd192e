"""Member pages at phone (390x844) and desktop (1280x800) width, in Chromium (issue 13):
charts open at today, logs read as cards on a phone, even stat tiles, the heatmap's labels
all in view; axe-core finds nothing serious on each page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from routines.services import session_log_create
from tests.factories import RoutineFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
AXE = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def assert_no_serious_violations(page) -> None:
    results = AXE.run(page)
    serious = [
        v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}
    ]
    assert not serious, results.generate_report()


def signed_in_page(new_context, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    context = new_context(viewport=viewport)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def member_with_history(weeks: int = 10):
    """A member who practised a little every week for ``weeks`` weeks, up to today."""
    user = UserFactory()
    routine = RoutineFactory(steps=3)
    now = timezone.now().replace(microsecond=0)
    for week in range(weeks):
        start = now - dt.timedelta(days=7 * week, hours=1)
        session_log_create(
            user=user,
            routine=routine,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=5 + week),
            tension_before=6,
            tension_after=3,
            rating=4,
        )
    return user


def in_view(page, selector: str, container: str) -> bool:
    """Whether the element lies wholly inside the container's visible box."""
    return page.evaluate(
        """([selector, container]) => {
            const el = document.querySelector(selector).getBoundingClientRect();
            const box = document.querySelector(container).getBoundingClientRect();
            return el.left >= box.left - 0.5 && el.right <= box.right + 0.5
                && el.width > 0;
        }""",
        [selector, container],
    )


@VIEWPORTS
def test_dashboard_charts_open_at_today_with_even_tiles(new_context, live_server, viewport):
    page = signed_in_page(new_context, live_server, member_with_history(), viewport)
    page.goto(live_server.url + reverse("routines:dashboard"))
    expect(page.get_by_role("heading", name="Minutes per week")).to_be_visible()

    # The current week's bar is in view without scrolling, and so is today's calendar column.
    assert in_view(page, ".bar-current rect", ".chart-scroll")
    assert in_view(page, ".heatmap rect.heat:last-of-type", ".heatmap-scroll")
    if viewport is PHONE:  # the charts are wider than a phone: they do scroll, back in time
        assert page.evaluate(
            "() => document.querySelector('.chart-scroll').scrollWidth"
            " > document.querySelector('.chart-scroll').clientWidth"
        )
    # No month label of the calendar is cut off at the right edge.
    overflow = page.evaluate(
        """() => {
            const svg = document.querySelector('svg.heatmap');
            const width = svg.viewBox.baseVal.width;
            return [...svg.querySelectorAll('.heat-month')].map((t) => {
                const box = t.getBBox();
                return box.x + box.width - width;
            });
        }"""
    )
    assert overflow and max(overflow) <= 0, overflow

    heights = page.eval_on_selector_all(
        ".stat-grid .stat", "tiles => tiles.map(t => t.getBoundingClientRect().height)"
    )
    assert len(heights) == 6 and max(heights) - min(heights) < 1, heights
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_serious_violations(page)


@VIEWPORTS
def test_sessions_list_keeps_edit_and_delete_in_reach(new_context, live_server, viewport):
    page = signed_in_page(new_context, live_server, member_with_history(weeks=3), viewport)
    page.goto(live_server.url + reverse("routines:sessions"))
    edit = page.get_by_role("link", name="Edit session of").first
    delete = page.get_by_role("link", name="Delete session of").first
    for link in (edit, delete):
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        assert box["height"] >= 24  # a comfortable target for a thumb
    # Nothing to scroll sideways, neither the page nor the list.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "() => { const s = document.querySelector('.table-scroll');"
        " return s.scrollWidth <= s.clientWidth; }"
    )
    row = page.locator(".sessions-table tbody tr").first
    if viewport is PHONE:
        # A card: each figure under its label, the actions on their own line.
        assert row.evaluate("r => getComputedStyle(r).display") == "block"
        expect(row.locator("td[data-label='Duration']")).to_be_visible()
        assert (
            page.locator(".sessions-table thead").evaluate("h => h.getBoundingClientRect().height")
            <= 1
        )
    else:
        assert row.evaluate("r => getComputedStyle(r).display") == "table-row"
        expect(page.get_by_role("columnheader", name="Duration")).to_be_visible()
    edit.click()
    expect(page.get_by_role("heading", name="Edit session")).to_be_visible()
    page.go_back()
    assert_no_serious_violations(page)
