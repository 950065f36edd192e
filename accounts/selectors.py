"""Reads about members, including the full export of a member's own data."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import QuerySet
from django.utils import timezone as django_timezone

from accounts.models import (
    ApiToken,
    EmailPreference,
    EmailSuppression,
    ReminderSchedule,
    User,
    api_token_password_fingerprints,
)

# Apps add a section to the export by registering a function user -> JSON-able data.
# Registered in each app's AppConfig.ready(), so accounts does not import them.
EXPORT_SECTIONS: dict[str, Callable[[User], Any]] = {}


def register_export_section(name: str, builder: Callable[[User], Any]) -> None:
    EXPORT_SECTIONS[name] = builder


def member_data_export(*, user: User) -> dict[str, Any]:
    """Everything Kneadful holds about one member, as JSON-able data."""
    data: dict[str, Any] = {
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "timezone": user.timezone,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
    }
    for name, builder in sorted(EXPORT_SECTIONS.items()):
        data[name] = builder(user)
    return data


# --- API tokens -------------------------------------------------------------------------


def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    """The member's tokens that still work (not ended by a password change), newest first."""
    return ApiToken.objects.filter(
        user=user, password_fingerprint__in=api_token_password_fingerprints(user)
    ).order_by("-created_at", "-id")


def api_tokens_export_section(user: User) -> list[dict[str, Any]]:
    """The member's export: each working token's name and dates (never a key or its hash)."""
    return [
        {
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        }
        for token in api_tokens_for(user=user)
    ]


# --- Email preferences ------------------------------------------------------------------


def email_preferences_for(*, user: User) -> dict[str, bool]:
    """The member's categories as {"reminders": bool, "newsletter": bool, "offers": bool}.

    Members who never saved the preference centre have no row: they get the defaults.
    """
    row = (
        EmailPreference.objects.filter(user=user)
        .values("reminders", "newsletter", "offers")
        .first()
    )
    return dict(row) if row else dict(EmailPreference.DEFAULTS)


def email_suppression_for(*, address: str) -> EmailSuppression | None:
    return EmailSuppression.objects.for_address(address).first()


def email_export_section(user: User) -> dict[str, Any]:
    """The member's export: what they agreed to receive and whether their address is suppressed."""
    suppression = email_suppression_for(address=user.email)
    return {
        "preferences": email_preferences_for(user=user),
        "suppressed": suppression is not None,
        "suppression_reason": suppression.reason if suppression else None,
        "suppressed_at": suppression.created_at.isoformat() if suppression else None,
    }


# --- Reminders ------------------------------------------------------------------------


def reminder_schedules_for(*, user: User) -> QuerySet[ReminderSchedule]:
    """The member's own schedules, active first, then by time of day."""
    return (
        ReminderSchedule.objects.filter(user=user)
        .select_related("routine__series")
        .order_by("-active", "local_time", "id")
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
    if days <= 0:
        minutes = max(0, int((instant - now).total_seconds() // 60))
        if minutes < 60:
            relative = f"in {minutes} minute{'s' if minutes != 1 else ''}"
        else:
            hours = minutes // 60
            relative = f"in {hours} hour{'s' if hours != 1 else ''}"
        return f"today {local:%H:%M} ({relative})"
    if days == 1:
        return f"tomorrow {local:%H:%M}"
    if days < 7:
        return f"{local:%A %H:%M} (in {days} days)"
    return f"{local:%A %-d %B %H:%M} (in {days} days)"


def reminder_export_section(user: User) -> list[dict[str, Any]]:
    """The member's export: each schedule and its last 100 occurrences."""
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


_DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def reminder_days_label(weekdays: list[int]) -> str:
    """A short label: Every day, Weekdays, Weekends, or Mon, Wed, Fri."""
    days = sorted(set(weekdays))
    if days == list(range(7)):
        return "Every day"
    if days == list(range(5)):
        return "Weekdays"
    if days == [5, 6]:
        return "Weekends"
    return ", ".join(_DAY_NAMES[d] for d in days if 0 <= d <= 6)
