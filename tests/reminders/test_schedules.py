"""Schedule services: validation, next_run_at recomputation, following the member's zone."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.services import user_profile_update
from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.services import reminder_schedule_pause, reminder_schedule_update
from tests.factories import RoutineFactory, SeriesFactory, UserFactory
from tests.reminders.helpers import schedule_for, utc

pytestmark = pytest.mark.django_db


def test_create_defaults_to_profile_zone_and_computes_next_run():
    user = UserFactory(timezone="Europe/London")
    with time_machine.travel(utc(2026, 11, 23, 9, 0), tick=False):  # Monday
        schedule = schedule_for(user, weekdays=[4, 0, 2], at=dt.time(12, 30))
    assert schedule.timezone == "Europe/London"
    assert schedule.weekdays == [0, 2, 4]
    assert schedule.next_run_at == utc(2026, 11, 23, 12, 30)


@pytest.mark.parametrize(
    ("weekdays", "message"),
    [
        ([], "at least one day"),
        ([7], "0 (Monday) to 6"),
        ([-1, 2], "0 (Monday) to 6"),
        ([1, 1], "once"),
        (["mon"], "0 (Monday) to 6"),
        ([True], "0 (Monday) to 6"),
    ],
)
def test_bad_weekdays_are_refused_with_a_field_message(weekdays, message):
    user = UserFactory()
    with pytest.raises(ValidationError) as info:
        schedule_for(user, weekdays=weekdays)
    assert message in " ".join(info.value.message_dict["weekdays"])
    assert not ReminderSchedule.objects.exists()


def test_bad_timezone_is_refused():
    with pytest.raises(ValidationError) as info:
        schedule_for(UserFactory(), tz="Mars/Olympus")
    assert "timezone" in info.value.message_dict


def test_unpublished_routine_is_refused():
    draft = RoutineFactory(series=SeriesFactory(status="draft", published_at=None))
    with pytest.raises(ValidationError) as info:
        schedule_for(UserFactory(), routine=draft)
    assert "routine" in info.value.message_dict


def test_update_recomputes_and_pause_clears_next_run():
    user = UserFactory(timezone="UTC")
    with time_machine.travel(utc(2026, 11, 23, 9, 0), tick=False):
        schedule = schedule_for(user, weekdays=[0], at=dt.time(8, 0))
        assert schedule.next_run_at == utc(2026, 11, 30, 8, 0)
        reminder_schedule_update(schedule=schedule, local_time=dt.time(10, 0))
        assert schedule.next_run_at == utc(2026, 11, 23, 10, 0)
        reminder_schedule_pause(schedule=schedule)
        schedule.refresh_from_db()
        assert schedule.active is False and schedule.next_run_at is None
        reminder_schedule_pause(schedule=schedule, paused=False)
        schedule.refresh_from_db()
        assert schedule.active is True and schedule.next_run_at == utc(2026, 11, 23, 10, 0)


def test_moving_the_time_later_does_not_remind_twice_the_same_day():
    user = UserFactory(timezone="UTC")
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule = schedule_for(user, weekdays=[0, 1], at=dt.time(8, 0))
    ReminderOccurrence.objects.create(
        schedule=schedule,
        user=user,
        due_at=utc(2026, 11, 23, 8, 0),
        local_date=dt.date(2026, 11, 23),
        status="sent",
    )
    with time_machine.travel(utc(2026, 11, 23, 8, 30), tick=False):
        reminder_schedule_update(schedule=schedule, local_time=dt.time(9, 0))
    assert schedule.next_run_at == utc(2026, 11, 24, 9, 0)


def test_timezone_change_mid_week_moves_schedules_that_followed_the_profile():
    user = UserFactory(timezone="Europe/London")
    with time_machine.travel(utc(2026, 11, 24, 12, 0), tick=False):  # Tuesday
        following = schedule_for(user, weekdays=[0, 2, 4], at=dt.time(8, 0))
        pinned = schedule_for(user, weekdays=[2], at=dt.time(8, 0), tz="Asia/Tokyo")
        assert following.next_run_at == utc(2026, 11, 25, 8, 0)  # Wed 08:00 GMT
        assert pinned.next_run_at == utc(2026, 11, 24, 23, 0)  # Wed 08:00 JST
        user_profile_update(user=user, timezone="America/New_York")
    following.refresh_from_db()
    pinned.refresh_from_db()
    assert following.timezone == "America/New_York"
    assert following.next_run_at == utc(2026, 11, 25, 13, 0)  # Wed 08:00 EST
    assert pinned.timezone == "Asia/Tokyo"
    assert pinned.next_run_at == utc(2026, 11, 24, 23, 0)


def test_profile_form_path_also_moves_schedules(client):
    """The profile ModelForm sets the new zone on the instance before the service runs."""
    user = UserFactory(timezone="Europe/London")
    client.force_login(user)
    with time_machine.travel(utc(2026, 11, 24, 12, 0), tick=False):
        schedule = schedule_for(user, weekdays=[2], at=dt.time(8, 0))
        response = client.post(
            "/me/profile/", {"display_name": "Ada", "timezone": "America/New_York"}
        )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.timezone == "America/New_York"
    assert schedule.next_run_at == utc(2026, 11, 25, 13, 0)


def test_member_export_includes_reminders_and_their_ledger():
    from accounts.selectors import member_data_export

    user = UserFactory(timezone="Europe/London")
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule = schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    ReminderOccurrence.objects.create(
        schedule=schedule,
        user=user,
        due_at=utc(2026, 11, 23, 8, 0),
        local_date=dt.date(2026, 11, 23),
        status="sent",
        action="rest",
    )
    schedule_for(UserFactory())  # someone else's: not exported
    data = member_data_export(user=user)["reminders"]
    assert len(data) == 1
    assert data[0]["local_time"] == "08:00" and data[0]["weekdays"] == [0]
    assert data[0]["occurrences"][0]["status"] == "sent"
    assert data[0]["occurrences"][0]["action"] == "rest"
