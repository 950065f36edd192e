"""The library in Chromium: choosing a body part keeps the search text (issue 13)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.test_members_layout import DESKTOP, PHONE, assert_no_serious_violations
from tests.factories import BodyPartFactory, SeriesFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_choosing_a_body_part_keeps_the_typed_search(new_context, live_server, viewport):
    hands = BodyPartFactory(slug="hands", name="Hands")
    feet = BodyPartFactory(slug="feet", name="Feet")
    SeriesFactory(title="Wrist ease", summary="For the wrist.", body_parts=[hands])
    SeriesFactory(title="Hand warm-up", summary="Palms and fingers.", body_parts=[hands])
    SeriesFactory(title="Ankle wrist-free", summary="For the wrist? No, ankles.", body_parts=[feet])
    page = new_context(viewport=viewport).new_page()
    page.goto(live_server.url + reverse("routines:library"))

    page.get_by_label("Search", exact=True).fill("wrist")  # typed, not yet sent
    page.get_by_role("button", name="Hands").click()
    expect(page.get_by_role("button", name="Hands")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Search", exact=True)).to_have_value("wrist")
    expect(page.get_by_role("link", name="Wrist ease")).to_be_visible()
    expect(page.get_by_role("link", name="Hand warm-up")).to_have_count(0)
    expect(page.get_by_role("link", name="Ankle wrist-free")).to_have_count(0)

    # Enter in the search box keeps the chosen body part.
    page.get_by_label("Search", exact=True).fill("palms")
    page.get_by_label("Search", exact=True).press("Enter")
    expect(page.get_by_role("link", name="Hand warm-up")).to_be_visible()
    expect(page.get_by_role("button", name="Hands")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="All").click()
    expect(page.get_by_label("Search", exact=True)).to_have_value("palms")
    expect(page.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "true")
    assert_no_serious_violations(page)
