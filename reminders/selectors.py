"""Reads about reminders: a member's schedules, labels for the pages, the export section."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone as django_timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from reminders.models import ReminderSchedule
from routines.models import Routine, Series


def reminder_schedules_for(*, user: User) -> QuerySet[ReminderSchedule]:
    """The member's own schedules, active first, then by time of day."""
    return (
        ReminderSchedule.objects.filter(user=user)
        .select_related("routine__series")
        .order_by("-active", "local_time", "id")
    )


def reminder_default_routine() -> Routine | None:
    """The routine suggested when a schedule names none: the library's first."""
    return (
        Routine.objects.filter(series__in=Series.objects.published())
        .select_related("series")
        .order_by("series__published_at", "series_id", "position", "id")
        .first()
    )


def reminder_next_label(
    *, instant: dt.datetime | None, zone: zoneinfo.ZoneInfo, now: dt.datetime | None = None
) -> str:
    """Label like "Tuesday 12:30 (in 2 days)" in the member's zone; "" if none."""
    if instant is None:
        return ""
    now = (now or django_timezone.now()).astimezone(zone)
    local = instant.astimezone(zone)
    days = (local.date() - now.date()).days
    time = f"{local:%H:%M}"
    if days <= 0:
        minutes = max(0, int((instant - now).total_seconds() // 60))
        if minutes < 60:
            relative = ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
        else:
            hours = minutes // 60
            relative = ngettext("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}
        return _("today %(time)s (%(relative)s)") % {"time": time, "relative": relative}
    if days == 1:
        return _("tomorrow %(time)s") % {"time": time}
    day = f"{local:%A}" if days < 7 else f"{local:%A %-d %B}"
    return _("%(day)s %(time)s (in %(n)d days)") % {"day": day, "time": time, "n": days}


def reminder_export_section(user: User) -> list[dict[str, Any]]:
    """The member's export: each schedule and its last 100 occurrences.

    Registered with ``accounts.selectors.register_export_section`` in RemindersConfig.ready().
    """
    data = []
    for schedule in reminder_schedules_for(user=user):
        occurrences = schedule.occurrences.order_by("-due_at")[:100]
        data.append(
            {
                "weekdays": schedule.weekdays,
                "local_time": schedule.local_time.strftime("%H:%M"),
                "timezone": schedule.timezone,
                "routine": schedule.routine.title if schedule.routine else None,
                "active": schedule.active,
                "skip_if_practised": schedule.skip_if_practised,
                "next_run_at": schedule.next_run_at.isoformat() if schedule.next_run_at else None,
                "created_at": schedule.created_at.isoformat(),
                "occurrences": [
                    {
                        "due_at": o.due_at.isoformat(),
                        "local_date": o.local_date.isoformat(),
                        "status": o.status,
                        "sent_at": o.sent_at.isoformat() if o.sent_at else None,
                        "action": o.action or None,
                    }
                    for o in occurrences
                ],
            }
        )
    return data


def reminder_days_label(weekdays: list[int]) -> str:
    """A short label: Every day, Weekdays, Weekends, or Mon, Wed, Fri."""
    days = sorted(set(weekdays))
    if days == list(range(7)):
        return _("Every day")
    if days == list(range(5)):
        return _("Weekdays")
    if days == [5, 6]:
        return _("Weekends")
    return ", ".join(str(WEEKDAYS_ABBR[d]) for d in days if 0 <= d <= 6)
