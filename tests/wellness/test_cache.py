"""``wellness.cache.RedisCache`` on a real Redis, alone and as the site's shared cache."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.backends import user_cache_key
from routines.services import session_log_create
from tests.factories import RoutineFactory
from wellness import pagecache
from wellness.cache import RedisCache

pytestmark = pytest.mark.integration

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_round_trips_on_a_real_redis(fresh_redis_url):
    cache = RedisCache(fresh_redis_url, {})
    assert cache.get("missing") is None
    assert cache.get("missing", "fallback") == "fallback"
    cache.set("greeting", {"text": "hello", "n": [1, 2]}, 60)
    assert cache.get("greeting") == {"text": "hello", "n": [1, 2]}
    assert cache.add("greeting", "other") is False
    cache.set("count", 1)
    assert cache.incr("count") == 2
    assert cache.incr("count", 5) == 7
    cache.set_many({"a": 1, "b": "two"})
    assert cache.get_many(["a", "b", "absent"]) == {"a": 1, "b": "two"}
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    assert cache.get("a") is None
    assert cache.has_key("b")
    cache.set("timed", "x", 60)
    assert 0 < cache._cache.get_client().ttl(cache.make_key("timed")) <= 60
    cache.clear()
    assert cache.get("b") is None


def _in_use(cache) -> int:
    return len(cache._cache.get_client(write=True).connection_pool._in_use_connections)


def test_a_set_sent_without_waiting_is_confirmed_when_settled(fresh_redis_url):
    cache = RedisCache(fresh_redis_url, {})
    sent = cache.set_without_waiting("mark", "pending", 1500)
    assert _in_use(cache) == 1  # its connection waits for the reply to be read
    assert sent.settle() is True
    assert sent.settle() is True  # once read, the answer stays
    assert _in_use(cache) == 0
    assert cache.get("mark") == "pending"
    assert 0 < cache._cache.get_client().pttl(cache.make_key("mark")) <= 1500
    cache.set_without_waiting("count", 3, 1500).settle()
    assert cache.get("count") == 3  # stored as Django's backend stores it


def test_a_refused_set_settles_false_and_keeps_its_connection(fresh_redis_url, caplog):
    cache = RedisCache(fresh_redis_url, {})
    cache.set("before", 1)
    pool = cache._cache.get_client(write=True).connection_pool
    sent = cache.set_without_waiting("mark", "pending", 0)  # Redis refuses an expiry of 0
    assert sent.settle() is False
    assert "refused" in caplog.text
    assert _in_use(cache) == 0 and len(pool._available_connections) == 1
    assert cache.get("mark") is None and cache.get("before") == 1


def test_a_set_whose_reply_is_lost_settles_false_and_drops_the_connection(
    fresh_redis_url, caplog, monkeypatch
):
    import redis

    cache = RedisCache(fresh_redis_url, {})
    sent = cache.set_without_waiting("mark", "pending", 1500)
    connection = sent._connection

    def lost(*args, **kwargs):
        raise redis.ConnectionError("Connection closed by server.")

    monkeypatch.setattr(connection, "read_response", lost)
    assert sent.settle() is False
    assert "did not confirm" in caplog.text
    assert connection._sock is None  # never reused with an unread reply in it
    assert _in_use(cache) == 0
    monkeypatch.undo()
    assert cache.set_without_waiting("mark", "again", 1500).settle() is True
    assert cache.get("mark") == "again"


def test_set_without_waiting_elsewhere_sets_at_once(db):
    from django.core.cache import cache

    from wellness.cache import set_without_waiting

    sent = set_without_waiting("mark", "pending", milliseconds=2000)
    assert cache.get("mark") == "pending"
    assert sent.settle() is True


def test_one_client_per_connection_pool(fresh_redis_url):
    import redis

    cache = RedisCache(fresh_redis_url, {})
    client = cache._cache.get_client()
    assert isinstance(client, redis.Redis)
    assert cache._cache.get_client() is client
    assert cache._cache.get_client("some-key") is client
    assert cache._cache.get_client(write=True) is client  # one server: one pool
    for _ in range(3):
        cache.set("k", "v")
        assert cache.get("k") == "v"
    assert cache._cache.get_client() is client
    assert len(cache._cache._pools) == 1


def test_a_replica_gets_its_own_client_and_writes_go_to_the_primary(fresh_redis_url):
    # The same server twice stands in for a primary and a replica.
    cache = RedisCache([fresh_redis_url, fresh_redis_url], {})
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client()
    assert writer is not reader
    assert cache._cache.get_client(write=True) is writer
    assert cache._cache.get_client() is reader
    assert writer.connection_pool is not reader.connection_pool
    cache.set("k", "v")
    assert cache.get("k") == "v"


# --- The site on Redis: pages, sessions and the signed-in user shared by every process -------


@pytest.fixture
def redis_site(fresh_redis_url, db):
    shared = {
        "default": {"BACKEND": "wellness.cache.RedisCache", "LOCATION": fresh_redis_url},
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
        "session-owners": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "t-owners",
        },
    }
    with override_settings(
        CACHES=shared,
        CACHE_IS_SHARED=True,
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
    ):
        caches["local"].clear()
        caches["session-owners"].clear()
        yield caches["default"]
        caches["local"].clear()
        caches["session-owners"].clear()


def test_a_token_post_waits_for_redis_only_the_first_time(redis_site, user, postgres_required):
    """On Redis: from the second POST of a token in this process, nothing is read from
    Redis, the mark is sent without waiting (with its expiry) and nothing more is sent
    after the write; every connection is back in the pool when the request ends."""
    import redis
    from rest_framework.test import APIClient

    from accounts.services import api_token_create
    from routines.selectors import STATS_GENERATION_PENDING, stats_generation_cache_key

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    routine = RoutineFactory()
    client = redis_site._cache.get_client()
    key = redis_site.make_key(stats_generation_cache_key(user.pk))

    def post(**fields) -> tuple[int, list[str]]:
        """(status, the Redis commands the request waited for)."""
        start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
        waited: list[str] = []
        real = redis.Redis.execute_command
        redis.Redis.execute_command = lambda self, *args, **kw: (
            waited.append(args[0]) or real(self, *args, **kw)
        )
        try:
            response = api.post(
                "/api/v1/sessions/",
                {
                    "routine": routine.pk,
                    "started_at": start.isoformat(),
                    "ended_at": (start + dt.timedelta(minutes=5)).isoformat(),
                    **fields,
                },
                format="json",
            )
        finally:
            redis.Redis.execute_command = real
        assert _in_use(redis_site) == 0
        return response.status_code, waited

    status, waited = post()
    assert status == 201
    assert "GET" in waited and "DEL" in waited  # the token read; forgotten afterwards
    assert client.get(key) is None
    status, waited = post()
    assert (status, waited) == (201, [])
    assert redis_site.get(stats_generation_cache_key(user.pk)) == STATS_GENERATION_PENDING
    assert 0 < client.pttl(key) <= 2000
    status, _ = post(rating=9)  # refused: the mark sent ahead is still settled
    assert status == 400


def _user_reads(client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    reads = [q["sql"] for q in queries if '"accounts_user"' in q["sql"]]
    return response.content.decode(), reads


def test_the_dashboard_page_and_the_user_come_from_redis(redis_site, client, user, monkeypatch):
    start = timezone.now() - dt.timedelta(hours=3)
    session_log_create(
        user=user,
        routine=RoutineFactory(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=23),
    )
    from routines import charts

    calls: list[int] = []
    real_heatmap = charts.heatmap
    monkeypatch.setattr(charts, "heatmap", lambda days: calls.append(1) or real_heatmap(days))
    client.force_login(user)
    url = reverse("routines:dashboard")
    first, _ = _user_reads(client, url)
    redis = redis_site._cache.get_client()
    assert redis.keys("*page:*")  # the page is in Redis
    assert redis.exists(redis_site.make_key(user_cache_key(user.pk)))  # and so is the member

    caches["local"].clear()  # another process
    second, reads = _user_reads(client, url)
    assert reads == []
    assert calls == [1]
    assert "in all · 23 min" in second
    assert pagecache.CSRF_SLOT not in second and pagecache.MESSAGES_SLOT not in second
    assert TOKEN.search(first).group(1) != TOKEN.search(second).group(1)

    user.set_password("a-brand-new-passphrase")
    user.save()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
