"""Receivers of accounts' hooks, connected in RemindersConfig.ready()."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from reminders.services import reminder_schedules_follow_timezone


def member_timezone_changed(
    sender: Any, *, user: User, old_timezone: str, new_timezone: str, **kwargs: Any
) -> None:
    """The member moved: their schedules that followed the profile zone move too."""
    reminder_schedules_follow_timezone(
        user=user, old_timezone=old_timezone, new_timezone=new_timezone
    )
