"""Member email and reminder tasks.

``email_send_task`` sends one message to one member. Reminders: one dispatcher on beat,
idempotent send tasks, and the sweep.

Scheduling never relies on ETA/countdown tasks nor on one periodic task per member:
beat runs ``reminders_dispatch`` every minute, which reads ``next_run_at`` from the
database. Beat must run as its own single process (never ``-B`` on several workers).
"""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import shared_task
from celery.exceptions import MaxRetriesExceededError

from accounts.emails import email_send
from accounts.models import User
from accounts.services import (
    REMINDER_MAX_ATTEMPTS,
    reminder_dispatch_cycle,
    reminder_occurrences_send,
    reminder_sweep,
)
from wellness.tasks import EMAIL_RETRY_POLICY

logger = logging.getLogger(__name__)


@shared_task(name="accounts.tasks.email_send_task", ignore_result=True, **EMAIL_RETRY_POLICY)
def email_send_task(
    user_id: int, template: str, context: dict[str, Any], category: str | None
) -> str:
    """Send one email to one member (newsletters, notices). Returns the outcome status.

    The recipient is checked again when the task runs: a member who unsubscribed,
    was deleted or whose address bounced in the meantime gets nothing.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return "skipped"
    outcome = email_send(user=user, template=template, context=context, category=category)
    return outcome.status


@shared_task(name="accounts.tasks.reminders_dispatch", ignore_result=True)
def reminders_dispatch() -> str:
    """One dispatch cycle at the current instant (the single beat entry, every minute)."""
    summary = reminder_dispatch_cycle()
    if summary.schedules:
        logger.info("reminders dispatch: %s", summary)
    return str(summary)


@shared_task(
    bind=True,
    name="accounts.tasks.reminders_send",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=REMINDER_MAX_ATTEMPTS,
)
def reminders_send(self, occurrence_ids: list[int]) -> dict[str, int]:
    """Send one chunk of reminders over one SMTP connection; safe to run twice.

    Late acknowledgement: a worker that dies mid-chunk leaves the message to be
    redelivered, and the rows it had claimed to the sweep; the atomic claim in
    ``reminder_occurrences_send`` keeps either path from sending a row twice.
    Rows that met a transient SMTP error are retried alone, with exponential backoff.
    """
    summary = reminder_occurrences_send(occurrence_ids=occurrence_ids)
    if summary.retry:
        countdown = min(30 * 2**self.request.retries, 240) + random.uniform(0, 5)  # noqa: S311
        try:
            raise self.retry(args=(summary.retry,), countdown=countdown)
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


@shared_task(name="accounts.tasks.reminders_sweep", ignore_result=True)
def reminders_sweep() -> int:
    """Re-queue ledger rows left unsent by a crashed worker or a lost task."""
    ids = reminder_sweep()
    if ids:
        logger.warning("reminders sweep re-queued %d occurrence(s)", len(ids))
    return len(ids)
