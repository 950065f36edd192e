"""/admin/login/ goes through allauth's login page, so it has the login form's limits."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LIMITS = {"login_failed": "10/m/ip,3/5m/key"}


def test_admin_login_sends_everyone_to_the_sites_login(client, staff_user):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [reverse("admin:login")]
    # A password posted to the admin's own form is never checked, and signs nobody in.
    posted = client.post(
        reverse("admin:login"), {"username": staff_user.email, "password": PASSWORD}
    )
    assert posted.status_code == 302
    assert urlsplit(posted["Location"]).path == reverse("account_login")
    assert "_auth_user_id" not in client.session


def test_a_signed_in_member_who_is_not_staff_is_refused(member_client):
    assert member_client.get(reverse("admin:login")).status_code == 403


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_admin_login_is_locked_after_the_failed_login_limit(client, staff_user):
    login_url = client.get(reverse("admin:login"))["Location"]
    for _ in range(3):
        failed = client.post(login_url, {"login": staff_user.email, "password": "wrong"})
        assert "Too many failed login attempts" not in failed.content.decode()
    locked = client.post(login_url, {"login": staff_user.email, "password": "wrong"})
    plain_form = client.post(
        reverse("account_login"), {"login": staff_user.email, "password": "wrong"}
    )
    assert locked.status_code == plain_form.status_code
    for response in (locked, plain_form):
        assert "Too many failed login attempts" in response.content.decode()
    # Even the right password is refused while locked.
    right = client.post(login_url, {"login": staff_user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in right.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    # Once the window has passed (the limit's cache entries gone), the admin opens.
    cache.clear()
    response = client.post(login_url, {"login": staff_user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
