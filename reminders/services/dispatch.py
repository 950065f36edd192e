"""The dispatch cycle (due schedules -> ledger rows -> send tasks) and the sweep.

A schedule fires at ``next_run_at`` (UTC). The dispatcher (one beat entry, every minute,
or ``manage.py dispatch_reminders``) claims due schedules in batches, writes one ledger
row per occurrence (unique per schedule and instant), advances ``next_run_at`` and queues
the send tasks after commit. The send task claims ledger rows atomically, so a task
delivered twice, or two workers racing, send each occurrence at most once; the sweep
re-queues rows a crashed worker, a lost task or an unreachable broker left behind, so
none is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.utils import timezone as tz
from kombu.exceptions import OperationalError as BrokerOperationalError

from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.services.schedules import reminder_next_run

logger = logging.getLogger(__name__)

REMINDER_LATE_LIMIT = dt.timedelta(minutes=60)
REMINDER_BATCH_SIZE = 1000
REMINDER_CHUNK_SIZE = 100
# The delivery bound after a crash (docs/reminders.md, "A killed worker"): a row whose
# sender died, or whose send task was lost with a worker or a broker, is queued again by the
# first sweep after it went stale, so it is re-sent at the latest
#   due + DISPATCH_EVERY (the dispatch tick) + max(STALE_*) + SWEEP_EVERY (the sweep tick)
# plus the time a worker takes to pick the fresh task: 60 + 90 + 60 = 210 s, leaving 90 s
# of REMINDER_CRASH_DELIVERY_BOUND for that and for the dispatch's own run. Nothing waits
# for the broker's redelivery of an unacknowledged task (an hour on Redis): when it comes,
# the rows are no longer queued and the task claims nothing.
REMINDER_DISPATCH_EVERY = dt.timedelta(seconds=60)  # beat's "reminders-dispatch"
REMINDER_SWEEP_EVERY = dt.timedelta(seconds=60)  # beat's "reminders-sweep"
# A living sender renews its claim every REMINDER_CLAIM_RENEW_SECONDS (15 s) between two
# messages, so its claim is at most 15 s plus one message's SMTP exchange (five steps, each
# bounded by EMAIL_TIMEOUT, 10 s) plus the 20 s it may wait to record a 250 across a
# database restart old: 85 s. 90 s without renewal means the sender is dead.
REMINDER_STALE_SENDING = dt.timedelta(seconds=90)
# Queued rows untouched this long lost their task (a killed worker had it reserved, or
# the broker lost it). Re-queueing rows that merely wait in a backlog is harmless: the
# atomic claim lets only one of the two tasks send them.
REMINDER_STALE_QUEUED = dt.timedelta(seconds=90)
REMINDER_CRASH_DELIVERY_BOUND = dt.timedelta(minutes=5)
# Publishing a send task: one quick retry, then give up. With the broker down a dispatch
# must not hang in kombu's retries; the rows stay queued and the sweep queues them again.
REMINDER_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# What publishing raises when the broker cannot be reached (Celery re-raises the
# transport's connection errors as kombu's OperationalError; OSError for sockets).
BROKER_ERRORS: tuple[type[Exception], ...] = (BrokerOperationalError, OSError)
# How many due schedules a summary describes one by one (for operators; the rest counted).
REMINDER_DESCRIBED_SCHEDULES = 20


@dataclass
class ReminderScheduleOutcome:
    """What one dispatch did with one due schedule (instants in UTC)."""

    schedule_id: int
    user_id: int
    timezone: str
    queued: list[dt.datetime] = field(default_factory=list)
    skipped_late: list[dt.datetime] = field(default_factory=list)
    already_recorded: list[dt.datetime] = field(default_factory=list)
    next_run_at: dt.datetime | None = None

    def describe(self, *, dry_run: bool = False) -> str:
        """One plain sentence, times in the schedule's own zone."""
        zone = zoneinfo.ZoneInfo(self.timezone)

        def at(instants: Iterable[dt.datetime]) -> str:
            return ", ".join(f"{i.astimezone(zone):%a %-d %b %H:%M}" for i in instants)

        parts = []
        if self.queued:
            verb = "would send" if dry_run else "sends"
            parts.append(f"{verb} the reminder of {at(self.queued)}")
        if self.skipped_late:
            verb = "would skip" if dry_run else "skipped"
            parts.append(f"{verb} {at(self.skipped_late)}: more than an hour late, not sent")
        if self.already_recorded:
            parts.append(f"{at(self.already_recorded)} already recorded by an earlier run")
        parts.append(
            f"next reminder {at([self.next_run_at])}" if self.next_run_at else "no next reminder"
        )
        return f"schedule {self.schedule_id} (member {self.user_id}, {self.timezone}): " + (
            "; ".join(parts) + "."
        )


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
    described: list[ReminderScheduleOutcome] = field(default_factory=list)

    def __str__(self) -> str:
        verb = "would queue" if self.dry_run else "queued"
        late = "would be recorded as skipped" if self.dry_run else "recorded as skipped"
        return (
            f"{'[dry run] ' if self.dry_run else ''}at {self.now.isoformat()}: "
            f"{self.schedules} due schedule(s) in {self.batches} batch(es); {verb} "
            f"{self.queued} reminder(s) in {self.tasks} send task(s); "
            f"{self.skipped_late} missed reminder(s) {late}, not sent (more than an hour "
            f"late); {self.already_recorded} already recorded by an earlier run."
        )

    def report(self) -> list[str]:
        """The totals, then one line per due schedule (the first few) saying what happens."""
        lines = [str(self)]
        lines += [f"  {outcome.describe(dry_run=self.dry_run)}" for outcome in self.described]
        if self.schedules > len(self.described):
            lines.append(f"  ... and {self.schedules - len(self.described)} more schedule(s).")
        return lines


def _chunks(ids: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _enqueue_sends(ids: Sequence[int], chunk_size: int) -> int:
    """Queue one send task per chunk of ledger ids; returns how many tasks were queued.

    When the broker cannot be reached (after one quick retry) nothing is raised: a
    warning is logged and the rows stay 'queued'; ``reminder_sweep`` queues them again
    once they are ``REMINDER_STALE_QUEUED`` old and the broker answers.
    """
    from reminders.tasks import reminders_send

    chunks = list(_chunks(ids, chunk_size))
    for count, chunk in enumerate(chunks):
        try:
            reminders_send.apply_async(
                (chunk,), retry=True, retry_policy=REMINDER_PUBLISH_RETRY_POLICY
            )
        except BROKER_ERRORS as exc:
            waiting = sum(len(c) for c in chunks[count:])
            logger.warning(
                "Broker unreachable: %d reminder(s) stay queued for the sweep (%s: %s)",
                waiting,
                type(exc).__name__,
                exc,
            )
            return count
    return len(chunks)


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
    inserted = list(
        ReminderOccurrence.objects.filter(
            schedule_id__in=[s.id for s in schedules], dispatch_token=token
        ).values_list("id", "status", "schedule_id", "due_at")
    )
    queued = sorted(
        pk for pk, status, _, _ in inserted if status == ReminderOccurrence.Status.QUEUED
    )
    written = len(inserted)
    _describe(summary=summary, schedules=schedules, rows=rows, inserted=inserted)
    summary.schedules += len(schedules)
    summary.batches += 1
    summary.queued += len(queued)
    summary.skipped_late += written - len(queued)
    summary.already_recorded += len(rows) - written
    return queued


def _describe(
    *,
    summary: ReminderDispatchSummary,
    schedules: list[ReminderSchedule],
    rows: list[ReminderOccurrence],
    inserted: list[tuple[int, str, int, dt.datetime]],
) -> None:
    """Keep, for the first few schedules, what happened to each of their occurrences."""
    room = REMINDER_DESCRIBED_SCHEDULES - len(summary.described)
    if room <= 0:
        return
    written = {(schedule_id, due): status for _, status, schedule_id, due in inserted}
    outcomes = {
        schedule.id: ReminderScheduleOutcome(
            schedule_id=schedule.id,
            user_id=schedule.user_id,
            timezone=schedule.timezone,
            next_run_at=schedule.next_run_at,
        )
        for schedule in schedules[:room]
    }
    for row in rows:
        outcome = outcomes.get(row.schedule_id)
        if outcome is None:
            continue
        status = written.get((row.schedule_id, row.due_at))
        if status is None:
            outcome.already_recorded.append(row.due_at)
        elif status == ReminderOccurrence.Status.QUEUED:
            outcome.queued.append(row.due_at)
        else:
            outcome.skipped_late.append(row.due_at)
    summary.described.extend(outcomes.values())


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


def reminder_sweep(
    *,
    now: dt.datetime | None = None,
    stale_queued: dt.timedelta = REMINDER_STALE_QUEUED,
    stale_sending: dt.timedelta = REMINDER_STALE_SENDING,
    chunk_size: int = REMINDER_CHUNK_SIZE,
    limit: int = 50_000,
) -> list[int]:
    """Re-queue ledger rows a crashed worker, a lost task or an unreachable broker left
    unsent; returns their ids.

    'sending' rows claimed longer than ``stale_sending`` ago (a worker died mid-send) go
    back to 'queued'; 'queued' rows untouched for ``stale_queued`` get a fresh task. Run
    every ``REMINDER_SWEEP_EVERY``, this bounds a crash's delay (REMINDER_CRASH_DELIVERY_BOUND).
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
