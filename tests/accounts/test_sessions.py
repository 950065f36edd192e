"""accounts.sessions: the session, the cached member and the figures version in one MGET."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from accounts.backends import member_cache_keys
from accounts.sessions import read_with_session
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHARED = override_settings(CACHE_IS_SHARED=True, SESSION_ENGINE="accounts.sessions")
PROFILE = "accounts:profile"


def _signed_in(user) -> Client:
    """A browser signed in as ``user`` whose first visit taught this process the session's
    member (the next requests read session and member in one MGET)."""
    client = Client()
    client.force_login(user)
    assert client.get(reverse(PROFILE)).status_code == 200
    return client


def _reads(client: Client, url: str) -> tuple[int, list[list[str]]]:
    """(status, the keys of each read from the default cache) for one request."""
    reads: list[list[str]] = []
    default = caches["default"]
    orig_get, orig_many = default.get, default.get_many

    inside_many = []

    def get(key, *args, **kwargs):
        if not inside_many:  # locmem's get_many calls get for each key
            reads.append([key])
        return orig_get(key, *args, **kwargs)

    def get_many(keys, *args, **kwargs):
        reads.append(list(keys))
        inside_many.append(1)
        try:
            return orig_many(keys, *args, **kwargs)
        finally:
            inside_many.pop()

    with mock.patch.object(default, "get", get), mock.patch.object(default, "get_many", get_many):
        status = client.get(url).status_code
    return status, reads


@SHARED
def test_a_signed_in_request_reads_session_member_and_figures_in_one_round_trip():
    user = UserFactory()
    client = _signed_in(user)
    url = reverse(PROFILE)
    status, reads = _reads(client, url)
    assert status == 200
    session_key = "django.contrib.sessions.cached_db" + client.session.session_key
    first = reads[0]
    # One MGET first: the session, the member, the figures version (read_with_user).
    assert first == [session_key, *member_cache_keys(user.pk)]
    assert len(first) == 3
    # and nothing reads the session or the member again.
    assert not any(key in first for other in reads[1:] for key in other), reads


@SHARED
def test_the_member_is_still_checked_against_the_session_password_hash():
    user = UserFactory()
    client = _signed_in(user)
    url = reverse(PROFILE)
    assert client.get(url).status_code == 200
    user.set_password("a-new-password-123")
    user.save()  # another device changed the password
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@SHARED
def test_a_wrongly_remembered_owner_falls_back_to_the_session_own_member():
    user, other = UserFactory(), UserFactory()
    client = _signed_in(user)
    url = reverse(PROFILE)
    key = client.session.session_key
    caches["session-owners"].set(f"accounts:session-owner:{key}", other.pk)  # a wrong binding
    response = client.get(url)
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == user.pk
    assert other.email not in response.content.decode()


@SHARED
def test_after_logout_the_old_session_key_is_anonymous():
    user = UserFactory()
    client = _signed_in(user)
    url = reverse(PROFILE)
    old_cookie = client.cookies["sessionid"].value
    client.post(reverse("account_logout"))
    thief = Client()
    thief.cookies["sessionid"] = old_cookie
    response = thief.get(url)
    assert response.status_code == 302  # to the login page: the session is gone


@SHARED
def test_nothing_read_for_one_request_serves_the_next():
    user = UserFactory()
    client = _signed_in(user)
    url = reverse(PROFILE)
    client.get(url)
    # request_started forgets what the last request read with its session.
    from django.core.signals import request_started

    request_started.send(sender=None)
    assert read_with_session() is None


@SHARED
def test_a_display_name_change_shows_at_once():
    user = UserFactory(display_name="Before")
    client = _signed_in(user)
    url = reverse(PROFILE)
    assert "Before" in client.get(url).content.decode()
    user.display_name = "After"
    user.save()
    assert "After" in client.get(url).content.decode()
