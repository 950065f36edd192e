"""Campaigns: writing, scheduling, the resumable fan-out, pause/resume/cancel, announcements.

The fan-out is driven by database state, so a crash, a lost task or a broker outage
delays a campaign but never loses or doubles it:

* ``campaign_send`` starts it: members who opted in get audience rows, then the highest
  subscriber id is the snapshot (later sign-ups wait for the next campaign);
* ``campaign_advance`` (one at a time per campaign: it locks the row) walks the audience
  by id, ``NEWSLETTER_CHUNK_SIZE`` at a time: it writes one ``Delivery`` row per
  recipient (unique per campaign and subscriber), saves the cursor, and queues one chunk
  task per chunk on the ``bulk`` queue, keeping at most ``NEWSLETTER_PARALLEL_CHUNKS``
  unfinished;
* ``campaign_chunk_send`` claims the chunk's queued rows (queued -> sending), sends them
  over ONE connection, marks each row right after the server accepted it, and queues the
  next advance;
* ``campaigns_tick`` (beat, every minute; or ``manage.py send_campaigns``) starts due
  scheduled campaigns, hands rows a dead worker held back to the queue, re-queues chunks
  whose task was lost and advances every sending campaign.

Delivery guarantee: a row is claimed before its message is built and marked sent right
after the server's 250, so a crash can repeat at most the one message per chunk that was
on the wire when the process died (if the server had already accepted it); every other
recipient gets exactly one copy (tests/newsletters/test_campaign_integration.py). A live
chunk whose claim was taken (it stalled past ``STALE_SENDING``) still records the message
just accepted and sends nothing more of the rows it lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone as tz
from django.utils.translation import gettext as _

from accounts.models import User
from newsletters.models import CATEGORIES, Campaign, Delivery, Subscriber
from newsletters.services.base import (
    _advance_enqueue,
    _chunks_enqueue,
    _locked,
    _queued_ranges,
    _require,
    audience,
)
from newsletters.services.rendering import markdown_html, markdown_text
from newsletters.services.subscriptions import subscribers_sync_members
from routines.models import Series
from wellness import emails

logger = logging.getLogger(__name__)

Status = Campaign.Status
DStatus = Delivery.Status


# --- Writing ---------------------------------------------------------------------------------


def _category_check(category: str) -> None:
    if category not in CATEGORIES:
        raise ValueError(f"Unknown campaign category {category!r}; use one of {CATEGORIES}.")


def campaign_create(
    *,
    subject: str,
    body: str,
    category: str = "newsletter",
    created_by: User | None = None,
    series: Series | None = None,
) -> Campaign:
    _category_check(category)
    campaign = Campaign(
        subject=subject.strip(), body=body, category=category, created_by=created_by, series=series
    )
    campaign.full_clean(exclude=["created_by", "series"])
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    subject: str | None = None,
    body: str | None = None,
    category: str | None = None,
) -> Campaign:
    """Change a draft or scheduled campaign (what is sending or sent stays as it went)."""
    campaign = _locked(campaign)
    _require(campaign, Status.DRAFT, Status.SCHEDULED, action=_("edited"))
    if subject is not None:
        campaign.subject = subject.strip()
    if body is not None:
        campaign.body = body
    if category is not None:
        _category_check(category)
        campaign.category = category
    campaign.full_clean(exclude=["created_by", "series"])
    campaign.save()
    return campaign


# --- Rendering ---------------------------------------------------------------------------------


def campaign_email_context(*, campaign: Campaign) -> dict[str, Any]:
    """What every recipient of the campaign shares (rendered once per chunk)."""
    return {
        "headline": campaign.subject,
        "body_html": markdown_html(campaign.body),
        "body_text": markdown_text(campaign.body),
    }


def campaign_message_build(*, campaign: Campaign, recipient: Any) -> Any:
    """One recipient's message, the ordinary way (previews and test emails)."""
    return emails.email_message_build(
        user=recipient,
        template="campaign",
        context=campaign_email_context(campaign=campaign),
        category=campaign.category,
    )


def campaign_test_send(*, campaign: Campaign, user: User) -> str:
    """A test copy to an editor's own address (their preferences do not apply: they asked).

    Raises ``TransientEmailError`` so the task retries.
    """
    message = campaign_message_build(campaign=campaign, recipient=user)
    message.subject = f"[{_('Test')}] {message.subject}"
    (outcome,) = emails.email_send_batch([(user, message)])
    if outcome.transient:
        raise emails.TransientEmailError(outcome.reason)
    return outcome.status


# --- Starting, pausing, resuming, cancelling -------------------------------------------------


def _start(campaign: Campaign, *, now: dt.datetime) -> None:
    """Snapshot the audience and begin (the caller holds the row lock)."""
    subscribers_sync_members(category=campaign.category)
    snapshot = Subscriber.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    campaign.status = Status.SENDING
    campaign.max_subscriber_id = snapshot
    campaign.cursor = 0
    campaign.recipients = audience(category=campaign.category).filter(pk__lte=snapshot).count()
    campaign.started_at = now
    campaign.send_at = campaign.send_at or now
    campaign.pause_reason = ""
    campaign.consecutive_failures = 0
    campaign.transient_since = None
    campaign.save()
    transaction.on_commit(partial(_advance_enqueue, campaign.pk))


@transaction.atomic
def campaign_send(
    *, campaign: Campaign, send_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> Campaign:
    """Send now, or schedule for ``send_at`` (a draft or a scheduled campaign).

    Nothing here talks to SMTP or waits for the broker: a queueing failure is logged and
    the minute sweep carries on from the database.
    """
    now = now or tz.now()
    campaign = _locked(campaign)
    _require(campaign, Status.DRAFT, Status.SCHEDULED, action=_("sent"))
    if send_at is not None and send_at > now:
        campaign.status = Status.SCHEDULED
        campaign.send_at = send_at
        campaign.save(update_fields=["status", "send_at", "updated_at"])
        return campaign
    _start(campaign, now=now)
    return campaign


@transaction.atomic
def campaign_unschedule(*, campaign: Campaign) -> Campaign:
    """A scheduled campaign back to draft."""
    campaign = _locked(campaign)
    _require(campaign, Status.SCHEDULED, action=_("unscheduled"))
    campaign.status = Status.DRAFT
    campaign.send_at = None
    campaign.save(update_fields=["status", "send_at", "updated_at"])
    return campaign


@transaction.atomic
def campaign_pause(*, campaign: Campaign, reason: str = "") -> Campaign:
    """Stop sending; chunk tasks notice within a second and hand their rows back."""
    campaign = _locked(campaign)
    _require(campaign, Status.SENDING, action=_("paused"))
    campaign.status = Status.PAUSED
    campaign.pause_reason = (reason or _("Paused by an editor."))[:500]
    campaign.save(update_fields=["status", "pause_reason", "updated_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Carry on where it stopped: from the saved cursor, rows already sent stay sent."""
    now = now or tz.now()
    campaign = _locked(campaign)
    _require(campaign, Status.PAUSED, action=_("resumed"))
    campaign.status = Status.SENDING
    campaign.pause_reason = ""
    campaign.consecutive_failures = 0
    campaign.transient_since = None
    campaign.save(
        update_fields=[
            "status",
            "pause_reason",
            "consecutive_failures",
            "transient_since",
            "updated_at",
        ]
    )
    ranges = _queued_ranges(campaign_id=campaign.pk, now=now)
    transaction.on_commit(partial(_chunks_enqueue, campaign.pk, ranges))
    transaction.on_commit(partial(_advance_enqueue, campaign.pk))
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Stop for good: queued rows become cancelled; a chunk mid-send stops within a second."""
    now = now or tz.now()
    campaign = _locked(campaign)
    _require(
        campaign,
        Status.DRAFT,
        Status.SCHEDULED,
        Status.SENDING,
        Status.PAUSED,
        action=_("cancelled"),
    )
    campaign.status = Status.CANCELLED
    campaign.finished_at = now
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    Delivery.objects.filter(campaign=campaign, status=DStatus.QUEUED).update(
        status=DStatus.CANCELLED, updated_at=now
    )
    return campaign
