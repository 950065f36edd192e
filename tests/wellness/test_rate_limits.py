"""Every rate limit at its production value, in one place.

tests/settings.py switches allauth's limits off (``ACCOUNT_RATE_LIMITS = False``) and raises
DRF's "token" throttle, so that other tests may log in and sign up freely. Here both are put
back to the values ``wellness.settings`` gives production (allauth's defaults with Kneadful's
``ACCOUNT_RATE_LIMITS`` over them, as allauth merges them), and each limit is tested at its
edge: exactly N requests pass, request N+1 answers 429 (JSON on the API, the site's own 429
page on pages), and another IP, address or member, where the limit is per IP, address or
member, is not affected. The limits live in the cache: tests/conftest.py clears it around
every test.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from allauth.account import app_settings as allauth_settings
from allauth.core.internal.ratelimit import Rate, parse_rates
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import ApiToken, User
from offers.models import Redemption
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ELSEWHERE = "203.0.113.9"  # another client's IP (TEST-NET-3)

# The production settings module (tests/settings.py imports it, then overrides).
production = importlib.import_module("wellness.settings")


@pytest.fixture(autouse=True)
def production_limits(settings, monkeypatch):
    assert production.ACCOUNT_RATE_LIMITS, "wellness.settings has no ACCOUNT_RATE_LIMITS"
    settings.ACCOUNT_RATE_LIMITS = production.ACCOUNT_RATE_LIMITS
    # DRF reads its rates into the throttle class once, at import: set them there.
    rates = production.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)


def limit(action: str, per: str) -> Rate:
    """The production rate of an allauth action for one kind of key ("ip", "key", "user")."""
    (rate,) = [r for r in parse_rates(allauth_settings.RATE_LIMITS[action]) if r.per == per]
    assert rate.amount > 0
    return rate


def token_throttle() -> int:
    """How many token requests an IP may make a minute (DRF's "token" scope)."""
    amount, period = production.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"].split("/")
    assert period.startswith("m"), "this test counts requests within one minute"
    return int(amount)


def assert_site_429(response) -> None:
    """The site's own 429 page (templates/429.html, in the site's layout)."""
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page
    assert 'class="skip-link"' in page


def login(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


LOCKED = "Too many failed login attempts"


# --- Login: the form and the admin (allauth's login page) ----------------------------------


def test_failed_logins_lock_the_account_after_the_per_address_limit(client, user, staff_user):
    n = limit("login_failed", "key").amount
    admin_login = client.get(reverse("admin:login"))["Location"]  # allauth's page, ?next=admin
    for attempt in range(n):
        # The admin's login is allauth's form: its failures count against the same address.
        url = admin_login if attempt % 2 else reverse("account_login")
        response = client.post(url, {"login": staff_user.email, "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
        assert LOCKED not in response.content.decode()
    locked = login(client, staff_user.email, "wrong")
    assert LOCKED in locked.content.decode()
    # Even the right password is refused while locked, on both doors, from any IP.
    for url, browser in [
        (reverse("account_login"), Client(REMOTE_ADDR=ELSEWHERE)),
        (admin_login, client),
    ]:
        right = browser.post(url, {"login": staff_user.email, "password": PASSWORD})
        assert LOCKED in right.content.decode()
        assert "_auth_user_id" not in browser.session
    # Another account is not locked.
    assert login(client, user.email, PASSWORD).status_code == 302


def test_failed_logins_are_limited_per_ip():
    n = limit("login_failed", "ip").amount
    client = Client()
    for attempt in range(n):
        response = login(client, f"nobody{attempt}@example.com", "wrong")
        assert LOCKED not in response.content.decode()
    assert LOCKED in login(client, "one.more@example.com", "wrong").content.decode()
    member = UserFactory()
    assert LOCKED in login(client, member.email, PASSWORD).content.decode()
    assert login(Client(REMOTE_ADDR=ELSEWHERE), member.email, PASSWORD).status_code == 302


def test_login_attempts_of_any_outcome_are_limited_per_ip(user):
    n = limit("login", "ip").amount
    client = Client()
    for _ in range(n):
        assert login(client, user.email, PASSWORD).status_code == 302
        client.logout()
    assert_site_429(login(client, user.email, PASSWORD))
    assert login(Client(REMOTE_ADDR=ELSEWHERE), user.email, PASSWORD).status_code == 302


# --- Signup ----------------------------------------------------------------------------------


def signup(client: Client, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": "a calm long passphrase 42",
            "password2": "a calm long passphrase 42",
            "timezone": "Europe/London",
        },
    )


def test_signups_are_limited_per_ip():
    n = limit("signup", "ip").amount
    client = Client()
    for number in range(n):
        assert signup(client, f"new{number}@example.com").status_code == 302
    assert_site_429(signup(client, "one.more@example.com"))
    assert not User.objects.filter(email="one.more@example.com").exists()
    assert signup(Client(REMOTE_ADDR=ELSEWHERE), "elsewhere@example.com").status_code == 302


# --- API tokens: allauth's lockout and DRF's throttle ----------------------------------------


def token_request(client: APIClient, email: str, password: str):
    return client.post(reverse("api-token"), {"email": email, "password": password}, format="json")


def test_token_requests_are_throttled_per_ip(user):
    n = token_throttle()
    client = APIClient()
    for _ in range(n):
        assert token_request(client, user.email, PASSWORD).status_code == 201
    throttled = token_request(client, user.email, PASSWORD)
    assert throttled.status_code == 429
    assert throttled["Content-Type"] == "application/json"
    assert "throttled" in throttled.json()["detail"]
    assert int(throttled["Retry-After"]) > 0
    assert ApiToken.objects.filter(user=user).count() == n
    assert token_request(APIClient(REMOTE_ADDR=ELSEWHERE), user.email, PASSWORD).status_code == 201


def test_failed_token_requests_lock_the_account_as_the_login_form_does(user, other_user):
    n = limit("login_failed", "key").amount
    assert n < token_throttle()  # so that the lockout, not the throttle, answers here
    client = APIClient()
    for _ in range(n):
        assert token_request(client, user.email, "wrong").status_code == 400
    locked = token_request(client, user.email, "wrong")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json() == {"detail": "Too many failed login attempts. Try again later."}
    # The right password, in any case, from any IP: still locked, and no token is made.
    elsewhere = APIClient(REMOTE_ADDR=ELSEWHERE)
    assert token_request(elsewhere, user.email, PASSWORD).status_code == 429
    assert token_request(elsewhere, user.email.upper(), PASSWORD).status_code == 429
    assert not ApiToken.objects.filter(user=user).exists()
    assert token_request(elsewhere, other_user.email, PASSWORD).status_code == 201


# --- Newsletter sign-up ----------------------------------------------------------------------


def subscribe(client: Client, email: str):
    return client.post(reverse("newsletters:subscribe"), {"email": email})


def test_newsletter_signups_are_limited_per_ip_per_minute_and_per_hour():
    rates = parse_rates(allauth_settings.RATE_LIMITS["newsletter_subscribe"])
    per_minute, per_hour = sorted(rates, key=lambda rate: rate.duration)
    assert (per_minute.duration, per_hour.duration) == (60, 3600)
    client, sent = Client(), 0
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    minutes = -(-per_hour.amount // per_minute.amount)  # enough minutes to reach the hour's
    for minute in range(minutes):
        with time_machine.travel(start + dt.timedelta(minutes=minute, seconds=1), tick=False):
            for _ in range(min(per_minute.amount, per_hour.amount - sent)):
                assert subscribe(client, f"r{sent}@example.org").status_code == 302
                sent += 1
            if minute == 0:
                assert_site_429(subscribe(client, "one.more@example.org"))
                assert subscribe(Client(REMOTE_ADDR=ELSEWHERE), "x@example.org").status_code == 302
    assert sent == per_hour.amount
    # A fresh minute, but the hour's allowance is spent.
    with time_machine.travel(start + dt.timedelta(minutes=minutes, seconds=1), tick=False):
        assert_site_429(subscribe(client, "hourly@example.org"))
        assert subscribe(Client(REMOTE_ADDR=ELSEWHERE), "y@example.org").status_code == 302


# --- Offer redemption: the page and the API share one allowance per member -------------------


def redeem_page(client: Client, offer) -> int:
    return client.post(reverse("offers:redeem", args=[offer.pk])).status_code


def redeem_api(client: APIClient, offer):
    return client.post(f"/api/v1/offers/{offer.pk}/redeem/")


def test_offer_redemptions_are_limited_per_member_on_the_page(member_client, other_user):
    n = limit("offer_redeem", "user").amount
    offers = [OfferFactory() for _ in range(n + 1)]
    for offer in offers[:n]:
        assert redeem_page(member_client, offer) == 302
    response = member_client.post(reverse("offers:redeem", args=[offers[n].pk]))
    assert response.status_code == 429
    assert "Too many attempts. Wait a minute and try again." in response.content.decode()
    assert 'class="skip-link"' in response.content.decode()  # the offers page, in the layout
    assert Redemption.objects.count() == n
    # Another member has their own allowance.
    other = Client()
    other.force_login(other_user)
    assert redeem_page(other, offers[n]) == 302


def test_offer_redemptions_are_limited_per_member_on_the_api_too(user, token_api, other_user):
    n = limit("offer_redeem", "user").amount
    offers = [OfferFactory() for _ in range(n + 1)]
    page = Client()
    page.force_login(user)
    half = n // 2
    for offer in offers[:half]:  # the page's redemptions count against the API's allowance
        assert redeem_page(page, offer) == 302
    for offer in offers[half:n]:
        assert redeem_api(token_api, offer).status_code == 201
    limited = redeem_api(token_api, offers[n])
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/json"
    assert limited.json()["detail"] == "Too many attempts. Wait a minute and try again."
    assert not Redemption.objects.filter(offer=offers[n]).exists()
    other = APIClient()
    other.force_authenticate(other_user)
    assert redeem_api(other, offers[n]).status_code == 201
