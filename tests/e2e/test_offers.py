"""Offers in a real browser (system Chromium through Playwright): a member with a 3-day
streak sees the streak offer on the dashboard, redeems it and sees the code; an editor
creates an offer in the staff pages. axe-core checks the states only these tests reach (the
streak notice, a redeemed code, a refusal, the form's errors); every page as served:
tests/e2e/test_every_page_axe.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from offers.models import Offer, Redemption
from tests.e2e.test_members_layout import assert_no_serious_violations
from tests.factories import OfferFactory, UserFactory
from tests.offers.helpers import editor, practise

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect


def _log_in(page, live_server, user) -> None:
    """Reuse a real session: the same cookie the login form would set."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _zone_at_midday() -> str:
    """A fixed-offset IANA zone where it is about noon now, so three sessions at 09:00 on
    the member's last three days are all in the past whenever the test runs."""
    offset = 12 - timezone.now().astimezone(dt.UTC).hour  # -11 .. +12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is UTC+5


def test_a_member_with_a_three_day_streak_redeems_the_streak_offer(page, live_server):
    user = UserFactory(timezone=_zone_at_midday(), display_name="Robin")
    today = timezone.now().astimezone(user.zone).date()
    practise(user, days=3, last=today, hour=9)
    offer = OfferFactory(
        audience="streak",
        min_streak_days=3,
        title="Foam roller, half price",
        description="Half price on the foam roller.\nOne per member.",
        code="ROLL-3DAYS",
        max_redemptions=100,
    )
    OfferFactory(audience="streak", min_streak_days=7, title="Seven-day offer")

    _log_in(page, live_server, user)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator(".stat", has_text="current streak")).to_contain_text("3")
    notice = page.get_by_role(
        "region", name="Your streak unlocked an offer: Foam roller, half price"
    )
    expect(notice).to_contain_text("You practised 3 days in a row.")
    assert "Seven-day offer" not in page.content()
    assert_no_serious_violations(page)

    notice.get_by_role("link", name="See the offer and redeem it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offers")
    expect(page.get_by_role("link", name="Offers")).to_have_attribute("aria-current", "page")
    card = page.locator(f"#offer-{offer.pk}")
    expect(card.get_by_role("heading", level=2)).to_have_text("Foam roller, half price")
    expect(card).to_contain_text("Unlocked by your 3-day streak.")
    expect(card).to_contain_text("100 left.")
    assert "ROLL-3DAYS" not in page.content()
    assert_no_serious_violations(page)

    card.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Offer redeemed. Your code is ROLL-3DAYS."
    )
    card = page.locator(f"#offer-{offer.pk}")
    expect(card.locator("code.offer-code")).to_have_text("ROLL-3DAYS")
    expect(card.get_by_role("button", name="Redeem")).to_have_count(0)
    assert_no_serious_violations(page)
    assert Redemption.objects.filter(offer=offer, user=user).count() == 1

    # Redeemed: the dashboard no longer announces it; the offers page keeps the code.
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
    expect(page.get_by_text("Your streak unlocked an offer")).to_have_count(0)


def test_the_offers_page_explains_a_refusal_in_words(page, live_server):
    user = UserFactory()
    offer = OfferFactory(title="Last one", max_redemptions=1)
    _log_in(page, live_server, user)
    page.goto(f"{live_server.url}/offers/")
    # Someone else takes the last one while the page is open.
    Redemption.objects.create(offer=offer, user=UserFactory(), redeemed_at=timezone.now())
    Offer.objects.filter(pk=offer.pk).update(redemption_count=1)
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Sorry, this offer has run out: its 1 redemption has been claimed."
    )
    expect(page.get_by_role("heading", name="No offers for you right now")).to_be_visible()
    assert_no_serious_violations(page)


def test_an_editor_creates_an_offer_and_follows_it(page, live_server):
    staff = editor(timezone="Europe/Paris")
    _log_in(page, live_server, staff)
    page.goto(f"{live_server.url}/library/")
    page.get_by_role("link", name="Manage offers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage offers")

    page.get_by_role("link", name="Create an offer").click()
    page.get_by_label("Title").fill("Winter ball")
    page.get_by_label("Description", exact=True).fill("A warm ball for cold feet.")
    page.get_by_label("Code").fill("WINTER")
    page.get_by_label("Starts").fill("2026-12-24T09:00")
    page.get_by_label("Ends").fill("2026-12-24T08:00")  # before the start: refused
    page.get_by_label("Members with a streak").check()
    page.get_by_role("button", name="Save offer").click()
    expect(page.get_by_text("The end must be after the start.")).to_be_visible()
    expect(
        page.get_by_text("Enter the streak (in days) a member needs to unlock this offer.")
    ).to_be_visible()
    assert_no_serious_violations(page)

    page.get_by_label("Ends").fill("2026-12-31T18:00")
    page.get_by_label("Streak needed (days)").fill("5")
    page.get_by_role("button", name="Save offer").click()
    expect(page.get_by_role("status").first).to_contain_text("Offer saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Winter ball")
    expect(page.locator(".facts")).to_contain_text("24 December 2026 09:00")
    offer = Offer.objects.get()
    assert (offer.audience, offer.min_streak_days) == ("streak", 5)
    assert offer.starts_at == dt.datetime(2026, 12, 24, 8, 0, tzinfo=dt.UTC)
    assert re.fullmatch(r"/staff/offers/\d+/", page.url.removeprefix(live_server.url))
