"""Member pages and API lists run the same number of queries for 10 and for 2,000 logs."""

import datetime as dt
import itertools
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from routines.models import SessionLog
from routines.services import favourite_toggle, member_activity_rebuild, rest_day_mark
from tests.factories import BodyPartFactory, RoutineFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db

URLS = [
    "/api/v1/me/stats/",  # first: its first request computes the stats, the second reads them
    "/dashboard/",
    "/sessions/",
    "/api/v1/sessions/",
    "/api/v1/me/stats/?include=heatmap",
    "/api/v1/series/",
    "/api/v1/me/favourites/",
    "/api/v1/me/rest-days/",
]


@pytest.fixture
def routines():
    parts = [BodyPartFactory(slug=slug, name=slug.title()) for slug in ("hands", "feet", "neck")]
    series = [SeriesFactory(title=f"Series {n}", body_parts=parts[: n % 3 + 1]) for n in range(6)]
    return [RoutineFactory(series=s, steps=4) for s in series]


def _member_with_logs(count: int, routines) -> object:
    """A member with ``count`` logs spread over the past days, built in bulk."""
    user = UserFactory(timezone="Europe/Paris")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cycle = itertools.cycle(routines)
    logs = []
    for n in range(count):
        start = now - dt.timedelta(days=n // 3, hours=1 + n % 3)
        logs.append(
            SessionLog(
                user=user,
                routine=next(cycle),
                client_id=uuid.uuid4(),
                started_at=start,
                ended_at=start + dt.timedelta(minutes=10),
                duration_seconds=600,
                steps_completed=4,
                steps_total=4,
                tension_before=6,
                tension_after=n % 5,
                rating=1 + n % 5,
                local_date=start.astimezone(user.zone).date(),
                timezone=user.timezone,
            )
        )
    SessionLog.objects.bulk_create(logs, batch_size=1000)
    member_activity_rebuild(user=user)
    for series in {r.series for r in routines[:3]}:
        favourite_toggle(user=user, series=series)
    rest_day_mark(user=user, local_date=now.date() - dt.timedelta(days=2000))
    return user


def _query_counts(user) -> dict[str, list[int]]:
    """Per URL: queries of a first (uncached stats) and of a second request."""
    client = APIClient()
    client.force_login(user)
    counts: dict[str, list[int]] = {}
    for url in URLS:
        counts[url] = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            counts[url].append(len(queries))
    return counts


def test_query_counts_do_not_grow_with_the_number_of_logs(routines):
    small = _member_with_logs(10, routines)
    large = _member_with_logs(2000, routines)
    assert SessionLog.objects.filter(user=large).count() == 2000
    small_counts = _query_counts(small)
    large_counts = _query_counts(large)
    assert large_counts == small_counts
    # The stats are read from a cached snapshot on the second request.
    first, second = large_counts["/api/v1/me/stats/"]
    assert second < first


def test_posting_a_session_runs_a_fixed_number_of_queries(routines):
    counts = []
    for count in (10, 2000):
        user = _member_with_logs(count, routines)
        client = APIClient()
        client.force_authenticate(user)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
        payload = {
            "routine": routines[0].pk,
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=10)).isoformat(),
        }
        for _ in range(2):  # the first may fill the routine cache
            with CaptureQueriesContext(connection) as queries:
                response = client.post(
                    "/api/v1/sessions/", {**payload, "client_id": str(uuid.uuid4())}, format="json"
                )
            assert response.status_code == 201
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_cached_stats_for_a_token_client_take_one_query(routines):
    from accounts.services import api_token_create

    user = _member_with_logs(50, routines)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    assert client.get("/api/v1/me/stats/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me/stats/").json()["sessions_total"] == 50
    assert len(queries) == 1
