"""Pages work in a real browser under the Content-Security-Policy: no violation reported,
the API docs (Swagger UI) included."""

from __future__ import annotations

import pytest

from tests.factories import RoutineFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect


def watch_violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return seen


def test_the_api_docs_render_under_the_policy(page, live_server):
    violations = watch_violations(page)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
    assert violations == []


def test_the_player_runs_under_the_policy(page, live_server, client):
    routine = RoutineFactory()
    member = UserFactory()
    client.force_login(member)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    violations = watch_violations(page)
    page.goto(f"{live_server.url}/routines/{routine.pk}/play/")
    # The JS player took over the no-JS page: pressing play starts its get-ready timer.
    page.locator("#player-play").click()
    expect(page.locator("#step-timer")).to_contain_text("Get ready", timeout=15000)
    assert violations == []
