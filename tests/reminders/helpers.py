"""Shared helpers for the reminder tests."""

from __future__ import annotations

import datetime as dt

from reminders.models import ReminderSchedule
from reminders.services import reminder_schedule_create

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


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
