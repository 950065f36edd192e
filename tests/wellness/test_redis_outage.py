"""Redis is a cache and the broker, never the record: a real Redis stopped mid-run.

While it is down, signup (with its confirmation email), login, logout, every member page
and the API answer as usual, on the database; ``/healthz`` answers 503 naming the broker.
When it is back on the same port, the same processes use it again: no restart.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import pytest
import redis
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from routines.models import DailyActivity, SessionLog
from tests import servers
from tests.factories import RoutineFactory, UserFactory
from wellness.cache import RedisOrMemoryCache
from wellness.celery import app

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PASSWORD = "correct-horse-battery"
PAGES = ["/dashboard/", "/sessions/", "/library/", "/me/profile/", "/me/emails/", "/"]


@pytest.fixture
def redis_site(redis_server, monkeypatch):
    """The product's production cache, session and broker settings, on this Redis, with
    allauth's and DRF's rate limits on (they count in the cache)."""
    from django.conf import settings

    options = {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.5}
    caches = {
        "default": {
            "BACKEND": "wellness.cache.RedisOrMemoryCache",
            "LOCATION": redis_server.url,
            "OPTIONS": options,
        },
        "sessions": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "sessions",
            "OPTIONS": {**options, "IGNORE_EXCEPTIONS": True},
        },
    }
    monkeypatch.setattr(app.conf, "broker_url", redis_server.url)
    with override_settings(
        CACHES=caches,
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
        SESSION_CACHE_ALIAS="sessions",
        ACCOUNT_RATE_LIMITS={"login_failed": "10/m/ip,5/5m/key", "signup": "20/m/ip"},
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "10/min"}},
    ):
        yield redis_server
        cache.clear()


def keys_in(server: servers.RedisServer) -> int:
    return redis.Redis.from_url(server.url).dbsize()


def signup(client: Client, email: str) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Robin",
            "timezone": "Europe/Lisbon",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    confirmation = mail.outbox[-1]
    assert confirmation.to == [email]
    link = re.search(r"https?://\S+", confirmation.body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.post(path).status_code == 302  # confirmed, and signed in


def everything_answers(member, routine) -> None:
    """Login, every member page, the API (token and session), logout: as usual."""
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    for page in PAGES:
        assert browser.get(page).status_code == 200, page

    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    body = {
        "client_id": str(uuid.uuid4()),
        "routine": routine.pk,
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(minutes=7)).isoformat(),
    }
    logs = SessionLog.objects.filter(user=member).count()
    response = browser.post("/api/v1/sessions/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert SessionLog.objects.filter(user=member).count() == logs + 1
    # Nothing half-written: the aggregates moved with the log.
    day = DailyActivity.objects.get(user=member, local_date=start.astimezone(member.zone).date())
    assert day.sessions == logs + 1

    answer = Client().post(
        "/api/v1/auth/token/",
        {"email": member.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code in {200, 201}, answer.content
    api = Client(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    stats = api.get("/api/v1/me/stats/")
    assert stats.status_code == 200
    assert stats.json()["sessions_total"] == logs + 1
    assert api.get("/api/v1/sessions/").json()["count"] == logs + 1
    assert api.get("/api/v1/series/").status_code == 200

    assert browser.post(reverse("account_logout")).status_code == 302
    assert browser.get("/dashboard/").status_code == 302  # signed out for good


def test_every_page_and_api_operation_works_while_redis_is_down_and_after(redis_site):
    server = redis_site
    routine = RoutineFactory()
    member = UserFactory()

    everything_answers(member, routine)
    assert keys_in(server) > 0  # sessions and rate-limit counters live in Redis
    assert Client().get("/healthz").status_code == 200

    server.stop()
    with pytest.raises(redis.ConnectionError):
        keys_in(server)
    signup(Client(), "during-the-outage@example.com")
    everything_answers(member, routine)
    health = Client().get("/healthz")
    assert health.status_code == 503
    assert health.json()["broker"] == {
        "ok": False,
        "transport": "redis",
        "error": health.json()["broker"]["error"],
    }
    assert health.json()["database"]["ok"] is True

    server.start()  # the same port, empty, as after a crash; no process restarted
    everything_answers(member, routine)
    time.sleep(RedisOrMemoryCache.RETRY_SECONDS)  # the default cache tries Redis again
    everything_answers(member, routine)
    assert keys_in(server) > 0  # used again
    assert Client().get("/healthz").status_code == 200


def test_a_session_started_before_the_outage_survives_it(redis_site):
    """The database is the record of sessions: a member signed in before Redis went away
    stays signed in during the outage and after it comes back empty."""
    server = redis_site
    member = UserFactory()
    browser = Client()
    browser.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert browser.get("/dashboard/").status_code == 200
    server.stop()
    assert browser.get("/dashboard/").status_code == 200
    server.start()
    assert browser.get("/dashboard/").status_code == 200


def test_login_rate_limits_still_count_while_redis_is_down(redis_site, caplog):
    """Each process's memory stands in for Redis (wellness.cache), so allauth's per-account
    lockout holds during an outage instead of refusing (or admitting) everyone."""
    redis_site.stop()
    member = UserFactory()
    browser = Client()
    for _ in range(5):
        response = browser.post(
            reverse("account_login"), {"login": member.email, "password": "wrong"}
        )
        assert response.status_code == 200  # the form, with its error
    locked = browser.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.content.decode()
    assert browser.get("/dashboard/").status_code == 302  # not signed in
    unreachable = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(unreachable) == 1  # said once, not on every operation
