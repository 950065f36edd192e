"""The login-free links in a reminder email: "I did it" and "Rest today"."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone as tz
from django.utils.translation import gettext as _

from accounts.models import User
from reminders.models import ReminderOccurrence
from reminders.selectors import reminder_default_routine
from routines.models import Routine, SessionLog
from routines.selectors import routine_for_logging
from routines.services import rest_day_mark, session_log_create

REMINDER_ACTION_NAMESPACE = uuid.UUID("6f0b7c9e-2a51-4d1e-9a55-0f4e2f1b7a11")
# The salts keep their old "accounts." names: links in emails already sent must still work.
REMINDER_ACTION_SALTS = {
    ReminderOccurrence.Action.DONE: "accounts.reminders.action.done",
    ReminderOccurrence.Action.REST: "accounts.reminders.action.rest",
}


def reminder_action_token(*, occurrence_id: int, action: str) -> str:
    """A signed, login-free token for one action on one ledger row (salt per action)."""
    return signing.dumps(occurrence_id, salt=REMINDER_ACTION_SALTS[action])


def reminder_action_resolve(*, token: str, action: str) -> ReminderOccurrence:
    """The ledger row a signed action token names; raises ``signing.BadSignature`` for a
    token that was tampered with, is for another action, or names a deleted reminder."""
    if action not in REMINDER_ACTION_SALTS:
        raise signing.BadSignature("unknown action")
    occurrence_id = signing.loads(token, salt=REMINDER_ACTION_SALTS[action])
    occurrence = (
        ReminderOccurrence.objects.filter(pk=occurrence_id)
        .select_related("user", "schedule", "routine__series")
        .first()
    )
    if occurrence is None:
        raise signing.BadSignature("the reminder no longer exists")
    return occurrence


@dataclass(frozen=True)
class ReminderActionResult:
    done: bool  # the action changed something now
    message: str
    refused: bool = False  # nothing could be done (no routine the member may log)


def _quick_session_window(
    *, occurrence: ReminderOccurrence, routine: Routine, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """When the quick session is logged: at the reminder, on its local day, never later
    than now, lasting the routine's guided time (at least a minute, at most an hour)."""
    seconds = routine.steps.aggregate(total=Sum(F("duration_seconds") * F("repetitions")))["total"]
    seconds = min(max(int(seconds or 300) * (2 if routine.per_side else 1), 60), 3600)
    zone = occurrence.user.zone
    start = occurrence.due_at
    if start.astimezone(zone).date() != occurrence.local_date:
        start = dt.datetime.combine(occurrence.local_date, dt.time(12), tzinfo=zone)
    end = start + dt.timedelta(seconds=seconds)
    if end > now:
        end = now
        start = end - dt.timedelta(seconds=seconds)
    return start, end


def _routine_to_log(*, occurrence: ReminderOccurrence, user: User) -> tuple[Routine | None, str]:
    """The routine "I did it" logs, or why there is none.

    The reminder's routine (else the schedule's, else the library's first), looked up like
    every other logging path: through ``routine_for_logging``, which gives None for a
    routine the member may not see (its series unpublished since the email went out).
    """
    routine_id = occurrence.routine_id or occurrence.schedule.routine_id
    if routine_id is None:
        default = reminder_default_routine()
        if default is None:
            return None, _("There is no routine in the library to log yet.")
        routine_id = default.pk
    routine = routine_for_logging(user=user, routine_id=routine_id)
    if routine is None:
        return None, _(
            "This reminder's routine is no longer in the library, so nothing was logged. "
            "You can log your session from your progress page."
        )
    return routine, ""


@transaction.atomic
def reminder_action_perform(
    *, occurrence: ReminderOccurrence, action: str, now: dt.datetime | None = None
) -> ReminderActionResult:
    """Do what an email link asks, once: log a quick session ("I did it") or mark the
    occurrence's local day as rest ("Rest today"). Repeats change nothing and say so.

    Raises ``RestLimitReached`` when the week's rest days are used up.
    """
    now = now or tz.now()
    occurrence = ReminderOccurrence.objects.select_for_update().get(pk=occurrence.pk)
    user = occurrence.user
    day = f"{occurrence.local_date:%A %-d %B}"
    if action == ReminderOccurrence.Action.DONE:
        routine, refusal = _routine_to_log(occurrence=occurrence, user=user)
        if routine is None:
            return ReminderActionResult(False, refusal, refused=True)
        started_at, ended_at = _quick_session_window(
            occurrence=occurrence, routine=routine, now=now
        )
        _log, created = session_log_create(
            user=user,
            routine=routine,
            started_at=started_at,
            ended_at=ended_at,
            client_id=uuid.uuid5(REMINDER_ACTION_NAMESPACE, f"occurrence:{occurrence.pk}:done"),
            source=SessionLog.Source.EMAIL,
        )
        values = {"routine": routine.title, "day": day}
        message = (
            _("Well done! We logged %(routine)s for %(day)s.") % values
            if created
            else _("Already logged: %(routine)s is in your log for %(day)s. Nothing more to do.")
            % values
        )
    elif action == ReminderOccurrence.Action.REST:
        _rest, created = rest_day_mark(user=user, local_date=occurrence.local_date)
        message = (
            _("Rest well. %(day)s is marked as a rest day, and your streak is safe.")
            if created
            else _("%(day)s was already marked as a rest day. Nothing more to do.")
        ) % {"day": day}
    else:
        raise ValueError(f"unknown reminder action {action!r}")
    if created or not occurrence.action:
        occurrence.action = action
        occurrence.acted_at = now
        occurrence.save(update_fields=["action", "acted_at", "updated_at"])
    return ReminderActionResult(created, message)
