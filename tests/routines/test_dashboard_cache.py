"""The dashboard's charts, rendered once per stats version and then read from the cache.

The figures come from the member's stored snapshot (one query); the charts (weekly bars,
the year's calendar, body parts) are rendered once per ``MemberStats.key``, which every
write path changes (the snapshot's generation), so the next visit after any write shows
the new figures and charts.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from routines.models import MemberStatsSnapshot
from routines.selectors import member_local_today
from routines.services import (
    member_activity_rebuild,
    practice_plan_update,
    rest_day_mark,
    session_log_create,
    session_log_delete,
    session_log_update,
)
from tests.factories import RoutineFactory, SessionLogFactory, UserFactory, session_payload

pytestmark = pytest.mark.django_db
# The module (``routines.views.dashboard`` the name is the view function).
dashboard_views = importlib.import_module("routines.views.dashboard")

DASHBOARD = "routines:dashboard"
ALL_TIME = re.compile(
    r'<span class="stat-value">(\d+)</span> <span class="stat-label">sessions? in all · (\d+) min'
)
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
    return page


def totals(page: str) -> tuple[int, int]:
    """(sessions, minutes) of the page's all-time figure; (0, 0) for the welcome state."""
    found = ALL_TIME.search(page)
    assert found, "the page shows no all-time figure"
    return int(found[1]), int(found[2])


def stored_generation(user) -> int:
    return MemberStatsSnapshot.objects.values_list("generation", flat=True).get(user=user)


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """The members whose charts were rendered (not read from the cache), in order."""
    calls: list[int] = []
    real = dashboard_views._charts_html

    def spy(user):
        calls.append(user.pk)
        return real(user)

    monkeypatch.setattr(dashboard_views, "_charts_html", spy)
    return calls


def quiet_visit(client, renders) -> str:
    """A visit whose charts must come from the cache."""
    before = len(renders)
    page = visit(client)
    assert len(renders) == before, "the charts were rendered again"
    return page


def warm(client, user, renders) -> str:
    """Visit until the charts are cached; the last visit renders nothing."""
    visit(client)
    return quiet_visit(client, renders)


# --- a visit without changes ---------------------------------------------------------------


def test_a_second_visit_reads_the_charts_from_the_cache(member_client, user, renders):
    log(user, 12)
    first = visit(member_client)
    assert renders == [user.pk]
    second = quiet_visit(member_client, renders)
    assert totals(first) == totals(second) == (1, 12)
    assert "12 minutes in 12 weeks" in second


def test_a_member_without_a_snapshot_gets_the_welcome_then_their_figures(
    member_client, user, renders
):
    assert not MemberStatsSnapshot.objects.filter(user=user).exists()
    first = visit(member_client)
    assert f"Welcome, {user.get_short_name()}" in first
    assert totals(first) == (0, 0)
    assert MemberStatsSnapshot.objects.filter(user=user).exists()  # the first figures stored
    page = warm(member_client, user, renders)
    assert f"Welcome, {user.get_short_name()}" in page
    log(user, 9)
    page = visit(member_client)
    assert "Welcome," not in page
    assert totals(page) == (1, 9)


# --- every write path changes the stats version -------------------------------------------------


def test_session_log_create_shows_on_the_next_visit(member_client, user, renders):
    log(user, 12)
    assert totals(warm(member_client, user, renders)) == (1, 12)
    before = stored_generation(user)
    log(user, 5, hours_ago=2)
    assert stored_generation(user) > before
    page = visit(member_client)
    assert totals(page) == (2, 17)
    assert "17 minutes in 12 weeks" in page
    assert totals(warm(member_client, user, renders)) == (2, 17)


def test_a_repeated_client_id_changes_nothing_and_keeps_the_cached_charts(
    member_client, user, renders
):
    first = log(user, 12)
    assert totals(warm(member_client, user, renders)) == (1, 12)
    generation = stored_generation(user)
    again, created = session_log_create(
        user=user,
        routine=first.routine,
        started_at=first.started_at,
        ended_at=first.ended_at,
        client_id=first.client_id,
    )
    assert (again.pk, created) == (first.pk, False)
    assert stored_generation(user) == generation
    assert totals(quiet_visit(member_client, renders)) == (1, 12)


def test_session_log_update_shows_the_new_duration(member_client, user, renders):
    entry = log(user, 12)
    assert totals(warm(member_client, user, renders)) == (1, 12)
    session_log_update(user=user, log=entry, ended_at=entry.started_at + dt.timedelta(minutes=30))
    page = visit(member_client)
    assert totals(page) == (1, 30)
    assert "30 minutes in 12 weeks" in page
    assert totals(warm(member_client, user, renders)) == (1, 30)


def test_session_log_delete_shows_one_session_less(member_client, user, renders):
    log(user, 12)
    second = log(user, 5, hours_ago=2)
    assert totals(warm(member_client, user, renders)) == (2, 17)
    session_log_delete(user=user, log=second)
    assert totals(visit(member_client)) == (1, 12)
    assert totals(warm(member_client, user, renders)) == (1, 12)


def test_rest_day_mark_shows_today_as_rest(member_client, user, renders):
    log(user, 12, hours_ago=24 * 3)  # not today: the page offers a rest day
    page = warm(member_client, user, renders)
    assert RESTED not in page
    assert "Need a break?" in page
    _, created = rest_day_mark(user=user, local_date=member_local_today(user=user))
    assert created
    page = visit(member_client)
    assert RESTED in page
    assert "Need a break?" not in page
    assert RESTED in warm(member_client, user, renders)


def test_practice_plan_update_shows_the_new_plan(member_client, user, renders):
    log(user, 12, hours_ago=24 * 3)
    page = warm(member_client, user, renders)
    assert "(1 a week)" in page
    practice_plan_update(user=user, rest_weekdays=[2, 6], rest_days_per_week=3)
    page = visit(member_client)
    assert "(3 a week, besides your planned rest days)" in page
    checked = re.findall(r'<input[^>]*name="rest_weekdays"[^>]*value="(\d)"[^>]*checked', page)
    assert checked == ["2", "6"]
    practice_plan_update(user=user, rest_weekdays=[], rest_days_per_week=0)
    page = visit(member_client)
    assert "Your plan allows no extra rest days" in page
    assert "a week, besides" not in page


@pytest.mark.parametrize("one_member", [True, False])
def test_member_activity_rebuild_shows_logs_written_around_the_services(
    member_client, user, one_member, renders
):
    log(user, 12)
    assert totals(warm(member_client, user, renders)) == (1, 12)
    start = timezone.now() - dt.timedelta(hours=1)
    SessionLogFactory(user=user, started_at=start, ended_at=start + dt.timedelta(minutes=8))
    assert totals(quiet_visit(member_client, renders)) == (
        1,
        12,
    )  # a bulk import bypasses the aggregates
    member_activity_rebuild(user=user if one_member else None)
    page = visit(member_client)
    assert totals(page) == (2, 20)
    assert totals(warm(member_client, user, renders)) == (2, 20)


def test_a_session_posted_through_the_api_shows_in_the_browser(member_client, user, renders):
    log(user, 12)
    assert totals(warm(member_client, user, renders)) == (1, 12)
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(
        "/api/v1/sessions/", session_payload(RoutineFactory(), minutes=7), format="json"
    )
    assert response.status_code == 201, response.content
    page = visit(member_client)
    assert totals(page) == (2, 19)
    assert "19 minutes in 12 weeks" in page


def test_another_members_write_keeps_this_members_cached_charts(member_client, user, renders):
    log(user, 12)
    warm(member_client, user, renders)
    log(UserFactory(), 40)
    assert totals(quiet_visit(member_client, renders)) == (1, 12)


# --- transactions -------------------------------------------------------------------------


def test_a_rolled_back_write_leaves_the_old_figures_and_the_next_visits_work(
    member_client, user, renders
):
    log(user, 12)
    assert totals(warm(member_client, user, renders)) == (1, 12)
    before = stored_generation(user)
    with pytest.raises(Boom), transaction.atomic():
        log(user, 30, hours_ago=2)
        raise Boom
    assert stored_generation(user) == before
    assert totals(quiet_visit(member_client, renders)) == (1, 12)
    log(user, 5, hours_ago=1)  # a later write that commits still shows
    assert totals(visit(member_client)) == (2, 17)


def test_the_cache_holds_one_copy_per_member_however_often_they_log(member_client, user, renders):
    """Each write moves the stats version; the member's entry is replaced, not added to."""
    from django.core.cache import cache

    other = UserFactory()
    log(other, 5)
    member_client.force_login(other)
    visit(member_client)
    member_client.force_login(user)
    for minutes in (10, 11, 12):
        log(user, minutes)
        visit(member_client)
    # LocMemCache's own store (the test settings' cache): every key it holds.
    keys = [key for key in cache._cache if ":dashboard:" in key]
    assert sorted(key.rsplit(":", 1)[1] for key in keys) == sorted([str(user.pk), str(other.pk)])
    assert totals(quiet_visit(member_client, renders)) == (3, 33)
