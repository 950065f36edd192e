"""The members' offers page, its redeem button and the navigation link; the dashboard's
streak notice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from offers.models import Redemption
from tests.factories import OfferFactory, UserFactory
from tests.offers.helpers import practise

pytestmark = pytest.mark.django_db

UTC = dt.UTC
OFFERS = "/offers/"


def _html(response) -> str:
    return response.content.decode()


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="Main">.*?</nav>', html, re.S).group(0)


def test_the_offers_page_needs_a_login(client):
    response = client.get(OFFERS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_member_redeems_from_the_page_and_then_sees_the_code(member_client, user):
    offer = OfferFactory(title="Massage ball", code="BALL10", max_redemptions=5)
    page = _html(member_client.get(OFFERS))
    assert "Massage ball" in page and "BALL10" not in page
    assert f'action="/offers/{offer.pk}/redeem/"' in page
    assert "5 left." in page

    response = member_client.post(f"/offers/{offer.pk}/redeem/")
    assert response.status_code == 302
    assert response["Location"] == f"/offers/#offer-{offer.pk}"
    page = _html(member_client.get(response["Location"]))
    assert "Offer redeemed. Your code is BALL10." in page  # the flash message
    assert '<code class="offer-code">BALL10</code>' in page
    assert "You redeemed this offer on" in page
    assert f'action="/offers/{offer.pk}/redeem/"' not in page

    again = member_client.post(f"/offers/{offer.pk}/redeem/", follow=True)
    assert "You already redeemed this offer." in _html(again)
    assert Redemption.objects.filter(offer=offer, user=user).count() == 1


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"audience": "streak", "min_streak_days": 3}, 403, "unlocks at a 3-day practice streak"),
        ({"max_redemptions": 1, "redemption_count": 1}, 409, "this offer has run out"),
        ({"ends_in": dt.timedelta(seconds=-1)}, 409, "This offer ended on"),
    ],
)
def test_the_page_says_why_a_redemption_is_refused(member_client, fields, status, words):
    ends_in = fields.pop("ends_in", dt.timedelta(days=1))
    offer = OfferFactory(**fields)
    offer.ends_at = offer.starts_at + dt.timedelta(hours=1) + ends_in
    offer.save()
    response = member_client.post(f"/offers/{offer.pk}/redeem/")
    assert response.status_code == status
    page = _html(response)
    assert '<div class="form-errors offer-error" role="alert" id="offer-error">' in page
    assert words in page
    assert not Redemption.objects.exists()


def test_redeeming_needs_the_csrf_token(user):
    offer = OfferFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(f"/offers/{offer.pk}/redeem/").status_code == 403
    page = _html(client.get(OFFERS))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(f"/offers/{offer.pk}/redeem/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Redemption.objects.filter(offer=offer, user=user).exists()


def test_an_unknown_offer_is_404_and_get_is_not_allowed(member_client):
    offer = OfferFactory()
    assert member_client.post("/offers/999999/redeem/").status_code == 404
    assert member_client.get(f"/offers/{offer.pk}/redeem/").status_code == 405


def test_no_offers_says_how_to_get_some(member_client):
    page = _html(member_client.get(OFFERS))
    assert "No offers for you right now" in page
    assert reverse("accounts:email_preferences") in page


# --- The navigation --------------------------------------------------------------------------


def test_the_navigation_links_the_offers_page_only_when_there_is_one(member_client):
    assert OFFERS not in _nav(_html(member_client.get("/sessions/")))
    OfferFactory(audience="subscribers")  # not for this member
    assert OFFERS not in _nav(_html(member_client.get("/sessions/")))
    OfferFactory()
    nav = _nav(_html(member_client.get("/sessions/")))
    assert f'<a href="{OFFERS}" >Offers</a>' in nav
    nav = _nav(_html(member_client.get(OFFERS)))
    assert f'<a href="{OFFERS}" aria-current="page">Offers</a>' in nav


def test_the_navigation_costs_one_query_per_page(member_client):
    OfferFactory()
    with CaptureQueriesContext(connection) as queries:
        member_client.get("/sessions/")
    assert sum('"offers_offer"' in q["sql"] for q in queries.captured_queries) == 1


def test_visitors_see_no_offers_link_and_editors_see_manage_offers(editor_client):
    OfferFactory()
    assert "offers" not in _nav(_html(Client().get("/library/"))).lower()
    nav = _nav(_html(editor_client.get("/library/")))
    assert '<a href="/staff/offers/" >Manage offers</a>' in nav
    assert f'<a href="{OFFERS}" >Offers</a>' in nav


# --- The dashboard --------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 12, 9, 18, 0, tzinfo=UTC), tick=False)
def test_the_dashboard_shows_the_streak_offer_as_soon_as_the_streak_reaches_it(member_client, user):
    offer = OfferFactory(audience="streak", min_streak_days=3, title="Foam roller")
    practise(user, days=2, last=dt.date(2026, 12, 8))
    assert "Foam roller" not in _html(member_client.get("/dashboard/"))
    practise(user, days=1, last=dt.date(2026, 12, 9))  # the third day
    page = _html(member_client.get("/dashboard/"))
    assert "Your streak unlocked an offer: Foam roller" in page
    assert "You practised 3 days in a row." in page
    assert f'href="/offers/#offer-{offer.pk}"' in page
    member_client.post(f"/offers/{offer.pk}/redeem/")
    assert "Your streak unlocked an offer" not in _html(member_client.get("/dashboard/"))


def test_a_failing_notice_provider_never_breaks_the_dashboard(member_client, caplog):
    from routines import dashboard_notices

    def broken(user, stats):
        raise RuntimeError("boom")

    dashboard_notices.register_dashboard_notice(broken)
    try:
        assert member_client.get("/dashboard/").status_code == 200
    finally:
        dashboard_notices._providers.remove(broken)
    assert "Dashboard notice provider" in caplog.text


def test_a_member_who_is_not_staff_has_no_staff_link(member_client):
    UserFactory()
    assert "/staff/offers/" not in _html(member_client.get("/library/"))
