"""An API token's member read from the shared cache (``accounts.backends.token_user``).

With a shared cache (Redis in production; the locmem test cache stands in here) the
token's member is cached, so a request with a known token reads neither the token nor
the user table. Deleting the token, deactivating the member or changing what the
member's requests depend on (the zone) must take effect on the very next request.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.backends import token_cache_key, token_user
from routines.models import SessionLog
from tests.factories import RoutineFactory, UserFactory, session_payload

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/sessions/"
AUTH_TABLES = ('"authtoken_token"', '"accounts_user"')
LOG_TABLE = SessionLog._meta.db_table


@pytest.fixture
def shared():
    with override_settings(CACHE_IS_SHARED=True):
        yield


def request(client, method: str = "post", data: dict | None = None):
    """The response and the SQL it sent that touched the token or user tables."""
    with CaptureQueriesContext(connection) as queries:
        if method == "post":
            response = client.post(
                SESSIONS, data or session_payload(RoutineFactory()), format="json"
            )
        else:
            response = client.get(SESSIONS)
    return response, [q["sql"] for q in queries if _reads_auth_tables(q["sql"])]


def _reads_auth_tables(sql: str) -> bool:
    # Not the insert: its check that the token still belongs to the member it remembered
    # is part of the write (routines.services, tests/routines/test_stats_pending.py).
    return any(t in sql for t in AUTH_TABLES) and f"INSERT INTO {LOG_TABLE}" not in sql


def refused(response, message: str) -> bool:
    # Token authentication comes first, so DRF answers 401 with its challenge.
    return (
        response.status_code == 401
        and response["WWW-Authenticate"] == "Token"
        and response.json() == {"detail": message}
    )


def cached(token_key: str):
    return caches["default"].get(token_cache_key(token_key))


@pytest.mark.parametrize("method", ["post", "get"])
def test_a_second_request_with_the_same_token_reads_no_token_or_user(
    shared, token_api, token, method
):
    response, first = request(token_api, method)
    assert response.status_code in {200, 201}, response.content
    assert first  # the first request loaded the token's member
    assert cached(token.key) == token.user
    response, second = request(token_api, method)
    assert response.status_code in {200, 201}, response.content
    assert second == []


def test_the_cached_member_is_the_tokens_member(shared, user):
    other = UserFactory()
    mine, theirs = Token.objects.create(user=user), Token.objects.create(user=other)
    for _ in range(2):
        for token, owner in [(mine, user), (theirs, other)]:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            response = client.post(SESSIONS, session_payload(RoutineFactory()), format="json")
            assert response.status_code == 201
            log = SessionLog.objects.get(client_id=response.json()["client_id"])
            assert log.user_id == owner.pk
    assert SessionLog.objects.filter(user=user).count() == 2
    assert SessionLog.objects.filter(user=other).count() == 2


@pytest.mark.parametrize("how", ["queryset", "instance"])
def test_a_deleted_token_is_refused_on_the_next_request(shared, token_api, token, how):
    key = token.key  # Django clears the primary key (the token) of a deleted instance
    assert request(token_api)[0].status_code == 201
    assert request(token_api)[1] == []  # served from the cache
    if how == "queryset":
        Token.objects.filter(user=token.user).delete()
    else:
        token.delete()
    assert cached(key) is None
    response, reads = request(token_api)
    assert refused(response, "Invalid token.")
    assert reads  # looked up again, not answered from the cache
    assert cached(key) is None


def test_a_deactivated_member_is_refused_on_the_next_request(shared, token_api, token, user):
    assert request(token_api)[0].status_code == 201
    assert request(token_api)[1] == []
    user.is_active = False
    user.save()
    response, _ = request(token_api)
    assert refused(response, "User inactive or deleted.")
    assert SessionLog.objects.filter(user=user).count() == 2  # the refused POST wrote nothing


def test_a_deleted_member_is_refused_on_the_next_request(shared, token_api, token, user):
    assert request(token_api)[0].status_code == 201
    assert request(token_api)[1] == []
    user.delete()
    assert refused(request(token_api)[0], "Invalid token.")


def test_a_zone_change_moves_the_next_posts_local_date(shared, token_api, token, user):
    assert user.timezone == "UTC"
    # 22:30 UTC yesterday: still yesterday in UTC, already today in Tokyo (UTC+9).
    yesterday = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)
    late = dt.datetime.combine(yesterday, dt.time(22, 30), tzinfo=dt.UTC)
    first = token_api.post(
        SESSIONS, session_payload(RoutineFactory(), start=late, minutes=5), format="json"
    )
    assert first.status_code == 201, first.content
    assert first.json()["local_date"] == yesterday.isoformat()
    assert first.json()["timezone"] == "UTC"
    assert request(token_api)[1] == []  # the member is cached now
    user.timezone = "Asia/Tokyo"
    user.save()
    second = token_api.post(
        SESSIONS, session_payload(RoutineFactory(), start=late, minutes=5), format="json"
    )
    assert second.status_code == 201, second.content
    assert second.json()["local_date"] == (yesterday + dt.timedelta(days=1)).isoformat()
    assert second.json()["timezone"] == "Asia/Tokyo"


@override_settings(CACHE_IS_SHARED=False)
@pytest.mark.parametrize("method", ["post", "get"])
def test_with_a_per_process_cache_every_request_reads_the_token(token_api, token, method):
    for _ in range(3):
        response, reads = request(token_api, method)
        assert response.status_code in {200, 201}
        assert reads
    assert cached(token.key) is None
    assert not [key for key in caches["default"]._cache if "accounts:token" in key]


def test_token_user_without_a_shared_cache_always_loads(settings, user):
    assert settings.CACHE_IS_SHARED is False
    calls: list[str] = []

    def load(key: str):
        calls.append(key)
        return user

    assert token_user("k" * 40, load) == user
    assert token_user("k" * 40, load) == user
    assert calls == ["k" * 40, "k" * 40]


def test_the_cache_key_never_contains_the_token(shared, token_api, token):
    key = token_cache_key(token.key)
    assert token.key not in key
    assert token.key.lower() not in key.lower()
    assert token_cache_key(token.key) == key  # stable
    assert token_cache_key(token.key[:-1] + ("0" if token.key[-1] != "0" else "1")) != key
    request(token_api)
    stored = list(caches["default"]._cache)
    assert stored
    assert not [name for name in stored if token.key in name]


def test_an_unknown_token_is_refused_and_not_cached(shared, user):
    unknown = "f" * 40
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {unknown}")
    for _ in range(2):
        response, reads = request(client)
        assert refused(response, "Invalid token.")
        assert reads  # asked the database each time: no negative entry
        assert cached(unknown) is None
    # The same key made a real token later works at once.
    Token.objects.create(key=unknown, user=user)
    assert request(client)[0].status_code == 201
    assert cached(unknown) == user
