"""Members' session logs: create, update and delete, each with its aggregates in one
transaction. The page views, the API, the reminder email action and the commands all
log through these functions."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from routines.models import Routine, SessionLog
from routines.services.activity import activity_apply, activity_tidy


def _local(user: User, instant: dt.datetime) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(user.timezone)).date()


def _step_count(routine: Routine) -> int:
    """Steps of the routine; ``routine_for_logging`` annotates it to save a query."""
    count = getattr(routine, "step_count", None)
    return routine.steps.count() if count is None else count


# Fields of a log that ``full_clean`` leaves out: the member and the routine (the caller
# found the routine through ``routine_for_logging``, which applies who may log what) and
# the values derived here rather than given (duration from the times, which
# ``SessionLog.clean`` bounds; steps_total from the routine; local_date and timezone from
# the member's zone).
_DERIVED = ["user", "routine", "duration_seconds", "steps_total", "local_date", "timezone"]


def _existing_log(*, user: User, client_id: uuid.UUID | None) -> SessionLog | None:
    if client_id is None:
        return None
    return SessionLog.objects.filter(user=user, client_id=client_id).first()


def session_log_create(
    *,
    user: User,
    routine: Routine,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    client_id: uuid.UUID | None = None,
    steps_completed: int | None = None,
    sides: str = "",
    tension_before: int | None = None,
    tension_after: int | None = None,
    tension_map: dict | None = None,
    rating: int | None = None,
    notes: str = "",
    source: str = SessionLog.Source.PLAYER,
) -> tuple[SessionLog, bool]:
    """Log a session of a routine the member may log (``routine_for_logging``); returns
    (log, created).

    A repeat of the same ``client_id`` for the same member returns the stored log
    unchanged (created=False), even when two requests race: the unique constraint
    decides, and the loser reads the winner's row. The local date is the member's
    calendar day at ``started_at`` in their current zone. ``SessionLog.clean`` gives
    the field messages (raised as ``ValidationError``). The log and the member's
    aggregates are written in one transaction.
    """
    steps_total = _step_count(routine)
    log = SessionLog(
        user=user,
        routine=routine,
        client_id=client_id or uuid.uuid4(),
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=max(0, int((ended_at - started_at).total_seconds())),
        steps_completed=steps_total if steps_completed is None else steps_completed,
        steps_total=steps_total,
        sides=sides or "",
        tension_before=tension_before,
        tension_after=tension_after,
        tension_map=tension_map or {},
        rating=rating,
        notes=notes or "",
        local_date=_local(user, started_at),
        timezone=user.timezone,
        source=source,
    )
    try:
        # Constraints are checked by the database (Django would query once per constraint).
        log.full_clean(exclude=_DERIVED, validate_unique=False, validate_constraints=False)
    except ValidationError:
        # A retry of a log that was stored may no longer validate (e.g. the start is now
        # too far back): the member's first answer stands.
        existing = _existing_log(user=user, client_id=client_id)
        if existing is not None:
            return existing, False
        raise
    try:
        with transaction.atomic():
            log.save(force_insert=True)
            activity_apply(log=log, series_id=routine.series_id, sign=1)
    except IntegrityError:
        existing = _existing_log(user=user, client_id=log.client_id)
        if existing is None:
            raise
        return existing, False
    return log, True


SESSION_LOG_EDITABLE = frozenset(
    {
        "routine",
        "started_at",
        "ended_at",
        "steps_completed",
        "sides",
        "tension_before",
        "tension_after",
        "tension_map",
        "rating",
        "notes",
    }
)


@transaction.atomic
def session_log_update(*, user: User, log: SessionLog, **fields: object) -> SessionLog:
    """Change the member's own log; duration and local date follow the times.

    Accepts the fields in ``SESSION_LOG_EDITABLE``. The stored row is re-read under a
    row lock, so the aggregates move by what really changed even if ``log`` was edited
    in memory (e.g. by a ModelForm) before the call. When the routine changes and
    ``steps_completed`` is not given, a log that had every step done has every step of
    the new routine done, and otherwise keeps its count, up to the new routine's steps.
    """
    unknown = set(fields) - SESSION_LOG_EDITABLE
    if unknown:
        raise TypeError(f"session_log_update() cannot change {', '.join(sorted(unknown))}")
    if log.user_id != user.pk:
        raise PermissionDenied("Not your session.")
    stored = (
        SessionLog.objects.select_for_update().select_related("routine").get(pk=log.pk, user=user)
    )
    old = SessionLog(
        user_id=stored.user_id,
        local_date=stored.local_date,
        duration_seconds=stored.duration_seconds,
        tension_before=stored.tension_before,
        tension_after=stored.tension_after,
    )
    old_series_id = stored.routine.series_id
    was_complete = stored.steps_completed >= stored.steps_total
    for name, value in fields.items():
        if name in {"sides", "notes"} and value is None:
            value = ""
        if name == "tension_map" and value is None:
            value = {}
        setattr(stored, name, value)
    if "routine" in fields:
        stored.steps_total = _step_count(stored.routine)
        if fields.get("steps_completed") is None:
            stored.steps_completed = (
                stored.steps_total
                if was_complete
                else min(stored.steps_completed, stored.steps_total)
            )
    elif "steps_completed" in fields and fields["steps_completed"] is None:
        stored.steps_completed = stored.steps_total
    if {"started_at", "ended_at"} & set(fields):
        stored.duration_seconds = max(0, int((stored.ended_at - stored.started_at).total_seconds()))
    if "started_at" in fields:
        stored.local_date = _local(user, stored.started_at)
        stored.timezone = user.timezone
    stored.full_clean(exclude=_DERIVED, validate_unique=False, validate_constraints=False)
    stored.save()
    activity_apply(log=old, series_id=old_series_id, sign=-1)
    activity_apply(log=stored, series_id=stored.routine.series_id, sign=1)
    activity_tidy(user_id=user.pk)
    return stored


@transaction.atomic
def session_log_delete(*, user: User, log: SessionLog) -> None:
    """Delete the member's own log and take it out of their aggregates."""
    if log.user_id != user.pk:
        raise PermissionDenied("Not your session.")
    stored = (
        SessionLog.objects.select_for_update()
        .select_related("routine")
        .filter(pk=log.pk, user=user)
        .first()
    )
    if stored is None:
        return
    activity_apply(log=stored, series_id=stored.routine.series_id, sign=-1)
    stored.delete()
    activity_tidy(user_id=user.pk)
