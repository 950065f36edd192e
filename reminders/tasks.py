"""Reminder tasks: one dispatcher on beat, idempotent send tasks, and the sweep.

Scheduling never relies on ETA/countdown tasks nor on one periodic task per member:
beat runs ``reminders_dispatch`` every minute, which reads ``next_run_at`` from the
database. Beat must run as its own single process (never ``-B`` on several workers).
"""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import Task, shared_task
from celery.exceptions import MaxRetriesExceededError

from reminders.services import (
    REMINDER_MAX_ATTEMPTS,
    reminder_dispatch_cycle,
    reminder_occurrences_send,
    reminder_sweep,
)

logger = logging.getLogger(__name__)

SEND_OPTIONS: dict[str, Any] = {
    "bind": True,
    "ignore_result": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": REMINDER_MAX_ATTEMPTS,
}


@shared_task(name="reminders.tasks.reminders_dispatch", ignore_result=True)
def reminders_dispatch() -> str:
    """One dispatch cycle at the current instant (the single beat entry, every minute)."""
    summary = reminder_dispatch_cycle()
    if summary.schedules:
        logger.info("reminders dispatch: %s", summary)
    return str(summary)


def _send(task: Task, occurrence_ids: list[int]) -> dict[str, int]:
    summary = reminder_occurrences_send(occurrence_ids=occurrence_ids)
    if summary.retry:
        countdown = min(30 * 2**task.request.retries, 240) + random.uniform(0, 5)  # noqa: S311
        try:
            raise task.retry(args=(summary.retry,), countdown=countdown)
        except MaxRetriesExceededError:
            # The rows stay queued; the sweep offers them again and the send service
            # marks them failed once they reach REMINDER_MAX_ATTEMPTS.
            logger.warning("reminders_send: giving up for now on %s", summary.retry)
    return {
        "sent": len(summary.sent),
        "retry": len(summary.retry),
        "failed": len(summary.failed),
        "skipped": sum(len(ids) for ids in summary.skipped.values()),
    }


@shared_task(name="reminders.tasks.reminders_send", **SEND_OPTIONS)
def reminders_send(self: Task, occurrence_ids: list[int]) -> dict[str, int]:
    """Send one chunk of reminders over one SMTP connection; safe to run twice.

    Late acknowledgement: a worker that dies mid-chunk leaves the message to be
    redelivered, and the rows it had claimed to the sweep; the atomic claim in
    ``reminder_occurrences_send`` keeps either path from sending a row twice.
    Rows that met a transient SMTP error are retried alone, with exponential backoff.
    """
    return _send(self, occurrence_ids)


@shared_task(name="reminders.tasks.reminders_sweep", ignore_result=True)
def reminders_sweep() -> int:
    """Re-queue ledger rows left unsent by a crashed worker, a lost task or a broker outage."""
    ids = reminder_sweep()
    if ids:
        logger.warning("reminders sweep re-queued %d occurrence(s)", len(ids))
    return len(ids)


# --- Old names, for ONE release --------------------------------------------------------
# Until this release the tasks were accounts.tasks.*. Messages published under those
# names before the deploy (send chunks waiting in the queue, a beat tick) still find a
# task here instead of being dropped as unregistered. Remove these in the next release.


@shared_task(name="accounts.tasks.reminders_send", **SEND_OPTIONS)
def reminders_send_old_name(self: Task, occurrence_ids: list[int]) -> dict[str, int]:
    """``reminders_send`` under its previous name (one release)."""
    return _send(self, occurrence_ids)


@shared_task(name="accounts.tasks.reminders_dispatch", ignore_result=True)
def reminders_dispatch_old_name() -> str:
    """``reminders_dispatch`` under its previous name (one release)."""
    return reminders_dispatch()


@shared_task(name="accounts.tasks.reminders_sweep", ignore_result=True)
def reminders_sweep_old_name() -> int:
    """``reminders_sweep`` under its previous name (one release)."""
    return reminders_sweep()
