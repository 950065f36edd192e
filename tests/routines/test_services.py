"""Session logs and the activity aggregates kept beside them."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from routines.models import BodyPartActivity, DailyActivity, Favourite, SessionLog
from routines.selectors import member_stats
from routines.services import (
    favourite_toggle,
    member_activity_rebuild,
    practice_plan_update,
    safety_acknowledge,
    session_log_create,
    session_log_delete,
    session_log_update,
)
from tests.factories import (
    BodyPartFactory,
    RoutineFactory,
    SeriesFactory,
    SessionLogFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _log(user, routine, start, minutes=10, **extra):
    return session_log_create(
        user=user,
        routine=routine,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        **extra,
    )


def _aggregates(user):
    days = sorted(
        DailyActivity.objects.filter(user=user, sessions__gt=0).values_list(
            "local_date", "sessions", "seconds", "relief_sum", "relief_count"
        )
    )
    parts = sorted(
        BodyPartActivity.objects.filter(user=user, sessions__gt=0).values_list(
            "body_part__slug", "sessions", "seconds"
        )
    )
    return days, parts


def test_create_logs_local_date_in_member_zone_and_counts_it(user):
    user.timezone = "America/New_York"
    user.save()
    routine = RoutineFactory()
    # 02:30 UTC on 10 March is still 9 March in New York.
    start = dt.datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    log, created = _log(user, routine, start, tension_before=7, tension_after=3)
    assert created
    assert log.local_date == dt.date(2026, 3, 9)
    assert log.duration_seconds == 600
    assert log.steps_total == 3 and log.steps_completed == 3
    assert log.timezone == "America/New_York"
    days, parts = _aggregates(user)
    assert days == [(dt.date(2026, 3, 9), 1, 600, 4, 1)]
    assert parts == [("hands", 1, 600)]


def test_same_client_id_twice_returns_the_first_log(user):
    routine = RoutineFactory()
    client_id = uuid.uuid4()
    start = dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    first, created = _log(user, routine, start, client_id=client_id, notes="first")
    again, created_again = _log(user, routine, start, client_id=client_id, notes="second")
    assert created and not created_again
    assert again.pk == first.pk and again.notes == "first"
    assert SessionLog.objects.filter(user=user).count() == 1
    assert _aggregates(user)[0] == [(dt.date(2026, 3, 10), 1, 600, 0, 0)]


def test_same_client_id_for_two_members_is_two_logs(user, other_user):
    routine = RoutineFactory()
    client_id = uuid.uuid4()
    start = dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    mine, _ = _log(user, routine, start, client_id=client_id)
    theirs, created = _log(other_user, routine, start, client_id=client_id)
    assert created and mine.pk != theirs.pk


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"minutes": -5}, "ended_at", "before the start"),
        ({"minutes": 0}, "ended_at", "at least 1 second"),
        ({"minutes": 4 * 60 + 1}, "ended_at", "at most 4 hours"),
        ({"start": dt.timedelta(hours=6)}, "started_at", "cannot be in the future"),
        ({"start": -dt.timedelta(days=365 * 30)}, "started_at", "before the year 2000"),
        ({"tension_before": 11}, "tension_before", "less than or equal to 10"),
        ({"tension_after": 11}, "tension_after", "less than or equal to 10"),
        ({"rating": 0}, "rating", "greater than or equal to 1"),
        ({"rating": 6}, "rating", "less than or equal to 5"),
        ({"notes": "x" * 2001}, "notes", "at most 2000"),
        ({"steps_completed": 4}, "steps_completed", "at most 3"),
        ({"sides": "middle"}, "sides", "not a valid choice"),
    ],
)
def test_each_bad_field_gets_its_own_message(user, changes, field, message):
    routine = RoutineFactory()
    changes = dict(changes)
    start = dt.datetime.now(UTC) - dt.timedelta(hours=5) + changes.pop("start", dt.timedelta())
    minutes = changes.pop("minutes", 10)
    with pytest.raises(ValidationError) as caught:
        _log(user, routine, start, minutes=minutes, **changes)
    errors = caught.value.message_dict
    assert field in errors
    assert set(errors) <= {field, "ended_at"}
    assert message in " ".join(errors[field])
    assert not SessionLog.objects.exists()
    assert not DailyActivity.objects.exists()


def test_clock_skew_of_a_few_minutes_is_accepted(user):
    routine = RoutineFactory()
    start = dt.datetime.now(UTC) - dt.timedelta(minutes=6)
    log, created = _log(user, routine, start, minutes=9)  # ends 3 minutes "in the future"
    assert created and log.pk


def test_update_moves_aggregates_to_the_new_day_and_series(user):
    first_routine = RoutineFactory()
    feet = SeriesFactory(body_parts=[BodyPartFactory(slug="feet", name="Feet")])
    other_routine = RoutineFactory(series=feet)
    start = dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    log, _ = _log(user, first_routine, start, tension_before=5, tension_after=4)
    updated = session_log_update(
        user=user,
        log=log,
        routine=other_routine,
        started_at=start + dt.timedelta(days=1),
        ended_at=start + dt.timedelta(days=1, minutes=20),
        tension_after=1,
    )
    assert updated.local_date == dt.date(2026, 3, 11)
    assert updated.duration_seconds == 1200
    days, parts = _aggregates(user)
    assert days == [(dt.date(2026, 3, 11), 1, 1200, 4, 1)]
    assert parts == [("feet", 1, 1200)]


def test_update_rejects_bad_values_and_keeps_the_log(user):
    routine = RoutineFactory()
    start = dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    log, _ = _log(user, routine, start)
    with pytest.raises(ValidationError) as caught:
        session_log_update(user=user, log=log, ended_at=start - dt.timedelta(minutes=1))
    assert "ended_at" in caught.value.message_dict
    log.refresh_from_db()
    assert log.duration_seconds == 600


def test_another_members_log_cannot_be_changed_or_deleted(user, other_user):
    log, _ = _log(other_user, RoutineFactory(), dt.datetime(2026, 3, 10, 9, tzinfo=UTC))
    with pytest.raises(PermissionDenied):
        session_log_update(user=user, log=log, notes="mine now")
    with pytest.raises(PermissionDenied):
        session_log_delete(user=user, log=log)
    log.refresh_from_db()
    assert log.notes == ""


def test_delete_removes_the_log_from_aggregates(user):
    routine = RoutineFactory()
    start = dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    keep, _ = _log(user, routine, start)
    drop, _ = _log(user, routine, start + dt.timedelta(hours=1), minutes=20)
    session_log_delete(user=user, log=drop)
    assert list(SessionLog.objects.filter(user=user)) == [keep]
    assert _aggregates(user)[0] == [(dt.date(2026, 3, 10), 1, 600, 0, 0)]
    session_log_delete(user=user, log=keep)
    assert _aggregates(user) == ([], [])


def test_rebuild_matches_what_the_services_maintained(user, other_user):
    routine = RoutineFactory()
    start = dt.datetime(2026, 3, 1, 22, tzinfo=UTC)
    for day in range(5):
        _log(user, routine, start + dt.timedelta(days=day), tension_before=6, tension_after=day)
        _log(other_user, routine, start + dt.timedelta(days=day, hours=1))
    maintained = _aggregates(user), _aggregates(other_user)
    DailyActivity.objects.all().delete()
    BodyPartActivity.objects.all().delete()
    member_activity_rebuild()
    assert (_aggregates(user), _aggregates(other_user)) == maintained
    member_activity_rebuild(user=user)
    assert (_aggregates(user), _aggregates(other_user)) == maintained


def test_rebuild_counts_bulk_created_logs(user):
    routine = RoutineFactory()
    SessionLogFactory.create_batch(3, user=user, routine=routine)
    assert not DailyActivity.objects.filter(user=user).exists()
    member_activity_rebuild(user=user)
    assert member_stats(user=user).sessions_total == 3


def test_practice_plan_update_validates_and_sorts(user):
    plan = practice_plan_update(user=user, rest_weekdays=[6, 2, 2], rest_days_per_week=2)
    assert plan.rest_weekdays == [2, 6] and plan.rest_days_per_week == 2
    with pytest.raises(ValidationError) as caught:
        practice_plan_update(user=user, rest_weekdays=[7], rest_days_per_week=9)
    assert set(caught.value.message_dict) == {"rest_weekdays", "rest_days_per_week"}
    with pytest.raises(ValidationError):
        practice_plan_update(user=user, rest_weekdays=list(range(7)), rest_days_per_week=1)


def test_favourite_toggle_and_safety_acknowledge_are_idempotent(user):
    series = SeriesFactory()
    assert favourite_toggle(user=user, series=series) is True
    assert Favourite.objects.filter(user=user, series=series).count() == 1
    assert favourite_toggle(user=user, series=series) is False
    assert not Favourite.objects.filter(user=user).exists()
    first = safety_acknowledge(user=user, series=series)
    assert safety_acknowledge(user=user, series=series).pk == first.pk


def test_stats_follow_a_new_log_after_being_cached(user):
    routine = RoutineFactory()
    now = dt.datetime.now(ZoneInfo(user.timezone))
    _log(user, routine, now - dt.timedelta(minutes=30))
    assert member_stats(user=user).sessions_total == 1
    assert member_stats(user=user).sessions_total == 1  # from the snapshot
    _log(user, routine, now - dt.timedelta(minutes=15), minutes=5)
    assert member_stats(user=user).sessions_total == 2


def test_factory_user_is_usable():
    assert UserFactory().zone


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_writes_of_a_day_add_up(postgres_required):
    """Eight sessions of one member on a new day, logged at once from eight connections:
    the day's and the body part's rows are created once and count all eight (a write that
    loses the race to create a row adds to the winner's)."""
    import threading

    from django.db import connection

    user = UserFactory()
    routine = RoutineFactory()
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=2)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            _log(user, routine, start + dt.timedelta(minutes=index), minutes=1)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    day = start.astimezone(user.zone).date()
    assert _aggregates(user) == ([(day, 8, 480, 0, 0)], [("hands", 8, 480)])


@pytest.mark.parametrize(
    ("done", "new_steps", "expected"),
    [(3, 5, 5), (2, 5, 2), (2, 1, 1)],
    ids=["all-done-stays-all-done", "partial-kept", "partial-capped"],
)
def test_moving_a_log_to_another_routine_keeps_steps_completed_consistent(
    user, done, new_steps, expected
):
    """The same rule for the edit form and the API (session_log_update)."""
    start = dt.datetime.now(UTC) - dt.timedelta(hours=3)
    log, _ = _log(user, RoutineFactory(steps=3), start, steps_completed=done)
    moved = session_log_update(user=user, log=log, routine=RoutineFactory(steps=new_steps))
    assert (moved.steps_completed, moved.steps_total) == (expected, new_steps)


def test_rest_days_are_marked_only_near_today(user):
    from routines.services import REST_DAY_WINDOW_DAYS, rest_day_mark

    today = dt.datetime.now(UTC).date()
    rest, created = rest_day_mark(user=user, local_date=today)
    assert created and rest.local_date == today
    with pytest.raises(ValidationError) as caught:
        rest_day_mark(user=user, local_date=today - dt.timedelta(days=REST_DAY_WINDOW_DAYS + 1))
    assert "within 7 days" in caught.value.message_dict["local_date"][0]


def test_publishing_sends_one_event_after_commit_and_publishing_again_sends_none(
    django_capture_on_commit_callbacks,
):
    from routines.events import series_published
    from routines.models import Series
    from routines.services import series_publish

    received: list[int] = []

    def receiver(sender, series_id, **kwargs):
        received.append(series_id)

    series = SeriesFactory(status=Series.Status.DRAFT, published_at=None)
    RoutineFactory(series=series, steps=1)  # a series goes live with a routine and a step
    series_published.connect(receiver, dispatch_uid="test-receiver")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            published = series_publish(series=series)
            assert received == []  # not before the commit
        first_published_at = published.published_at
        assert published.status == Series.Status.PUBLISHED and first_published_at
        with django_capture_on_commit_callbacks(execute=True):
            again = series_publish(series=series)
    finally:
        series_published.disconnect(dispatch_uid="test-receiver")
    assert received == [series.pk]
    assert again.published_at == first_published_at


def test_nothing_done_is_not_a_session_but_a_routine_without_steps_may_be_logged(user):
    start = dt.datetime.now(UTC) - dt.timedelta(hours=2)
    with pytest.raises(ValidationError) as error:
        _log(user, RoutineFactory(steps=3), start, steps_completed=0)
    assert "No step was done" in str(error.value.message_dict["steps_completed"])
    assert not SessionLog.objects.exists()
    log, created = _log(user, RoutineFactory(steps=0), start)
    assert created and (log.steps_completed, log.steps_total) == (0, 0)
