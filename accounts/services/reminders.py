"""Reminder schedules, the dispatch cycle, the send path and the signed email actions."""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
import zoneinfo
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone as tz

from accounts.models import (
    ReminderOccurrence,
    ReminderSchedule,
    User,
)
from routines.models import Routine, Series, SessionLog
from routines.selectors import member_practised_on

# --- Reminders ------------------------------------------------------------------------
#
# A schedule fires at ``next_run_at`` (UTC). The dispatcher (one beat entry, every minute,
# or ``manage.py dispatch_reminders``) claims due schedules in batches, writes one ledger
# row per occurrence (unique per schedule and instant), advances ``next_run_at`` and queues
# the send tasks after commit. The send task claims ledger rows atomically, so a task
# delivered twice, or two workers racing, send each occurrence at most once; the sweep
# re-queues rows a crashed worker left behind, so none is lost.

REMINDER_LATE_LIMIT = dt.timedelta(minutes=60)
REMINDER_BATCH_SIZE = 1000
REMINDER_CHUNK_SIZE = 100
REMINDER_MAX_ATTEMPTS = 6
REMINDER_STALE_QUEUED = dt.timedelta(minutes=5)
REMINDER_STALE_SENDING = dt.timedelta(minutes=15)
# A sender refreshes its claim this often, far below REMINDER_STALE_SENDING.
REMINDER_CLAIM_RENEW_SECONDS = 60.0
REMINDER_ACTION_NAMESPACE = uuid.UUID("6f0b7c9e-2a51-4d1e-9a55-0f4e2f1b7a11")
REMINDER_ACTION_SALTS = {
    ReminderOccurrence.Action.DONE: "accounts.reminders.action.done",
    ReminderOccurrence.Action.REST: "accounts.reminders.action.rest",
}
_UNSET: Any = object()
# Context keys of a reminder that belong to one member (the rest is shared by a group).
REMINDER_PERSONAL_KEYS = frozenset({"user", "occurrence", "done_url", "rest_url"})


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
        raise ValidationError({"routine": "Choose a routine from the library."})


def _schedule_save(*, schedule: ReminderSchedule, now: dt.datetime | None) -> ReminderSchedule:
    if isinstance(schedule.weekdays, list | tuple) and all(
        isinstance(d, int) and not isinstance(d, bool) for d in schedule.weekdays
    ):
        schedule.weekdays = sorted(schedule.weekdays)
    if not schedule.weekdays:
        raise ValidationError({"weekdays": "Choose at least one day."})
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


@dataclass
class ReminderDispatchSummary:
    now: dt.datetime
    dry_run: bool = False
    schedules: int = 0
    queued: int = 0
    skipped_late: int = 0
    already_recorded: int = 0
    batches: int = 0
    tasks: int = 0

    def __str__(self) -> str:
        verb = "would queue" if self.dry_run else "queued"
        return (
            f"{'[dry run] ' if self.dry_run else ''}at {self.now.isoformat()}: "
            f"{self.schedules} due schedule(s) in {self.batches} batch(es); {verb} "
            f"{self.queued} reminder(s) in {self.tasks} send task(s); "
            f"{self.skipped_late} skipped as more than an hour late; "
            f"{self.already_recorded} already recorded."
        )


def _chunks(ids: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _enqueue_sends(ids: Sequence[int], chunk_size: int) -> int:
    from accounts.tasks import reminders_send

    count = 0
    for chunk in _chunks(ids, chunk_size):
        reminders_send.delay(chunk)
        count += 1
    return count


def _dispatch_batch(
    *, now: dt.datetime, batch_size: int, summary: ReminderDispatchSummary
) -> list[int]:
    """Claim one batch of due schedules, write their ledger rows, advance them.

    Runs inside a transaction. ``skip_locked`` lets concurrent cycles share the work;
    on SQLite (no row locks) the IMMEDIATE transaction serialises cycles instead.
    Returns the ids of the newly queued ledger rows.
    """
    schedules = list(
        ReminderSchedule.objects.select_for_update(skip_locked=True)
        .filter(active=True, next_run_at__lte=now)
        # Only next_run_at: the partial index delivers this order, so the claim reads just
        # the batch even when a whole minute's worth of schedules share one instant.
        .order_by("next_run_at")
        .only("id", "user_id", "weekdays", "local_time", "timezone", "routine_id", "next_run_at")[
            :batch_size
        ]
    )
    if not schedules:
        return []
    token = uuid.uuid4()
    rows: list[ReminderOccurrence] = []
    for schedule in schedules:
        zone = zoneinfo.ZoneInfo(schedule.timezone)
        due: dt.datetime | None = schedule.next_run_at
        # After an outage a schedule may be several occurrences behind: record each
        # (bounded), sending only those within the hour; the next run is in the future.
        for _ in range(32):
            if due is None or due > now:
                break
            late = now - due > REMINDER_LATE_LIMIT
            rows.append(
                ReminderOccurrence(
                    schedule_id=schedule.id,
                    user_id=schedule.user_id,
                    due_at=due,
                    local_date=due.astimezone(zone).date(),
                    routine_id=schedule.routine_id,
                    status=(
                        ReminderOccurrence.Status.SKIPPED_LATE
                        if late
                        else ReminderOccurrence.Status.QUEUED
                    ),
                    dispatch_token=token,
                )
            )
            due = reminder_next_run(
                weekdays=schedule.weekdays,
                local_time=schedule.local_time,
                timezone=schedule.timezone,
                after=due,
            )
        if due is not None and due <= now:
            due = reminder_next_run(
                weekdays=schedule.weekdays,
                local_time=schedule.local_time,
                timezone=schedule.timezone,
                after=now,
            )
        schedule.next_run_at = due
    ReminderOccurrence.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    ReminderSchedule.objects.bulk_update(schedules, ["next_run_at"], batch_size=1000)
    inserted = ReminderOccurrence.objects.filter(
        schedule_id__in=[s.id for s in schedules], dispatch_token=token
    ).values_list("id", "status")
    queued = sorted(pk for pk, status in inserted if status == ReminderOccurrence.Status.QUEUED)
    written = len(inserted)
    summary.schedules += len(schedules)
    summary.batches += 1
    summary.queued += len(queued)
    summary.skipped_late += written - len(queued)
    summary.already_recorded += len(rows) - written
    return queued


def reminder_dispatch_cycle(
    *,
    now: dt.datetime | None = None,
    batch_size: int = REMINDER_BATCH_SIZE,
    chunk_size: int = REMINDER_CHUNK_SIZE,
    dry_run: bool = False,
    max_batches: int = 10_000,
) -> ReminderDispatchSummary:
    """One dispatch cycle: every schedule due at ``now`` gets its ledger row and send task.

    Each batch commits on its own and queues its send tasks after that commit (one task
    per ``chunk_size`` ledger ids, so one SMTP connection serves a chunk). A dry run does
    the same work in one transaction and rolls it back, queueing nothing.
    """
    now = now or tz.now()
    summary = ReminderDispatchSummary(now=now, dry_run=dry_run)
    if dry_run:
        with transaction.atomic():
            for _ in range(max_batches):
                before = summary.schedules
                _dispatch_batch(now=now, batch_size=batch_size, summary=summary)
                if summary.schedules == before:
                    break
            summary.tasks = -(-summary.queued // chunk_size)
            transaction.set_rollback(True)
        return summary
    for _ in range(max_batches):
        before = summary.schedules
        with transaction.atomic():
            queued = _dispatch_batch(now=now, batch_size=batch_size, summary=summary)
            if queued:
                summary.tasks += -(-len(queued) // chunk_size)
                transaction.on_commit(partial(_enqueue_sends, queued, chunk_size))
        if summary.schedules == before:
            break
    return summary


@dataclass
class ReminderSendSummary:
    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: dict[str, list[int]] = field(default_factory=dict)
    not_claimed: list[int] = field(default_factory=list)


def _occurrences_claim(*, ids: Sequence[int], now: dt.datetime) -> list[int]:
    """Atomically move queued rows to 'sending'; returns only the rows this caller won."""
    with transaction.atomic():
        claimed = list(
            ReminderOccurrence.objects.select_for_update(skip_locked=True)
            .filter(id__in=list(ids), status=ReminderOccurrence.Status.QUEUED)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if claimed:
            ReminderOccurrence.objects.filter(id__in=claimed).update(
                status=ReminderOccurrence.Status.SENDING,
                attempts=F("attempts") + 1,
                claimed_at=now,
                updated_at=now,
            )
    return claimed


def _occurrence_mark(
    ids: Sequence[int], status: str, *, claim: dt.datetime | None = None, **fields: Any
) -> None:
    """Finish rows this caller holds ('sending', and still its claim when given)."""
    if ids:
        rows = ReminderOccurrence.objects.filter(
            id__in=list(ids), status=ReminderOccurrence.Status.SENDING
        )
        if claim is not None:
            rows = rows.filter(claimed_at=claim)
        rows.update(status=status, updated_at=tz.now(), **fields)


def _claim_renew(*, ids: Sequence[int], claim: dt.datetime, now: dt.datetime) -> set[int]:
    """Refresh ``claimed_at`` of the rows still held under ``claim`` so the sweep never
    mistakes a slow but living sender for a dead one; returns the rows still held."""
    with transaction.atomic():
        held = list(
            ReminderOccurrence.objects.select_for_update()
            .filter(id__in=list(ids), status=ReminderOccurrence.Status.SENDING, claimed_at=claim)
            .values_list("id", flat=True)
        )
        ReminderOccurrence.objects.filter(id__in=held).update(claimed_at=now, updated_at=now)
    return set(held)


def reminder_action_token(*, occurrence_id: int, action: str) -> str:
    """A signed, login-free token for one action on one ledger row (salt per action)."""
    return signing.dumps(occurrence_id, salt=REMINDER_ACTION_SALTS[action])


@functools.lru_cache(maxsize=16)
def _reminder_url_patterns(root_urlconf: str, urlconf: str | None) -> dict[str, str]:
    """``reverse()`` once per URL conf: a chunk of reminders then only formats strings."""
    from django.urls import reverse

    patterns = {
        action: reverse(
            "accounts:reminder_action",
            kwargs={"action": action, "token": "TOKEN"},
            urlconf=urlconf,
        ).replace("TOKEN", "{token}")
        for action in REMINDER_ACTION_SALTS
    }
    patterns["schedules"] = reverse("accounts:reminders", urlconf=urlconf)
    return patterns


def _reminder_url(key: str, **params: str) -> str:
    from django.urls import get_urlconf

    pattern = _reminder_url_patterns(settings.ROOT_URLCONF, get_urlconf())[key]
    return settings.SITE_URL + pattern.format(**params)


def reminder_action_url(*, occurrence_id: int, action: str) -> str:
    token = reminder_action_token(occurrence_id=occurrence_id, action=action)
    return _reminder_url(action, token=token)


def reminder_email_context(
    *, occurrence: ReminderOccurrence, memo: dict[Any, Any] | None = None
) -> dict[str, Any]:
    """The reminder template's context. ``memo`` (one dict per chunk) keeps what every
    message of a chunk shares (routine links, zones) from being computed per message."""
    memo = {} if memo is None else memo
    routine = occurrence.routine
    zone_name = occurrence.schedule.timezone
    zone = memo.get(("zone", zone_name))
    if zone is None:
        zone = memo[("zone", zone_name)] = zoneinfo.ZoneInfo(zone_name)
    routine_url = ""
    if routine is not None:
        routine_url = memo.get(("routine_url", routine.pk))
        if routine_url is None:
            routine_url = settings.SITE_URL + routine.series.get_absolute_url()
            memo[("routine_url", routine.pk)] = routine_url
    return {
        "user": occurrence.user,
        "occurrence": occurrence,
        "routine": routine,
        "routine_url": routine_url,
        "local_date": occurrence.local_date,
        "local_time": occurrence.due_at.astimezone(zone),
        "done_url": reminder_action_url(
            occurrence_id=occurrence.id, action=ReminderOccurrence.Action.DONE
        ),
        "rest_url": reminder_action_url(
            occurrence_id=occurrence.id, action=ReminderOccurrence.Action.REST
        ),
        "schedules_url": _reminder_url("schedules"),
    }


def _occurrence_mark_sent(*, occurrence_id: int, claim: dt.datetime) -> None:
    """``_occurrence_mark([id], SENT, claim=...)`` in plain SQL.

    Runs right after each server 250 (the at-most-once window is this one round trip), so
    it is on the hot path: plain SQL skips building an ORM query per message.
    """
    meta = ReminderOccurrence._meta
    column = {
        name: db_connection.ops.quote_name(meta.get_field(name).column)
        for name in ("id", "status", "sent_at", "updated_at", "last_error", "claimed_at")
    }
    now = tz.now()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {db_connection.ops.quote_name(meta.db_table)} SET {column['status']} = %s, "  # noqa: S608
            f"{column['sent_at']} = %s, {column['updated_at']} = %s, {column['last_error']} = '' "
            f"WHERE {column['id']} = %s AND {column['status']} = %s "
            f"AND {column['claimed_at']} = %s",
            [
                ReminderOccurrence.Status.SENT.value,
                now,
                now,
                occurrence_id,
                ReminderOccurrence.Status.SENDING.value,
                claim,
            ],
        )


def reminder_occurrences_send(
    *,
    occurrence_ids: Sequence[int],
    now: dt.datetime | None = None,
    connection: Any = None,
) -> ReminderSendSummary:
    """Send the reminder of each queued ledger row in ``occurrence_ids``, once.

    Rows are claimed atomically (queued -> sending); rows another worker holds, or that
    are already finished, are left alone. Send-time checks: more than an hour late ->
    skipped_late; recipient not allowed -> skipped_not_allowed; "skip if practised" and a
    session on that local day -> skipped_practised. The messages share one SMTP
    connection, and each row is marked sent right after the server accepted its message,
    so a crash can repeat at most the one message in flight (see README: delivery).
    Transient failures go back to 'queued' for a retry; permanent ones are 'failed'.
    """
    from django.core.mail import get_connection

    from accounts.emails import Category, email_allowed_user_ids
    from wellness import emails

    now = now or tz.now()
    summary = ReminderSendSummary()
    claimed = _occurrences_claim(ids=occurrence_ids, now=now)
    summary.not_claimed = sorted(set(occurrence_ids) - set(claimed))
    if not claimed:
        return summary
    occurrences = list(
        ReminderOccurrence.objects.filter(id__in=claimed)
        .select_related("user", "schedule", "routine__series")
        .order_by("id")
    )
    allowed = email_allowed_user_ids(
        user_ids={occ.user_id for occ in occurrences}, category=Category.REMINDERS
    )
    skipped: dict[str, list[int]] = {}
    outgoing: list[tuple[ReminderOccurrence, Any]] = []
    memo: dict[Any, Any] = {}
    renderers: dict[tuple[Any, ...], Any] = {}
    for occ in occurrences:
        if now - occ.due_at > REMINDER_LATE_LIMIT:
            reason = ReminderOccurrence.Status.SKIPPED_LATE
        elif occ.user_id not in allowed:
            reason = ReminderOccurrence.Status.SKIPPED_NOT_ALLOWED
        elif occ.schedule.skip_if_practised and member_practised_on(
            user=occ.user, local_date=occ.local_date
        ):
            reason = ReminderOccurrence.Status.SKIPPED_PRACTISED
        else:
            if occ.routine_id is None:
                occ.routine = _default_routine()
            context = reminder_email_context(occurrence=occ, memo=memo)
            # Members who share the routine, day and local time share one rendering of
            # the templates; only their names and signed links differ.
            group = (context["routine"] and context["routine"].pk, occ.local_date, occ.due_at)
            group += (occ.schedule.timezone,)
            renderer = renderers.get(group)
            if renderer is None:
                shared = {k: v for k, v in context.items() if k not in REMINDER_PERSONAL_KEYS}
                renderer = renderers[group] = emails.EmailBatchRenderer(
                    template="reminder",
                    category=Category.REMINDERS,
                    context=shared,
                    personal_keys=("done_url", "rest_url"),
                )
            message = renderer.build(
                user=occ.user,
                context={"done_url": context["done_url"], "rest_url": context["rest_url"]},
            )
            # Names the ledger row: support can trace a message, receivers can deduplicate.
            message.extra_headers["X-Kneadful-Reminder"] = str(occ.id)
            outgoing.append((occ, message))
            continue
        skipped.setdefault(reason, []).append(occ.id)
    for reason, ids in skipped.items():
        _occurrence_mark(ids, reason)
    summary.skipped = skipped
    if not outgoing:
        return summary
    own_connection = connection is None
    connection = connection or get_connection()
    claim, held, renewed = now, set(claimed), time.monotonic()
    try:
        for index, (occ, message) in enumerate(outgoing):
            if time.monotonic() - renewed > REMINDER_CLAIM_RENEW_SECONDS:
                fresh = max(tz.now(), claim + dt.timedelta(microseconds=1))
                held = _claim_renew(ids=[o.id for o, _ in outgoing[index:]], claim=claim, now=fresh)
                claim, renewed = fresh, time.monotonic()
            if occ.id not in held:  # the sweep gave it to another sender: not ours now
                summary.not_claimed.append(occ.id)
                continue
            outcome = emails.email_send_batch([(occ.user, message)], connection=connection)[0]
            if outcome.status == "sent":
                _occurrence_mark_sent(occurrence_id=occ.id, claim=claim)
                summary.sent.append(occ.id)
            elif outcome.status == "skipped":
                _occurrence_mark(
                    [occ.id], ReminderOccurrence.Status.SKIPPED_NOT_ALLOWED, claim=claim
                )
                skipped.setdefault(ReminderOccurrence.Status.SKIPPED_NOT_ALLOWED, []).append(occ.id)
            elif outcome.status == "transient" and occ.attempts < REMINDER_MAX_ATTEMPTS:
                _occurrence_mark(
                    [occ.id],
                    ReminderOccurrence.Status.QUEUED,
                    claim=claim,
                    last_error=outcome.reason[:500],
                )
                summary.retry.append(occ.id)
            else:
                _occurrence_mark(
                    [occ.id],
                    ReminderOccurrence.Status.FAILED,
                    claim=claim,
                    last_error=outcome.reason[:500],
                )
                summary.failed.append(occ.id)
    finally:
        if own_connection:
            connection.close()
    return summary


def reminder_sweep(
    *,
    now: dt.datetime | None = None,
    stale_queued: dt.timedelta = REMINDER_STALE_QUEUED,
    stale_sending: dt.timedelta = REMINDER_STALE_SENDING,
    chunk_size: int = REMINDER_CHUNK_SIZE,
    limit: int = 50_000,
) -> list[int]:
    """Re-queue ledger rows a crashed worker or a lost task left unsent; returns their ids.

    'sending' rows claimed longer than ``stale_sending`` ago (a worker died mid-send) go
    back to 'queued'; 'queued' rows untouched for ``stale_queued`` get a fresh task.
    Rows over an hour late are then skipped by the send task, not sent.
    """
    now = now or tz.now()
    with transaction.atomic():
        stuck = list(
            ReminderOccurrence.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderOccurrence.Status.SENDING, claimed_at__lt=now - stale_sending)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        ReminderOccurrence.objects.filter(
            id__in=stuck, status=ReminderOccurrence.Status.SENDING
        ).update(status=ReminderOccurrence.Status.QUEUED, updated_at=now)
        waiting = list(
            ReminderOccurrence.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderOccurrence.Status.QUEUED, updated_at__lt=now - stale_queued)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        # Touch them so the next sweep waits another period before queueing them again.
        ReminderOccurrence.objects.filter(id__in=waiting).update(updated_at=now)
        ids = sorted(set(stuck) | set(waiting))
        if ids:
            transaction.on_commit(partial(_enqueue_sends, ids, chunk_size))
    return ids


def _default_routine() -> Routine | None:
    """The routine suggested when a schedule names none: the library's first."""
    return (
        Routine.objects.filter(series__in=Series.objects.published())
        .select_related("series")
        .order_by("series__published_at", "series_id", "position", "id")
        .first()
    )


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


def _quick_session_window(
    *, occurrence: ReminderOccurrence, routine: Routine, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """When the quick session is logged: at the reminder, on its local day, never later
    than now, lasting the routine's guided time (at least a minute, at most an hour)."""
    from django.db.models import Sum

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


@transaction.atomic
def reminder_action_perform(
    *, occurrence: ReminderOccurrence, action: str, now: dt.datetime | None = None
) -> ReminderActionResult:
    """Do what an email link asks, once: log a quick session ("I did it") or mark the
    occurrence's local day as rest ("Rest today"). Repeats change nothing and say so.

    Raises ``RestLimitReached`` when the week's rest days are used up.
    """
    from routines.services import rest_day_mark, session_log_create

    now = now or tz.now()
    occurrence = ReminderOccurrence.objects.select_for_update().get(pk=occurrence.pk)
    user = occurrence.user
    day = f"{occurrence.local_date:%A %-d %B}"
    if action == ReminderOccurrence.Action.DONE:
        routine = occurrence.routine or occurrence.schedule.routine or _default_routine()
        if routine is None:
            return ReminderActionResult(False, "There is no routine in the library to log yet.")
        started_at, ended_at = _quick_session_window(
            occurrence=occurrence, routine=routine, now=now
        )
        _, created = session_log_create(
            user=user,
            routine=routine,
            started_at=started_at,
            ended_at=ended_at,
            client_id=uuid.uuid5(REMINDER_ACTION_NAMESPACE, f"occurrence:{occurrence.pk}:done"),
            source=SessionLog.Source.EMAIL,
        )
        message = (
            f"Well done! We logged {routine.title} for {day}."
            if created
            else f"Already logged: {routine.title} is in your log for {day}. Nothing more to do."
        )
    elif action == ReminderOccurrence.Action.REST:
        _, created = rest_day_mark(user=user, local_date=occurrence.local_date)
        message = (
            f"Rest well. {day} is marked as a rest day, and your streak is safe."
            if created
            else f"{day} was already marked as a rest day. Nothing more to do."
        )
    else:
        raise ValueError(f"unknown reminder action {action!r}")
    if created or not occurrence.action:
        occurrence.action = action
        occurrence.acted_at = now
        occurrence.save(update_fields=["action", "acted_at", "updated_at"])
    return ReminderActionResult(created, message)
