"""Newsletter tasks: they take ids and call one service.

Campaign tasks run on their own queue (``bulk``, see ``CELERY_TASK_ROUTES``), so reminders
and account emails never wait behind a campaign. Nothing depends on a task arriving: the
minute sweep (``newsletters_tick``) finds unfinished work in the database.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import Task, shared_task

from accounts.models import User
from newsletters.models import Campaign
from newsletters.services import (
    ChunkResult,
    campaign_advance,
    campaign_chunk_send,
    campaign_test_send,
    campaigns_tick,
    subscription_confirmation_send,
)
from newsletters.services.base import transient_retry_countdown
from wellness.tasks import EMAIL_RETRY_POLICY

logger = logging.getLogger(__name__)


@shared_task(
    name="newsletters.tasks.subscription_confirmation_send_task",
    ignore_result=True,
    **EMAIL_RETRY_POLICY,
)
def subscription_confirmation_send_task(subscriber_id: int) -> str:
    """The double opt-in email of a sign-up (default queue: someone is waiting for it)."""
    return subscription_confirmation_send(subscriber_id=subscriber_id)


@shared_task(
    name="newsletters.tasks.campaign_test_send_task", ignore_result=True, **EMAIL_RETRY_POLICY
)
def campaign_test_send_task(campaign_id: int, user_id: int) -> str:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    user = User.objects.filter(pk=user_id).first()
    if campaign is None or user is None:
        return "skipped"
    return campaign_test_send(campaign=campaign, user=user)


@shared_task(name="newsletters.tasks.campaign_advance_task", ignore_result=True)
def campaign_advance_task(campaign_id: int) -> dict:
    """Hand out the next chunks of a sending campaign, or finish it."""
    return asdict(campaign_advance(campaign_id=campaign_id))


@shared_task(
    name="newsletters.tasks.campaign_chunk_send_task",
    bind=True,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # An outage stops a chunk; it is retried with a backoff until the server accepts
    # again or the campaign pauses itself (NEWSLETTER_TRANSIENT_PAUSE_AFTER). Past this
    # count (hours at 60 s apart) the minute sweep still offers the rows again.
    max_retries=200,
)
def campaign_chunk_send_task(self: Task, campaign_id: int, after_id: int, last_id: int) -> dict:
    """Send one chunk over one SMTP connection; safe to run twice (rows are claimed).

    Late acknowledgement: a worker that dies mid-chunk leaves the message to be
    redelivered and its claimed rows to the sweep; the claim keeps both from sending a
    row twice. A recipient's temporary failure goes back to the queue for the sweep; an
    outage (several in a row) stops the chunk, which runs again after a backoff.
    """
    result = campaign_chunk_send(campaign_id=campaign_id, after_id=after_id, last_id=last_id)
    if result.stopped == ChunkResult.TRANSIENT and self.request.retries < self.max_retries:
        raise self.retry(countdown=transient_retry_countdown(self.request.retries))
    return asdict(result)


@shared_task(name="newsletters.tasks.newsletters_tick", ignore_result=True)
def newsletters_tick() -> dict:
    """Beat, every minute: start due campaigns, recover and advance sending ones."""
    result = campaigns_tick()
    if result.started or result.recovered or result.requeued_chunks:
        logger.info("newsletters tick: %s", result)
    return asdict(result)
