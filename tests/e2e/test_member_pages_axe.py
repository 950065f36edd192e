"""The other pages issue 13 touched, at phone and desktop width: the player and its finish
page without JavaScript (axe-core), the account pages in Kneadful's words, the error pages.
axe-core on every page as served: tests/e2e/test_every_page_axe.py."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from routines.models import Step
from tests.e2e.test_members_layout import (
    DESKTOP,
    PHONE,
    assert_no_serious_violations,
    signed_in_page,
)
from tests.factories import RoutineFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")


@VIEWPORTS
def test_player_and_finish_page_without_javascript(new_context, live_server, viewport):
    routine = RoutineFactory(steps=2, per_side=True)
    Step.objects.filter(routine=routine).update(area="palm")
    page = signed_in_page(new_context, live_server, UserFactory(), viewport)
    # The pages as they are without Kneadful's scripts (axe itself needs JavaScript).
    page.route("**/static/js/**", lambda route: route.abort())
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    picture = page.get_by_role("img", name="Right hand, palm: the whole palm is highlighted.")
    expect(picture).to_be_visible()
    expect(page.locator("#player")).to_have_attribute("data-state", "nojs")
    assert _fits(page)
    assert_no_serious_violations(page)
    page.get_by_role("button", name="End early and log what I did").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nothing to save this time")
    assert_no_serious_violations(page)
    page.goto(live_server.url + reverse("routines:finish", kwargs={"pk": routine.pk}) + "?done=0")
    expect(page.get_by_role("heading", level=1)).to_have_text("How did it go?")
    assert _fits(page)
    assert_no_serious_violations(page)


@VIEWPORTS
def test_account_pages_in_our_words(new_context, live_server, viewport):
    context = new_context(viewport=viewport)
    page = context.new_page()
    routine = RoutineFactory()
    page.goto(live_server.url + reverse("routines:play", kwargs={"pk": routine.pk}))
    expect(page.get_by_text("Log in to start a guided session")).to_be_visible()
    expect(page.get_by_label("Keep me logged in on this device")).to_be_visible()
    assert_no_serious_violations(page)
    page.goto(live_server.url + reverse("account_signup"))
    page.get_by_label("Email address").fill("a" * 300 + "@example.com")
    page.locator("#id_password1").fill("a calm long passphrase 42")
    page.locator("#id_password2").fill("a calm long passphrase 42")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Please use a shorter address.")).to_be_visible()
    assert_no_serious_violations(page)
    # axe on these pages: tests/e2e/test_every_page_axe.py (every page, both widths).
    for name in ("account_reset_password", "account_reset_password_done"):
        page.goto(live_server.url + reverse(name))
        assert _fits(page)
    member = signed_in_page(new_context, live_server, UserFactory(), viewport)
    for name in ("account_email", "account_change_password", "account_reauthenticate"):
        member.goto(live_server.url + reverse(name))
        assert _fits(member)


@VIEWPORTS
@pytest.mark.urls("tests.wellness.urls_with_errors")
def test_error_pages(new_context, live_server, viewport):
    page = new_context(viewport=viewport).new_page()
    with override_settings(DEBUG=False):
        page.goto(live_server.url + "/broken/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Something went wrong on our side"
        )
        page.get_by_role("link", name="Browse the library").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Routine library")
        page.goto(live_server.url + "/no-such-page/")
        expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
        assert _fits(page)
