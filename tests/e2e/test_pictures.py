"""Pictures in Chromium (issue 13): the JS player shows each step's picture, mirrored for
the left side; the tension map follows what is typed; and axe-core finds nothing serious
on the pages with pictures, at phone and desktop width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from routines.models import Routine, SafetyAcknowledgement, Series
from routines.services import session_log_create
from routines.starter_content import starter_library_load
from tests.e2e.test_members_layout import (
    DESKTOP,
    PHONE,
    assert_no_serious_violations,
    signed_in_page,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def _member_of_the_starter_library():
    starter_library_load()
    user = UserFactory()
    for series in Series.objects.all():
        SafetyAcknowledgement.objects.create(user=user, series=series)
    return user, Routine.objects.get(slug="hand-massage")


@VIEWPORTS
def test_the_js_player_shows_each_step_s_picture_and_mirrors_the_left_hand(
    new_context, live_server, viewport
):
    user, routine = _member_of_the_starter_library()
    page = signed_in_page(new_context, live_server, user, viewport)
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    expect(page.locator("#player-play")).to_have_text("Start")
    picture = page.locator("#step-picture svg")
    expect(picture).to_have_attribute(
        "aria-label", "Right hand, back: the back of the hand is highlighted."
    )
    expect(picture).to_be_in_viewport()
    page.keyboard.press("ArrowRight")
    expect(picture).to_have_attribute(
        "aria-label", "Right hand, back: the whole hand is highlighted."
    )
    expect(page.locator("#step-picture .pic-caption")).to_have_text(
        "Right hand, back: the whole hand"
    )
    for _ in range(9):  # on to the left hand's first step
        page.keyboard.press("ArrowRight")
    expect(page.locator("#player-progress")).to_have_text("Step 1 of 10 · left hand")
    expect(picture).to_have_attribute(
        "aria-label", "Left hand, back: the back of the hand is highlighted."
    )
    assert page.locator("#step-picture .pic-body").get_attribute("transform") == (
        "matrix(-1 0 0 1 200 0)"
    )
    assert page.locator("#step-picture [id$='region-back-of-hand']").count() == 1
    assert_no_serious_violations(page)


@VIEWPORTS
def test_pages_with_pictures_pass_axe(new_context, live_server, viewport):
    user, routine = _member_of_the_starter_library()
    start = timezone.now() - dt.timedelta(hours=3)
    log, _ = session_log_create(
        user=user,
        routine=routine,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=12),
        tension_map={"hands": {"before": 6, "after": 2}},
    )
    page = signed_in_page(new_context, live_server, user, viewport)
    for url in (
        reverse("routines:library"),
        reverse("routines:series", kwargs={"slug": "hands"}),
        reverse("routines:routine", kwargs={"pk": routine.pk}),
        reverse("routines:dashboard"),
        reverse("routines:session", kwargs={"log_id": log.pk}),
        reverse("routines:sessions"),
        reverse("routines:session_new"),
        "/no-such-page/",
    ):
        page.goto(live_server.url + url)
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), url
        assert_no_serious_violations(page)

    # The finish page: what is typed in the table shows on the body map.
    page.goto(live_server.url + reverse("routines:finish", kwargs={"pk": routine.pk}) + "?done=0")
    page.get_by_text("Tension by body part (optional)").click()
    page.get_by_label("Hands, before").fill("7")
    page.get_by_label("Hands, after").fill("3")
    expect(page.locator("[data-label-for='hands'] [data-detail]")).to_have_text("7 → 3")
    page.get_by_label("Hands, before").fill("")
    page.locator("#tension-region-hands path").first.click()  # the map leads to its field
    expect(page.get_by_label("Hands, before")).to_be_focused()
    assert_no_serious_violations(page)
