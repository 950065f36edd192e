"""Shared helpers for the reminder tests."""

from __future__ import annotations

import datetime as dt

from reminders.models import ReminderSchedule
from reminders.services import reminder_schedule_create

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def far_from_now() -> dt.time:
    """A UTC wall-clock time half a day from now. Tests that force ``next_run_at`` to now
    use it: at a fixed time such as 12:00, a run in that very minute found the schedule
    due twice (the forced instant and today's 12:00) and queued two reminders each."""
    return (dt.datetime.now(UTC) + dt.timedelta(hours=12)).time().replace(second=0, microsecond=0)


def schedule_for(
    user,
    *,
    weekdays=(0, 1, 2, 3, 4, 5, 6),
    at=dt.time(8, 0),
    tz: str | None = None,
    now: dt.datetime | None = None,
    **kwargs,
) -> ReminderSchedule:
    return reminder_schedule_create(
        user=user, weekdays=list(weekdays), local_time=at, timezone=tz, now=now, **kwargs
    )
