"""Deactivation and a password change act on the very next request, pages and API alike.

Django's own backend reads the signed-in member from the database on every request and
checks the session against the password hash, so nothing cached can keep a member in.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from routines.models import SessionLog
from tests.factories import RoutineFactory, UserFactory, session_payload

pytestmark = pytest.mark.django_db

MEMBER_PAGES = ["/dashboard/", "/sessions/", "/me/profile/", "/me/emails/"]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    for page in MEMBER_PAGES:
        assert client.get(page).status_code == 200, page
    assert client.get("/api/v1/me/").status_code == 200
    return client


def assert_refused(client: Client) -> None:
    for page in MEMBER_PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert client.get("/api/v1/me/").status_code in {401, 403}


def admin_untick_active(member: User) -> None:
    """What a superuser does in the admin: the change form saved with "active" unticked."""
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    joined = member.date_joined
    response = admin.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        {
            "email": member.email,
            "display_name": member.display_name,
            "timezone": member.timezone,
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
            "last_login_0": "",
            "last_login_1": "",
            "_save": "Save",
        },  # is_active left out: unticked
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize(
    "deactivate",
    [
        lambda member: User.objects.filter(pk=member.pk).update(is_active=False),
        admin_untick_active,
    ],
    ids=["queryset-update", "admin"],
)
def test_a_deactivated_member_is_refused_on_the_next_request(deactivate):
    member = UserFactory()
    client = signed_in(member)
    deactivate(member)
    assert_refused(client)


@pytest.mark.parametrize("how", ["set_password", "password_change_form"])
def test_a_password_change_ends_other_sessions_on_the_next_request(how):
    member = UserFactory()
    elsewhere = signed_in(member)
    if how == "set_password":
        member.set_password("a-brand-new-passphrase")
        member.save()
    else:
        browser = Client()
        browser.force_login(member)
        response = browser.post(
            reverse("account_change_password"),
            {
                "oldpassword": "correct-horse-battery",
                "password1": "a-brand-new-passphrase",
                "password2": "a-brand-new-passphrase",
            },
        )
        assert response.status_code == 302, response.content.decode()[:1000]
    assert_refused(elsewhere)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["queryset-update", "save"])
def test_deactivation_while_requests_are_in_flight(live_server, how):
    """Four threads keep loading the dashboard while the member is deactivated: every
    request that starts after the deactivation committed is refused."""
    member = UserFactory()
    client = Client()
    client.force_login(member)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    opener = urllib.request.build_opener(_NoRedirect)
    results: list[tuple[float, int]] = []
    stop = threading.Event()

    def load() -> None:
        for _ in range(200):  # bounded: at most 200 requests per thread
            if stop.is_set():
                return
            request = urllib.request.Request(  # noqa: S310 - the live server's http URL
                f"{live_server.url}/dashboard/", headers={"Cookie": cookie}
            )
            started = time.monotonic()
            try:
                status = opener.open(request, timeout=10).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            results.append((started, status))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    if how == "save":
        member.is_active = False
        member.save(update_fields=["is_active"])
    else:
        User.objects.filter(pk=member.pk).update(is_active=False)
    deactivated_at = time.monotonic()
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    before = [status for started, status in results if started < deactivated_at]
    after = [status for started, status in results if started > deactivated_at]
    assert 200 in before
    assert after, "no request started after the deactivation"
    assert set(after) == {302}, after


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def test_the_api_refuses_a_deactivated_members_session_and_stores_nothing():
    member = UserFactory()
    client = signed_in(member)
    User.objects.filter(pk=member.pk).update(is_active=False)
    response = client.post(
        "/api/v1/sessions/", session_payload(RoutineFactory()), content_type="application/json"
    )
    assert response.status_code in {401, 403}
    assert not SessionLog.objects.filter(user=member).exists()
