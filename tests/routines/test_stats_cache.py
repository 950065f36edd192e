"""The dashboard's stats key read from the shared cache (``member_stats_key``).

With a shared cache (Redis in production; the locmem test cache stands in here, in one
process) the snapshot's generation is kept in the cache, so a visit to an unchanged
dashboard costs no database query at all. Every write path must forget it, so the
next visit shows the new figures. Sessions use ``cached_db`` here, as production does
when the cache is shared (the test settings otherwise use the database backend).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from routines.models import MemberStatsSnapshot
from routines.selectors import member_local_today, member_stats, stats_generation_cache_key
from routines.services import (
    member_activity_rebuild,
    practice_plan_update,
    rest_day_mark,
    session_log_create,
    session_log_delete,
    session_log_update,
)
from tests.factories import RoutineFactory, SessionLogFactory, UserFactory, session_payload
from wellness import pagecache

pytestmark = pytest.mark.django_db

DASHBOARD = "routines:dashboard"
SNAPSHOT_TABLE = MemberStatsSnapshot._meta.db_table
ALL_TIME = re.compile(
    r'<span class="stat-value">(\d+)</span> <span class="stat-label">sessions? in all · (\d+) min'
)
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
RESTED = "<p>Today is a rest day: your streak is safe.</p>"


class Boom(Exception):
    pass


def log(user, minutes: int, *, hours_ago: int = 3, **extra):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours_ago)
    created, _ = session_log_create(
        user=user,
        routine=extra.pop("routine", None) or RoutineFactory(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        **extra,
    )
    return created


def visit(client) -> str:
    response = client.get(reverse(DASHBOARD))
    assert response.status_code == 200
    page = response.content.decode()
    assert pagecache.CSRF_SLOT not in page
    return page


def totals(page: str) -> tuple[int, int]:
    """(sessions, minutes) of the page's all-time figure; (0, 0) for the welcome state."""
    found = ALL_TIME.search(page)
    assert found, "the page shows no all-time figure"
    return int(found[1]), int(found[2])


def cached_generation(user):
    return cache.get(stats_generation_cache_key(user.pk))


def stored_generation(user) -> int:
    return MemberStatsSnapshot.objects.values_list("generation", flat=True).get(user=user)


def quiet_visit(client) -> str:
    """A visit that must make no database query at all."""
    with CaptureQueriesContext(connection) as queries:
        page = visit(client)
    assert [q["sql"] for q in queries] == []
    return page


def warm(client, user) -> str:
    """Visit until the page and the generation are cached; the last visit is query-free.

    A member's very first visit computes and stores the figures; the generation is
    cached from the next one."""
    visit(client)
    if cached_generation(user) is None:
        visit(client)
    assert cached_generation(user) == stored_generation(user)
    return quiet_visit(client)


# --- a visit without changes ---------------------------------------------------------------


def test_a_second_visit_makes_no_database_query(shared_browser, user):
    log(user, 12)
    member_stats(user=user)  # the member's figures exist (e.g. an earlier visit or the app)
    assert cached_generation(user) is None
    first = visit(shared_browser)
    assert cached_generation(user) == stored_generation(user)
    second = quiet_visit(shared_browser)
    assert totals(first) == totals(second) == (1, 12)
    # The same page apart from the per-request CSRF token.
    assert CSRF_VALUE.sub("", second) == CSRF_VALUE.sub("", first)


def test_a_member_without_a_snapshot_gets_the_welcome_and_then_the_cached_key(shared_browser, user):
    assert not MemberStatsSnapshot.objects.filter(user=user).exists()
    first = visit(shared_browser)
    assert f"Welcome, {user.get_short_name()}" in first
    assert totals(first) == (0, 0)
    assert MemberStatsSnapshot.objects.filter(user=user).exists()  # the first figures stored
    page = warm(shared_browser, user)
    assert f"Welcome, {user.get_short_name()}" in page
    log(user, 9)
    page = visit(shared_browser)
    assert "Welcome," not in page
    assert totals(page) == (1, 9)


# --- every write path forgets the generation -------------------------------------------------


def test_session_log_create_on_postgresql_shows_on_the_next_visit(
    postgres_required, shared_browser, user
):
    assert connection.vendor == "postgresql"  # the single-statement insert path
    log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    before = stored_generation(user)
    log(user, 5, hours_ago=2)
    assert stored_generation(user) > before
    assert cached_generation(user) is None  # forgotten at once
    page = visit(shared_browser)
    assert totals(page) == (2, 17)
    assert "17 minutes in 12 weeks" in page
    assert totals(warm(shared_browser, user)) == (2, 17)


def test_a_repeated_client_id_changes_nothing_and_keeps_the_cached_generation(shared_browser, user):
    first = log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    again, created = session_log_create(
        user=user,
        routine=first.routine,
        started_at=first.started_at,
        ended_at=first.ended_at,
        client_id=first.client_id,
    )
    assert (again.pk, created) == (first.pk, False)
    assert cached_generation(user) == stored_generation(user)
    assert totals(quiet_visit(shared_browser)) == (1, 12)


def test_session_log_update_shows_the_new_duration(shared_browser, user):
    entry = log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    session_log_update(user=user, log=entry, ended_at=entry.started_at + dt.timedelta(minutes=30))
    assert cached_generation(user) is None
    page = visit(shared_browser)
    assert totals(page) == (1, 30)
    assert "30 minutes in 12 weeks" in page
    assert totals(warm(shared_browser, user)) == (1, 30)


def test_session_log_delete_shows_one_session_less(shared_browser, user):
    log(user, 12)
    second = log(user, 5, hours_ago=2)
    assert totals(warm(shared_browser, user)) == (2, 17)
    session_log_delete(user=user, log=second)
    assert cached_generation(user) is None
    assert totals(visit(shared_browser)) == (1, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)


def test_rest_day_mark_shows_today_as_rest(shared_browser, user):
    log(user, 12, hours_ago=24 * 3)  # not today: the page offers a rest day
    page = warm(shared_browser, user)
    assert RESTED not in page
    assert "Need a break?" in page
    _, created = rest_day_mark(user=user, local_date=member_local_today(user=user))
    assert created
    page = visit(shared_browser)
    assert RESTED in page
    assert "Need a break?" not in page
    assert RESTED in warm(shared_browser, user)


def test_practice_plan_update_shows_the_new_plan(shared_browser, user):
    log(user, 12, hours_ago=24 * 3)
    page = warm(shared_browser, user)
    assert "(1 a week)" in page
    practice_plan_update(user=user, rest_weekdays=[2, 6], rest_days_per_week=3)
    assert cached_generation(user) is None
    page = visit(shared_browser)
    assert "(3 a week, besides your planned rest days)" in page
    checked = re.findall(r'<input[^>]*name="rest_weekdays"[^>]*value="(\d)"[^>]*checked', page)
    assert checked == ["2", "6"]
    practice_plan_update(user=user, rest_weekdays=[], rest_days_per_week=0)
    page = visit(shared_browser)
    assert "Your plan allows no extra rest days" in page
    assert "a week, besides" not in page


@pytest.mark.parametrize("one_member", [True, False])
def test_member_activity_rebuild_shows_logs_written_around_the_services(
    shared_browser, user, one_member
):
    log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    start = timezone.now() - dt.timedelta(hours=1)
    SessionLogFactory(user=user, started_at=start, ended_at=start + dt.timedelta(minutes=8))
    assert totals(quiet_visit(shared_browser)) == (1, 12)  # a bulk import bypasses the aggregates
    member_activity_rebuild(user=user if one_member else None)
    assert cached_generation(user) is None
    page = visit(shared_browser)
    assert totals(page) == (2, 20)
    assert totals(warm(shared_browser, user)) == (2, 20)


def test_a_session_posted_through_the_api_shows_in_the_browser(shared_browser, user):
    log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    response = api.post(
        "/api/v1/sessions/", session_payload(RoutineFactory(), minutes=7), format="json"
    )
    assert response.status_code == 201, response.content
    page = visit(shared_browser)
    assert totals(page) == (2, 19)
    assert "19 minutes in 12 weeks" in page


def test_another_members_write_keeps_this_members_cached_generation(shared_browser, user):
    log(user, 12)
    warm(shared_browser, user)
    log(UserFactory(), 40)
    assert cached_generation(user) == stored_generation(user)
    assert totals(quiet_visit(shared_browser)) == (1, 12)


# --- transactions -------------------------------------------------------------------------


def test_a_rolled_back_write_leaves_the_old_figures_and_the_next_visits_work(shared_browser, user):
    log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    before = stored_generation(user)
    with pytest.raises(Boom), transaction.atomic():
        log(user, 30, hours_ago=2)
        raise Boom
    assert stored_generation(user) == before
    assert totals(visit(shared_browser)) == (1, 12)
    assert cached_generation(user) == before
    assert totals(quiet_visit(shared_browser)) == (1, 12)
    log(user, 5, hours_ago=1)  # a later write that commits still shows
    assert totals(visit(shared_browser)) == (2, 17)


def test_the_generation_is_forgotten_again_when_the_write_commits(
    shared_browser, user, django_capture_on_commit_callbacks
):
    """A reader on another connection may cache the old generation while the write's
    transaction is open; the forgetting on commit removes it."""
    log(user, 12)
    warm(shared_browser, user)
    old = stored_generation(user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        log(user, 5, hours_ago=2)
        assert cached_generation(user) is None
        cache.set(stats_generation_cache_key(user.pk), old)  # the racing reader's add
    assert callbacks
    assert cached_generation(user) is None
    assert totals(visit(shared_browser)) == (2, 17)


# --- a per-process cache ------------------------------------------------------------------


@override_settings(CACHE_IS_SHARED=False)
def test_with_a_per_process_cache_the_generation_is_read_from_the_database(member_client, user):
    log(user, 12)
    visit(member_client)
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            page = visit(member_client)
        assert totals(page) == (1, 12)
        assert any(SNAPSHOT_TABLE in q["sql"] for q in queries)
        assert cached_generation(user) is None
    log(user, 5, hours_ago=2)
    assert cached_generation(user) is None
    assert totals(visit(member_client)) == (2, 17)
