"""Reminder schedules: when one fires (pure), and creating, changing, pausing, deleting them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Collection, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone as tz
from django.utils.translation import gettext as _

from accounts.models import User
from reminders.models import ReminderOccurrence, ReminderSchedule
from routines.models import Routine, Series

_UNSET: Any = object()


def _fire_instant(day: dt.date, local_time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant a schedule fires on a local ``day``.

    A local time inside a spring-forward gap does not exist: it fires at the first valid
    instant after it, which is the transition itself (Europe/London 2026-03-29 01:30 ->
    01:00 UTC, 02:00 BST). A repeated local time (fall back) fires at its first
    occurrence (fold=0).
    """
    wall = dt.datetime.combine(day, local_time.replace(tzinfo=None, fold=0))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists (the first occurrence if it is repeated)
    # In a gap, fold=1 reads the wall time with the new offset (an instant before the
    # transition) and fold=0 with the old one (an instant after it): the transition lies
    # between. Search it to the second.
    lo = int(wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC).timestamp())
    hi = int(first.timestamp())
    before = dt.datetime.fromtimestamp(lo, dt.UTC).astimezone(zone).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, dt.UTC).astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return dt.datetime.fromtimestamp(hi, dt.UTC)


def reminder_next_run(
    *,
    weekdays: Sequence[int],
    local_time: dt.time,
    timezone: str,
    after: dt.datetime,
    skip_local_dates: Collection[dt.date] = (),
) -> dt.datetime | None:
    """The first instant strictly after ``after`` at which the schedule fires (pure).

    Days are the schedule's weekdays in its own zone (Monday is 0); ``skip_local_dates``
    are local days that already had a reminder from this schedule.
    """
    days = set(weekdays)
    if not days:
        return None
    zone = zoneinfo.ZoneInfo(timezone)
    start = after.astimezone(zone).date() - dt.timedelta(days=1)
    for offset in range(16):
        day = start + dt.timedelta(days=offset)
        if day.weekday() not in days or day in skip_local_dates:
            continue
        instant = _fire_instant(day, local_time, zone)
        if instant > after:
            return instant
    return None


def _schedule_next_run(*, schedule: ReminderSchedule, now: dt.datetime) -> dt.datetime | None:
    """Next run after ``now``, never twice on a local day that already had this reminder
    (moving the time later, or moving zone westwards, after today's reminder went out)."""
    fired: set[dt.date] = set()
    if schedule.pk:
        fired = set(
            ReminderOccurrence.objects.filter(
                schedule=schedule, due_at__gte=now - dt.timedelta(days=2)
            ).values_list("local_date", flat=True)
        )
    return reminder_next_run(
        weekdays=schedule.weekdays,
        local_time=schedule.local_time,
        timezone=schedule.timezone,
        after=now,
        skip_local_dates=fired,
    )


def _routine_check(routine: Routine | None) -> None:
    if routine is not None and not Series.objects.published().filter(pk=routine.series_id).exists():
        raise ValidationError({"routine": _("Choose a routine from the library.")})


def _schedule_save(*, schedule: ReminderSchedule, now: dt.datetime | None) -> ReminderSchedule:
    if isinstance(schedule.weekdays, list | tuple) and all(
        isinstance(d, int) and not isinstance(d, bool) for d in schedule.weekdays
    ):
        schedule.weekdays = sorted(schedule.weekdays)
    if not schedule.weekdays:
        raise ValidationError({"weekdays": _("Choose at least one day.")})
    schedule.full_clean(exclude=["user", "routine", "next_run_at"])
    _routine_check(schedule.routine)
    schedule.next_run_at = (
        _schedule_next_run(schedule=schedule, now=now or tz.now()) if schedule.active else None
    )
    schedule.save()
    return schedule


@transaction.atomic
def reminder_schedule_create(
    *,
    user: User,
    weekdays: Sequence[int],
    local_time: dt.time,
    timezone: str | None = None,
    routine: Routine | None = None,
    active: bool = True,
    skip_if_practised: bool = False,
    now: dt.datetime | None = None,
) -> ReminderSchedule:
    """A new schedule; its zone defaults to the member's profile zone."""
    schedule = ReminderSchedule(
        user=user,
        weekdays=list(weekdays),
        local_time=local_time,
        timezone=timezone or user.timezone,
        routine=routine,
        active=active,
        skip_if_practised=skip_if_practised,
    )
    return _schedule_save(schedule=schedule, now=now)


@transaction.atomic
def reminder_schedule_update(
    *,
    schedule: ReminderSchedule,
    weekdays: Sequence[int] = _UNSET,
    local_time: dt.time = _UNSET,
    timezone: str = _UNSET,
    routine: Routine | None = _UNSET,
    active: bool = _UNSET,
    skip_if_practised: bool = _UNSET,
    now: dt.datetime | None = None,
) -> ReminderSchedule:
    """Change any fields (those not given stay); ``next_run_at`` is always recomputed."""
    changes = {
        "weekdays": list(weekdays) if weekdays is not _UNSET else _UNSET,
        "local_time": local_time,
        "timezone": timezone,
        "routine": routine,
        "active": active,
        "skip_if_practised": skip_if_practised,
    }
    for name, value in changes.items():
        if value is not _UNSET:
            setattr(schedule, name, value)
    return _schedule_save(schedule=schedule, now=now)


def reminder_schedule_pause(
    *, schedule: ReminderSchedule, paused: bool = True, now: dt.datetime | None = None
) -> ReminderSchedule:
    """Pause (no reminders, ``next_run_at`` cleared) or resume a schedule."""
    return reminder_schedule_update(schedule=schedule, active=not paused, now=now)


def reminder_schedule_delete(*, schedule: ReminderSchedule) -> None:
    """Delete the schedule and its ledger (links in sent emails then say they expired)."""
    schedule.delete()


def reminder_schedules_follow_timezone(
    *, user: User, old_timezone: str, new_timezone: str, now: dt.datetime | None = None
) -> int:
    """The member moved: schedules that were in their old profile zone follow them.

    Schedules the member set to another zone on purpose keep it. Returns how many moved.
    Called through ``accounts.hooks.member_timezone_changed`` (reminders/receivers.py).
    """
    if old_timezone == new_timezone:
        return 0
    moved = 0
    for schedule in ReminderSchedule.objects.filter(user=user, timezone=old_timezone).order_by(
        "id"
    ):
        schedule.timezone = new_timezone
        _schedule_save(schedule=schedule, now=now)
        moved += 1
    return moved
