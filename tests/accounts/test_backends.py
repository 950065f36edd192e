"""The signed-in member read from the cache (``accounts.backends``) when the cache is shared.

Caching the user must never keep a session alive that the database would end: a
password change on another device, a deactivation or a deletion signs the session out
on its next request.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import AuthenticationBackend, ModelBackend, user_cache_key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's
OURS = {"accounts.backends.ModelBackend", "accounts.backends.AuthenticationBackend"}
PAGE = "accounts:profile"


@pytest.fixture
def shared():
    with override_settings(CACHE_IS_SHARED=True):
        yield


def user_queries(client, name: str = PAGE) -> tuple[int, list[str]]:
    """The status of a signed-in GET and the SQL it sent that reads the user table."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name))
    return response.status_code, [q["sql"] for q in queries if '"accounts_user"' in q["sql"]]


def signed_out(client) -> bool:
    response = client.get(reverse(PAGE))
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_settings_use_our_backends():
    assert set(settings.AUTHENTICATION_BACKENDS) == OURS


@pytest.mark.parametrize("page", ["accounts:profile", "routines:dashboard"])
def test_with_a_shared_cache_a_signed_in_request_does_not_read_the_user_table(
    shared, member_client, page
):
    status, first = user_queries(member_client, page)
    assert status == 200
    assert first  # the first request loaded the member
    status, second = user_queries(member_client, page)
    assert status == 200
    assert second == []


def test_with_a_per_process_cache_every_request_reads_the_user_table(member_client, settings):
    assert settings.CACHE_IS_SHARED is False  # tests run without Redis
    for _ in range(2):
        status, reads = user_queries(member_client)
        assert status == 200
        assert reads
    assert caches["default"].get(user_cache_key(member_client.session["_auth_user_id"])) is None


def test_a_password_change_elsewhere_signs_the_session_out(shared, member_client, user):
    assert user_queries(member_client)[0] == 200
    assert user_queries(member_client)[1] == []  # cached
    user.set_password("another-long-passphrase")
    user.save()
    assert signed_out(member_client)


def test_a_password_change_through_the_site_keeps_that_session_and_ends_the_others(shared, user):
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    for client in (here, elsewhere):
        assert user_queries(client)[0] == 200
    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "n3w-long-passphrase",
            "password2": "n3w-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert user_queries(here)[0] == 200
    assert signed_out(elsewhere)


def test_deactivation_signs_the_session_out(shared, member_client, user):
    assert user_queries(member_client)[0] == 200
    assert user_queries(member_client)[1] == []
    user.is_active = False
    user.save()
    assert signed_out(member_client)


def test_deletion_signs_the_session_out(shared, member_client, user):
    assert user_queries(member_client)[0] == 200
    assert user_queries(member_client)[1] == []
    user.delete()
    assert signed_out(member_client)


def test_a_changed_name_is_shown_at_once(shared, member_client, user):
    assert user_queries(member_client)[0] == 200
    user.display_name = "Fresh Name"
    user.save()
    status, reads = user_queries(member_client)
    assert status == 200 and reads  # read again after the save
    assert "Fresh Name" in member_client.get(reverse(PAGE)).content.decode()


def test_each_member_gets_their_own_cached_user(shared, client):
    alice = UserFactory(display_name="Alice Quill")
    bob = UserFactory(display_name="Bob Marsh")
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)
    for _ in range(2):
        assert "Alice Quill" in alice_client.get(reverse(PAGE)).content.decode()
        page = bob_client.get(reverse(PAGE)).content.decode()
        assert "Bob Marsh" in page and "Alice Quill" not in page


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_get_user_caches_only_active_members_when_shared(shared, user, backend):
    assert backend().get_user(user.pk) == user
    assert caches["default"].get(user_cache_key(user.pk)) == user
    assert backend().get_user(10**12) is None
    assert caches["default"].get(user_cache_key(10**12), "absent") == "absent"
    inactive = UserFactory(is_active=False)
    assert backend().get_user(inactive.pk) is None
    assert caches["default"].get(user_cache_key(inactive.pk), "absent") == "absent"


@pytest.mark.parametrize("shared_cache", [True, False])
def test_allauth_login_works_and_records_one_of_our_backends(client, user, shared_cache):
    with override_settings(CACHE_IS_SHARED=shared_cache):
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.session[BACKEND_SESSION_KEY] in OURS
        assert client.get(reverse(PAGE)).status_code == 200
        assert client.get(reverse(PAGE)).status_code == 200
        client.post(reverse("account_logout"))
        assert signed_out(client)


def test_a_wrong_password_is_still_refused(client, user, shared):
    client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
    assert signed_out(client)
