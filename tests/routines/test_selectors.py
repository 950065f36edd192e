"""Library reads, the member's own data, and progress (streaks in the member's local days)."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.http import Http404

from accounts.selectors import member_data_export
from accounts.services import user_profile_update
from routines.models import DailyActivity, RestDay, Series
from routines.selectors import (
    favourite_series_ids,
    member_has_acknowledged,
    member_stats,
    routine_for_player,
    series_detail_for,
    series_search,
    session_log_for,
    session_logs_for,
    streaks,
)
from routines.selectors import stats as stats_selectors
from routines.services import (
    favourite_toggle,
    practice_plan_update,
    rest_day_mark,
    safety_acknowledge,
    session_log_create,
)
from tests.factories import BodyPartFactory, RoutineFactory, SeriesFactory, SessionLogFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
D = dt.date


def _log_at(user, routine, local_start: dt.datetime, minutes=10, **extra):
    """Log a session starting at a wall-clock time in the member's current zone."""
    start = local_start.replace(tzinfo=ZoneInfo(user.timezone))
    return session_log_create(
        user=user,
        routine=routine,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        **extra,
    )[0]


# --- streaks(): the rule itself ----------------------------------------------------------------


def test_streak_counts_consecutive_practice_days_and_survives_until_tomorrow():
    days = [D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4)]
    assert streaks(
        practice_days=days, rest_days=set(), rest_weekdays=set(), today=D(2026, 3, 4)
    ) == (3, 3)
    # Today not done yet: still alive.
    assert streaks(
        practice_days=days, rest_days=set(), rest_weekdays=set(), today=D(2026, 3, 5)
    ) == (3, 3)
    # A whole day missed: broken.
    assert streaks(
        practice_days=days, rest_days=set(), rest_weekdays=set(), today=D(2026, 3, 6)
    ) == (0, 3)


def test_marked_rest_days_bridge_without_adding():
    days = [D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 5)]
    assert streaks(
        practice_days=days, rest_days={D(2026, 3, 3)}, rest_weekdays=set(), today=D(2026, 3, 5)
    ) == (3, 3)
    assert streaks(
        practice_days=days, rest_days=set(), rest_weekdays=set(), today=D(2026, 3, 5)
    ) == (2, 2)
    # Resting today and yesterday keeps the streak alive.
    assert streaks(
        practice_days=days,
        rest_days={D(2026, 3, 6), D(2026, 3, 7)},
        rest_weekdays=set(),
        today=D(2026, 3, 7),
    ) == (2, 2)


def test_planned_rest_weekdays_bridge_weekends():
    # Mon 2 March to Fri 6 March, then Mon 9 March; Saturday (5) and Sunday (6) planned rest.
    days = [D(2026, 3, n) for n in (2, 3, 4, 5, 6, 9)]
    assert streaks(
        practice_days=days, rest_days=set(), rest_weekdays={5, 6}, today=D(2026, 3, 9)
    ) == (6, 6)
    assert streaks(
        practice_days=days, rest_days=set(), rest_weekdays=set(), today=D(2026, 3, 9)
    ) == (1, 5)
    # On Sunday the streak is alive through the planned Saturday.
    assert streaks(
        practice_days=days[:5], rest_days=set(), rest_weekdays={5, 6}, today=D(2026, 3, 8)
    ) == (5, 5)
    # Practising on a planned rest day counts.
    weekend = [*days[:5], D(2026, 3, 7)]
    assert streaks(
        practice_days=weekend, rest_days=set(), rest_weekdays={5, 6}, today=D(2026, 3, 8)
    ) == (6, 6)


def test_longest_streak_is_kept_after_a_break():
    days = [D(2026, 1, n) for n in range(1, 11)] + [D(2026, 2, 1), D(2026, 2, 2)]
    assert streaks(
        practice_days=days, rest_days=set(), rest_weekdays=set(), today=D(2026, 2, 2)
    ) == (2, 10)
    assert streaks(practice_days=[], rest_days=set(), rest_weekdays={0}, today=D(2026, 2, 2)) == (
        0,
        0,
    )


# --- member_stats in the member's zone ------------------------------------------------------------


def test_streak_across_midnight_in_the_members_zone(user):
    user.timezone = "Europe/Berlin"
    user.save()
    routine = RoutineFactory()
    # 23:30 and 00:30 in Berlin are both on 9 March in UTC but two local days.
    _log_at(user, routine, dt.datetime(2026, 3, 9, 23, 30), minutes=20)
    _log_at(user, routine, dt.datetime(2026, 3, 10, 0, 30), minutes=20)
    assert sorted(DailyActivity.objects.values_list("local_date", flat=True)) == [
        D(2026, 3, 9),
        D(2026, 3, 10),
    ]
    with time_machine.travel(
        dt.datetime(2026, 3, 10, 8, tzinfo=ZoneInfo("Europe/Berlin")), tick=False
    ):
        stats = member_stats(user=user)
    assert stats.today == D(2026, 3, 10)
    assert (stats.current_streak, stats.longest_streak) == (2, 2)
    # At 00:30 Berlin on 12 March (still 11 March in UTC) a whole local day was missed.
    with time_machine.travel(dt.datetime(2026, 3, 11, 23, 30, tzinfo=UTC), tick=False):
        stats = member_stats(user=user)
    assert stats.today == D(2026, 3, 12)
    assert (stats.current_streak, stats.longest_streak) == (0, 2)


def test_streak_across_a_timezone_change(user):
    user.timezone = "America/New_York"
    user.save()
    routine = RoutineFactory()
    # 20:00 in New York on 9 March is 00:00 UTC on 10 March.
    first = _log_at(user, routine, dt.datetime(2026, 3, 9, 20, 0))
    assert first.local_date == D(2026, 3, 9)
    # The member flies to Tokyo and logs at 08:00 local on 10 March (23:00 UTC on 9 March:
    # earlier in UTC than the New York session, but the next local day).
    user_profile_update(user=user, timezone="Asia/Tokyo")
    second = _log_at(user, routine, dt.datetime(2026, 3, 10, 8, 0))
    assert second.local_date == D(2026, 3, 10)
    assert second.started_at < first.started_at
    with time_machine.travel(
        dt.datetime(2026, 3, 10, 21, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False
    ):
        stats = member_stats(user=user)
    assert stats.today == D(2026, 3, 10)
    assert (stats.current_streak, stats.longest_streak) == (2, 2)
    assert stats.sessions_total == 2
    # The cached figures follow a zone change back to New York (today is 10 March there too).
    user_profile_update(user=user, timezone="America/New_York")
    with time_machine.travel(
        dt.datetime(2026, 3, 10, 21, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False
    ):
        again = member_stats(user=user)
    assert again.today == D(2026, 3, 10) and again.current_streak == 2


def test_rest_day_and_planned_rest_keep_the_streak(user):
    routine = RoutineFactory()
    # Mon 2, Tue 3 practised; Wed 4 rest today; Thu 5 practised; Sat/Sun planned rest; Mon 9.
    for day in (2, 3, 5, 6, 9):
        _log_at(user, routine, dt.datetime(2026, 3, day, 9))
    with time_machine.travel(dt.datetime(2026, 3, 9, 18, tzinfo=UTC), tick=False):
        before = member_stats(user=user)
        rest_day_mark(user=user, local_date=D(2026, 3, 4))
        with_rest_day = member_stats(user=user)
        practice_plan_update(user=user, rest_weekdays=[5, 6], rest_days_per_week=1)
        with_plan = member_stats(user=user)
    assert (before.current_streak, before.longest_streak) == (1, 2)
    assert (with_rest_day.current_streak, with_rest_day.longest_streak) == (1, 4)
    assert (with_plan.current_streak, with_plan.longest_streak) == (5, 5)
    assert {D(2026, 3, 4), D(2026, 3, 7), D(2026, 3, 8)} <= with_plan.rest_days
    assert D(2026, 3, 5) not in with_plan.rest_days


def test_stats_figures(user):
    user.timezone = "Europe/London"
    user.save()
    hands = RoutineFactory(
        series=SeriesFactory(body_parts=[BodyPartFactory(slug="hands", name="Hands")])
    )
    feet = RoutineFactory(
        series=SeriesFactory(body_parts=[BodyPartFactory(slug="feet", name="Feet")])
    )
    # Today is Wednesday 18 March 2026.
    _log_at(user, hands, dt.datetime(2026, 3, 18, 7), minutes=10, tension_before=8, tension_after=2)
    _log_at(user, hands, dt.datetime(2026, 3, 16, 7), minutes=20, tension_before=5, tension_after=5)
    _log_at(user, feet, dt.datetime(2026, 3, 15, 7), minutes=30)  # Sunday: last week
    _log_at(user, feet, dt.datetime(2026, 2, 20, 7), minutes=40)  # last month
    _log_at(user, feet, dt.datetime(2025, 1, 5, 7), minutes=15)  # outside the 12 months
    with time_machine.travel(dt.datetime(2026, 3, 18, 12, tzinfo=UTC), tick=False):
        stats = member_stats(user=user)
    assert (stats.sessions_this_week, stats.minutes_this_week) == (2, 30)
    assert (stats.sessions_this_month, stats.minutes_this_month) == (3, 60)
    assert (stats.sessions_total, stats.minutes_total) == (5, 115)
    assert stats.average_relief == 3.0
    assert stats.by_body_part == [
        {"slug": "feet", "name": "Feet", "sessions": 3, "minutes": 85},
        {"slug": "hands", "name": "Hands", "sessions": 2, "minutes": 30},
    ]
    weeks = stats.weekly_minutes
    assert len(weeks) == 12
    assert weeks[-1] == {"week_start": D(2026, 3, 16), "minutes": 30, "sessions": 2}
    assert weeks[-2] == {"week_start": D(2026, 3, 9), "minutes": 30, "sessions": 1}
    assert weeks[0]["week_start"] == D(2025, 12, 29)
    assert all(w["week_start"].weekday() == 0 for w in weeks)
    heat = stats.heatmap
    assert heat[0]["date"] == D(2025, 3, 19) and heat[-1]["date"] == D(2026, 3, 18)
    assert len(heat) == 365
    assert [d["date"] for d in heat] == sorted(d["date"] for d in heat)
    assert {d["date"]: d["minutes"] for d in heat if d["minutes"]} == {
        D(2026, 2, 20): 40,
        D(2026, 3, 15): 30,
        D(2026, 3, 16): 20,
        D(2026, 3, 18): 10,
    }
    assert stats.practised_today and not stats.rested_today
    assert stats.current_streak == 1 and stats.longest_streak == 2


def test_empty_member_has_zero_stats(user):
    stats = member_stats(user=user, today=D(2026, 3, 18))
    assert stats.current_streak == stats.longest_streak == stats.sessions_total == 0
    assert stats.average_relief is None and stats.by_body_part == []
    assert len(stats.weekly_minutes) == 12


def test_a_write_during_a_slow_stats_read_is_not_hidden_by_the_cache(user, monkeypatch):
    routine = RoutineFactory()
    now = dt.datetime.now(UTC)
    session_log_create(
        user=user,
        routine=routine,
        started_at=now - dt.timedelta(hours=2),
        ended_at=now - dt.timedelta(hours=1),
    )
    compute = stats_selectors._compute_member_stats

    def slow_compute(**kwargs):
        figures = compute(**kwargs)
        # Another request logs a session after the figures were read.
        session_log_create(
            user=user,
            routine=routine,
            started_at=now - dt.timedelta(minutes=50),
            ended_at=now - dt.timedelta(minutes=40),
        )
        return figures

    monkeypatch.setattr(stats_selectors, "_compute_member_stats", slow_compute)
    assert member_stats(user=user).sessions_total == 1
    monkeypatch.setattr(stats_selectors, "_compute_member_stats", compute)
    assert member_stats(user=user).sessions_total == 2


# --- Library and own data -------------------------------------------------------------------------


def test_series_search_filters_and_orders(user, staff_user, editor_user):
    neck = BodyPartFactory(slug="neck", name="Neck")
    hands = BodyPartFactory(slug="hands", name="Hands")
    b = SeriesFactory(title="B neck", body_parts=[neck, hands], estimated_minutes=5)
    a = SeriesFactory(title="A hands", body_parts=[hands], estimated_minutes=25)
    draft = SeriesFactory(title="C draft", status=Series.Status.DRAFT, published_at=None)
    assert list(series_search(user=user)) == [a, b]
    assert list(series_search(user=user, body_part="hands")) == [a, b]
    assert list(series_search(user=user, body_part="neck")) == [b]
    assert list(series_search(user=user, max_minutes=10)) == [b]
    assert list(series_search(user=user, q="  ")) == [a, b]
    assert list(series_search(user=editor_user)) == [a, b, draft]
    assert list(series_search(user=staff_user)) == [a, b]  # is_staff alone is no editor


def test_detail_and_player_selectors_404_for_drafts(user, staff_user, editor_user):
    draft = SeriesFactory(status=Series.Status.DRAFT, published_at=None)
    routine = RoutineFactory(series=draft, steps=4)
    with pytest.raises(Http404):
        series_detail_for(user=user, slug=draft.slug)
    with pytest.raises(Http404):
        routine_for_player(user=user, routine_id=routine.pk)
    with pytest.raises(Http404):
        series_detail_for(user=staff_user, slug=draft.slug)
    assert series_detail_for(user=editor_user, slug=draft.slug) == draft
    played = routine_for_player(user=editor_user, routine_id=routine.pk)
    assert [s.position for s in played.steps.all()] == [1, 2, 3, 4]


def test_the_player_reads_its_steps_and_body_parts_once(user, django_assert_num_queries):
    hands, arms = BodyPartFactory(), BodyPartFactory()
    series = SeriesFactory(body_parts=[hands, arms])
    routine = RoutineFactory(series=series, steps=3)
    user.get_all_permissions()  # the library's visibility rule, loaded once per request
    with django_assert_num_queries(3):  # the routine with its series, steps, body parts
        played = routine_for_player(user=user, routine_id=routine.pk)
    with django_assert_num_queries(0):  # the page reads them more than once
        assert {b.pk for b in played.series.body_parts.all()} == {hands.pk, arms.pk}
        assert len(list(played.series.body_parts.all())) == 2
        assert [s.position for s in played.steps.all()] == [1, 2, 3]


def test_own_logs_only(user, other_user):
    mine = SessionLogFactory(user=user)
    theirs = SessionLogFactory(user=other_user)
    assert list(session_logs_for(user=user)) == [mine]
    assert session_log_for(user=user, log_id=mine.pk) == mine
    for bad in (theirs.pk, "abc", 10**30):
        with pytest.raises(Http404):
            session_log_for(user=user, log_id=bad)


def test_favourites_and_acknowledgements(user, other_user):
    series = SeriesFactory()
    assert favourite_series_ids(user=user) == set()
    favourite_toggle(user=user, series=series)
    assert favourite_series_ids(user=user) == {series.pk}
    assert favourite_series_ids(user=other_user) == set()
    assert not member_has_acknowledged(user=user, series=series)
    safety_acknowledge(user=user, series=series)
    assert member_has_acknowledged(user=user, series=series)
    assert not member_has_acknowledged(user=other_user, series=series)


def test_export_has_logs_rest_days_favourites_and_plan(user, other_user):
    routine = RoutineFactory()
    SessionLogFactory(user=user, routine=routine, notes="felt good")
    SessionLogFactory(user=other_user, routine=routine, notes="not yours")
    RestDay.objects.create(user=user, local_date=D(2026, 3, 4))
    favourite_toggle(user=user, series=routine.series)
    practice_plan_update(user=user, rest_weekdays=[6], rest_days_per_week=2)
    data = member_data_export(user=user)
    assert [log["notes"] for log in data["session_logs"]] == ["felt good"]
    assert data["rest_days"] == ["2026-03-04"]
    assert data["favourites"] == [routine.series.slug]
    assert data["practice_plan"] == {"rest_weekdays": [6], "rest_days_per_week": 2}


def test_rebuild_member_stats_command(user):
    SessionLogFactory.create_batch(2, user=user)
    out = StringIO()
    call_command("rebuild_member_stats", stdout=out)
    assert "active day" in out.getvalue()
    assert member_stats(user=user).sessions_total == 2
    call_command("rebuild_member_stats", "--email", user.email.upper(), stdout=out)
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("rebuild_member_stats", "--email", "nobody@example.com")
