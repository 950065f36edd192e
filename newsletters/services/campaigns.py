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
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone as tz
from django.utils.translation import gettext as _

from accounts.emails import email_allowed_user_ids
from accounts.models import EmailSuppression, User
from newsletters.models import CATEGORIES, Campaign, Delivery, Subscriber
from newsletters.services.queueing import task_enqueue
from newsletters.services.rendering import markdown_escape, markdown_html, markdown_text
from newsletters.services.subscriptions import subscribers_sync_members
from routines.models import Routine, Series
from wellness import emails

logger = logging.getLogger(__name__)

Status = Campaign.Status
DStatus = Delivery.Status

STALE_SENDING = dt.timedelta(minutes=5)  # a claim not renewed for this long: the worker died
STALE_QUEUED = dt.timedelta(minutes=2)  # queued rows untouched this long: their task was lost
CLAIM_RENEW_SECONDS = 60.0
STATUS_CHECK_SECONDS = 1.0  # how often a chunk looks for pause/cancel
FLUSH_SECONDS = 1.0  # how often a chunk adds its counts to the campaign (progress bar)
MAX_ATTEMPTS = 3  # transient failures of one message before it counts as failed


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def chunk_size() -> int:
    return max(1, int(_setting("NEWSLETTER_CHUNK_SIZE", 500)))


def parallel_chunks() -> int:
    return max(1, int(_setting("NEWSLETTER_PARALLEL_CHUNKS", 4)))


def failure_limit() -> int:
    return max(1, int(_setting("NEWSLETTER_MAX_CONSECUTIVE_FAILURES", 50)))


class CampaignStateError(Exception):
    """The action does not apply to the campaign in its current status."""


def _require(campaign: Campaign, *allowed: str, action: str) -> None:
    if campaign.status not in allowed:
        raise CampaignStateError(
            _("A %(status)s campaign cannot be %(action)s.")
            % {"status": campaign.get_status_display().lower(), "action": action}
        )


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


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


def audience(*, category: str) -> QuerySet[Subscriber]:
    """Subscribers of ``category``: visitors who confirmed, members who opted in."""
    return Subscriber.objects.filter(
        Q(user__isnull=True, **{f"{category}_confirmed_at__isnull": False})
        | Q(**{f"user__email_preference__{category}": True})
    )


def _advance_enqueue(campaign_id: int) -> None:
    from newsletters.tasks import campaign_advance_task

    task_enqueue(task=campaign_advance_task, args=(campaign_id,))


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
    campaign.save(update_fields=["status", "pause_reason", "consecutive_failures", "updated_at"])
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


# --- The fan-out ---------------------------------------------------------------------------


def _chunks_enqueue(campaign_id: int, ranges: Sequence[tuple[int, int]]) -> None:
    from newsletters.tasks import campaign_chunk_send_task

    for after_id, last_id in ranges:
        task_enqueue(task=campaign_chunk_send_task, args=(campaign_id, after_id, last_id))


def _unfinished(campaign_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        campaign_id=campaign_id, status__in=[DStatus.QUEUED, DStatus.SENDING]
    )


@dataclass
class AdvanceResult:
    chunks: list[tuple[int, int]] = field(default_factory=list)
    finished: bool = False


def campaign_counts_refresh(*, campaign_id: int) -> None:
    """Recount the progress from the ledger (after a crash the running sums may lag)."""
    counts = dict(
        Delivery.objects.filter(campaign_id=campaign_id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    Campaign.objects.filter(pk=campaign_id).update(
        sent_count=counts.get(DStatus.SENT, 0),
        failed_count=counts.get(DStatus.FAILED, 0),
        skipped_count=counts.get(DStatus.SKIPPED, 0),
        updated_at=tz.now(),
    )


@transaction.atomic
def campaign_advance(*, campaign_id: int, now: dt.datetime | None = None) -> AdvanceResult:
    """Hand out the next chunks of a sending campaign, or finish it.

    One advance at a time per campaign (row lock); each chunk's delivery rows and the
    cursor are written in this transaction, its task queued after the commit.
    """
    now = now or tz.now()
    result = AdvanceResult()
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Status.SENDING:
        return result
    size, limit = chunk_size(), campaign.max_subscriber_id or 0
    outstanding = math.ceil(_unfinished(campaign_id).count() / size)
    members = audience(category=campaign.category)
    while outstanding < parallel_chunks() and campaign.cursor < limit:
        ids = list(
            members.filter(pk__gt=campaign.cursor, pk__lte=limit)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            campaign.cursor = limit
            break
        Delivery.objects.bulk_create(
            [Delivery(campaign_id=campaign_id, subscriber_id=pk) for pk in ids],
            ignore_conflicts=True,
            batch_size=1000,
        )
        result.chunks.append((campaign.cursor, ids[-1]))
        campaign.cursor = ids[-1]
        outstanding += 1
    fields = ["cursor", "updated_at"]
    if campaign.cursor >= limit and not result.chunks and outstanding == 0:
        campaign.status = Status.SENT
        campaign.finished_at = now
        fields += ["status", "finished_at"]
        result.finished = True
    campaign.save(update_fields=fields)
    if result.finished:
        campaign_counts_refresh(campaign_id=campaign_id)
        Campaign.objects.filter(pk=campaign_id).update(
            recipients=F("sent_count") + F("failed_count") + F("skipped_count")
        )
    if result.chunks:
        transaction.on_commit(partial(_chunks_enqueue, campaign_id, list(result.chunks)))
    return result


def _queued_ranges(
    *, campaign_id: int, now: dt.datetime, older_than: dt.datetime | None = None
) -> list[tuple[int, int]]:
    """Queued rows (optionally untouched since ``older_than``) as chunk ranges; touched so
    the next sweep waits another period before queueing them again."""
    rows = Delivery.objects.filter(campaign_id=campaign_id, status=DStatus.QUEUED)
    if older_than is not None:
        rows = rows.filter(updated_at__lt=older_than)
    ids = list(rows.order_by("subscriber_id").values_list("subscriber_id", flat=True))
    if not ids:
        return []
    Delivery.objects.filter(
        campaign_id=campaign_id, status=DStatus.QUEUED, subscriber_id__in=ids
    ).update(updated_at=now)
    size = chunk_size()
    return [(ids[i] - 1, ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


# --- Sending one chunk -------------------------------------------------------------------------


@dataclass
class ChunkResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry: int = 0
    stopped: str = ""  # "paused", "cancelled" or "" (ran to the end)


class _RateCap:
    """The global send-rate cap (``NEWSLETTER_SEND_RATE`` messages a second, all workers).

    Workers take tokens in small blocks from a per-second counter in the shared cache
    (Redis in production; while Redis is away each process counts for itself).
    """

    def __init__(self, rate: float) -> None:
        self.rate = int(rate)
        self.block = max(1, min(20, self.rate // 20))
        self.tokens = 0

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        while self.tokens <= 0:
            second = int(time.time())
            key = f"newsletters:rate:{second}"
            cache.add(key, 0, timeout=5)
            try:
                used = cache.incr(key, self.block)
            except ValueError:  # expired between add and incr
                cache.set(key, self.block, timeout=5)
                used = self.block
            before = used - self.block
            if before < self.rate:
                self.tokens = min(self.block, self.rate - before)
            else:
                time.sleep(max(0.0, second + 1 - time.time()))
        self.tokens -= 1


def _claim(*, campaign_id: int, after_id: int, last_id: int, now: dt.datetime) -> list[int]:
    """Move the chunk's queued rows to 'sending' for this caller; returns their ids."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                campaign_id=campaign_id,
                subscriber_id__gt=after_id,
                subscriber_id__lte=last_id,
                status=DStatus.QUEUED,
            )
            .order_by("subscriber_id")
            .values_list("pk", flat=True)
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=DStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
            )
    return ids


def _mark(ids: Sequence[int], status: str, *, claim: dt.datetime, **fields: Any) -> int:
    if not ids:
        return 0
    return Delivery.objects.filter(
        pk__in=list(ids), status=DStatus.SENDING, claimed_at=claim
    ).update(status=status, updated_at=tz.now(), **fields)


def _mark_sent(delivery_id: int, claim: dt.datetime) -> bool:
    """Right after the server's 250 (the at-most-once window is this one round trip), so
    plain SQL: no ORM query built per message.

    Returns False when the row was no longer held under ``claim`` (the sweep took the
    rows of a worker it thought dead, or another task claimed them). The server accepted
    the message all the same, so the row is still recorded as sent unless it is already
    finished: whoever holds it now must not send it again."""
    meta = Delivery._meta
    column = {
        name: db_connection.ops.quote_name(meta.get_field(name).column)
        for name in ("id", "status", "sent_at", "updated_at", "claimed_at")
    }
    table = db_connection.ops.quote_name(meta.db_table)
    now = tz.now()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column['status']} = %s, "  # noqa: S608
            f"{column['sent_at']} = %s, {column['updated_at']} = %s "
            f"WHERE {column['id']} = %s AND {column['status']} = %s "
            f"AND {column['claimed_at']} = %s",
            [DStatus.SENT.value, now, now, delivery_id, DStatus.SENDING.value, claim],
        )
        if cursor.rowcount == 1:
            return True
        cursor.execute(
            f"UPDATE {table} SET {column['status']} = %s, "  # noqa: S608
            f"{column['sent_at']} = %s, {column['updated_at']} = %s "
            f"WHERE {column['id']} = %s AND {column['status']} IN (%s, %s)",
            [
                DStatus.SENT.value,
                now,
                now,
                delivery_id,
                DStatus.SENDING.value,
                DStatus.QUEUED.value,
            ],
        )
    return False


def _still_held(ids: Sequence[int], claim: dt.datetime) -> set[int]:
    """Which of ``ids`` this task still holds (status 'sending' under its claim)."""
    return set(
        Delivery.objects.filter(
            pk__in=list(ids), status=DStatus.SENDING, claimed_at=claim
        ).values_list("pk", flat=True)
    )


def _claim_renew(*, ids: Sequence[int], claim: dt.datetime, now: dt.datetime) -> set[int]:
    with transaction.atomic():
        held = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=list(ids), status=DStatus.SENDING, claimed_at=claim)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=held).update(claimed_at=now, updated_at=now)
    return set(held)


def _recipients(
    deliveries: Sequence[Delivery], category: str
) -> tuple[list[tuple[Delivery, Any]], dict[str, list[int]]]:
    """Who may receive the campaign now: (delivery, recipient) pairs, and skipped rows by
    reason. Checked at send time with a constant number of queries per chunk."""
    member_rows = [d for d in deliveries if d.subscriber.user_id]
    visitor_rows = [d for d in deliveries if not d.subscriber.user_id]
    allowed = email_allowed_user_ids(
        user_ids=[d.subscriber.user_id for d in member_rows], category=category
    )
    addresses = {d.subscriber.email for d in visitor_rows}
    suppressed: set[str] = set()
    members_own: set[str] = set()
    if addresses:
        suppressed = set(
            EmailSuppression.objects.annotate(lower=Lower("address"))
            .filter(lower__in=addresses)
            .values_list("lower", flat=True)
        )
        members_own = set(
            get_user_model()
            .objects.annotate(lower=Lower("email"))
            .filter(lower__in=addresses)
            .values_list("lower", flat=True)
        )
    out: list[tuple[Delivery, Any]] = []
    skipped: dict[str, list[int]] = {}
    for delivery in deliveries:
        subscriber = delivery.subscriber
        if subscriber.user_id:
            if subscriber.user_id in allowed:
                out.append((delivery, subscriber.user))
            else:
                skipped.setdefault(
                    "not allowed (preference, verification or suppression)", []
                ).append(delivery.pk)
        elif subscriber.confirmed_at(category) is None:
            skipped.setdefault("unsubscribed", []).append(delivery.pk)
        elif subscriber.email in suppressed:
            skipped.setdefault("suppressed", []).append(delivery.pk)
        elif subscriber.email in members_own:
            # The address is now a member's: their own preference decides (their row).
            skipped.setdefault("address belongs to a member", []).append(delivery.pk)
        else:
            out.append((delivery, subscriber))
    return out, skipped


class _Progress:
    """Running counts of one chunk, added to the campaign about once a second."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self.sent = self.failed = self.skipped = 0
        self.run = 0  # consecutive failures since this chunk's last success
        self.success_since_flush = False
        self.failures_since_flush = 0
        self.flushed = time.monotonic()

    def flush(self, *, last_error: str = "") -> bool:
        """Add the counts; True when the campaign reached the consecutive-failure limit."""
        updates: dict[str, Any] = {
            "sent_count": F("sent_count") + self.sent,
            "failed_count": F("failed_count") + self.failed,
            "skipped_count": F("skipped_count") + self.skipped,
            "updated_at": tz.now(),
        }
        if self.success_since_flush:
            updates["consecutive_failures"] = self.run
        elif self.failures_since_flush:
            updates["consecutive_failures"] = F("consecutive_failures") + self.failures_since_flush
        Campaign.objects.filter(pk=self.campaign_id).update(**updates)
        self.sent = self.failed = self.skipped = 0
        self.success_since_flush, self.failures_since_flush = False, 0
        self.flushed = time.monotonic()
        limit = failure_limit()
        if self.run < limit:
            reached = Campaign.objects.filter(
                pk=self.campaign_id, consecutive_failures__gte=limit
            ).exists()
            if not reached:
                return False
        paused = Campaign.objects.filter(pk=self.campaign_id, status=Status.SENDING).update(
            status=Status.PAUSED,
            pause_reason=(
                _("Paused automatically after %(n)d failed sends in a row. Last error: %(error)s")
                % {"n": limit, "error": last_error or "-"}
            )[:500],
            updated_at=tz.now(),
        )
        if paused:
            logger.error(
                "Campaign %s paused after %d failed sends in a row", self.campaign_id, limit
            )
        return True


def campaign_chunk_send(
    *,
    campaign_id: int,
    after_id: int,
    last_id: int,
    now: dt.datetime | None = None,
    connection: Any = None,
) -> ChunkResult:
    """Send one chunk (subscribers ``after_id < id <= last_id``) over ONE connection.

    Safe to run twice or concurrently: rows are claimed atomically, and rows another task
    holds, or that are finished, are left alone. Pause and cancel are noticed within a
    second: the unsent claimed rows go back to queued (pause) or become cancelled.
    """
    from django.core.mail import get_connection

    now = now or tz.now()
    result = ChunkResult()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Status.SENDING:
        return result
    claim = now
    ids = _claim(campaign_id=campaign_id, after_id=after_id, last_id=last_id, now=claim)
    result.claimed = len(ids)
    if not ids:
        return result
    deliveries = list(
        Delivery.objects.filter(pk__in=ids)
        .select_related("subscriber__user")
        .order_by("subscriber_id")
    )
    outgoing, skipped = _recipients(deliveries, campaign.category)
    for reason, skipped_ids in skipped.items():
        result.skipped += _mark(skipped_ids, DStatus.SKIPPED, claim=claim, error=reason)
    progress = _Progress(campaign_id)
    progress.skipped = result.skipped
    renderer = emails.EmailBatchRenderer(
        template="campaign",
        category=campaign.category,
        context=campaign_email_context(campaign=campaign),
        personal_keys=(),
    )
    rate = _RateCap(_setting("NEWSLETTER_SEND_RATE", 0))
    own_connection = connection is None
    connection = connection or get_connection()
    held, renewed, checked = set(ids), time.monotonic(), time.monotonic()
    last_error = ""
    try:
        for index, (delivery, recipient) in enumerate(outgoing):
            clock = time.monotonic()
            if clock - checked > STATUS_CHECK_SECONDS:
                checked = clock
                status = (
                    Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()
                )
                if status != Status.SENDING:
                    result.stopped = status or "cancelled"
                    rest = [d.pk for d, _ in outgoing[index:]]
                    if status == Status.PAUSED:
                        _mark(rest, DStatus.QUEUED, claim=claim)
                    else:
                        _mark(rest, DStatus.CANCELLED, claim=claim)
                    break
            if clock - renewed > CLAIM_RENEW_SECONDS:
                fresh = max(tz.now(), claim + dt.timedelta(microseconds=1))
                held = _claim_renew(ids=[d.pk for d, _ in outgoing[index:]], claim=claim, now=fresh)
                claim, renewed = fresh, clock
            if delivery.pk not in held:  # the sweep handed it to another task
                continue
            if clock - progress.flushed > FLUSH_SECONDS and progress.flush(last_error=last_error):
                result.stopped = Status.PAUSED
                _mark([d.pk for d, _ in outgoing[index:]], DStatus.QUEUED, claim=claim)
                break
            message = renderer.build(user=recipient, context={})
            # Names the campaign and the ledger row: support can trace a message.
            message.extra_headers["X-Kneadful-Campaign"] = str(campaign_id)
            message.extra_headers["X-Kneadful-Delivery"] = str(delivery.pk)
            message.metadata = {"campaign_id": str(campaign_id), "delivery_id": str(delivery.pk)}  # type: ignore[attr-defined]
            rate.acquire()
            outcome = emails.email_send_batch([(recipient, message)], connection=connection)[0]
            if outcome.sent:
                if not _mark_sent(delivery.pk, claim):
                    # Our claim is gone (a stall longer than STALE_SENDING, or the sweep
                    # misjudged us dead): send nothing more that is no longer ours, so at
                    # most this one message can be repeated by whoever took the rows.
                    held = _still_held([d.pk for d, _ in outgoing[index + 1 :]], claim)
                    logger.warning(
                        "Campaign %s: chunk %s-%s lost its claim; %d row(s) still held",
                        campaign_id,
                        after_id,
                        last_id,
                        len(held),
                    )
                result.sent += 1
                progress.sent += 1
                progress.run = 0
                progress.success_since_flush = True
                continue
            last_error = outcome.reason
            if outcome.status == "skipped":
                _mark([delivery.pk], DStatus.SKIPPED, claim=claim, error=outcome.reason[:500])
                result.skipped += 1
                progress.skipped += 1
                continue
            progress.run += 1
            progress.failures_since_flush += 1
            if outcome.transient and delivery.attempts < MAX_ATTEMPTS:
                _mark([delivery.pk], DStatus.QUEUED, claim=claim, error=outcome.reason[:500])
                result.retry += 1
            else:
                _mark([delivery.pk], DStatus.FAILED, claim=claim, error=outcome.reason[:500])
                result.failed += 1
                progress.failed += 1
            if progress.run >= failure_limit():
                progress.flush(last_error=last_error)
                result.stopped = Status.PAUSED
                _mark([d.pk for d, _ in outgoing[index + 1 :]], DStatus.QUEUED, claim=claim)
                break
    finally:
        if own_connection:
            emails.email_connection_close(connection)
        progress.flush(last_error=last_error)
    if not result.stopped:
        _advance_enqueue(campaign_id)
    return result


# --- The minute sweep -----------------------------------------------------------------------


@dataclass
class TickResult:
    started: list[int] = field(default_factory=list)
    recovered: int = 0
    requeued_chunks: int = 0
    advanced: list[int] = field(default_factory=list)
    confirmations: int = 0


def campaigns_tick(
    *,
    now: dt.datetime | None = None,
    stale_sending: dt.timedelta = STALE_SENDING,
    stale_queued: dt.timedelta = STALE_QUEUED,
) -> TickResult:
    """Drive every campaign from the database (beat, every minute).

    Starts scheduled campaigns that are due; for each sending campaign, rows a dead worker
    held (claim older than ``stale_sending``) go back to queued, queued rows nobody took
    for ``stale_queued`` get a fresh chunk task, and the campaign is advanced (more chunks,
    or finished). Sign-ups whose confirmation task was never queued are queued again.
    """
    from newsletters.services.subscriptions import subscription_confirmations_pending

    now = now or tz.now()
    result = TickResult()
    due = Campaign.objects.filter(status=Status.SCHEDULED, send_at__lte=now).order_by("send_at")
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if campaign is not None and campaign.status == Status.SCHEDULED:
                _start(campaign, now=now)
                result.started.append(pk)
    for pk in (
        Campaign.objects.filter(status=Status.SENDING).order_by("pk").values_list("pk", flat=True)
    ):
        with transaction.atomic():
            stuck = Delivery.objects.filter(
                campaign_id=pk, status=DStatus.SENDING, claimed_at__lt=now - stale_sending
            ).update(status=DStatus.QUEUED, updated_at=now - stale_queued - dt.timedelta(seconds=1))
            result.recovered += stuck
            ranges = _queued_ranges(campaign_id=pk, now=now, older_than=now - stale_queued)
            result.requeued_chunks += len(ranges)
            if stuck:
                transaction.on_commit(partial(campaign_counts_refresh, campaign_id=pk))
            transaction.on_commit(partial(_chunks_enqueue, pk, ranges))
        _advance_enqueue(pk)
        result.advanced.append(pk)
    pending = subscription_confirmations_pending(older_than=now - dt.timedelta(minutes=1))
    if pending:
        from newsletters.services.subscriptions import _confirmation_enqueue

        for pk in pending:
            _confirmation_enqueue(pk)
    result.confirmations = len(pending)
    return result


# --- Announcing a published series ----------------------------------------------------------


def _announcement_body(series: Series) -> str:
    first = (
        Routine.objects.filter(series=series)
        .order_by("position", "id")
        .only("title", "slug")
        .first()
    )
    url = settings.SITE_URL + series.get_absolute_url()
    parts = [
        _("**%(title)s** is new in the Kneadful library.")
        % {"title": markdown_escape(series.title)}
    ]
    if series.summary:
        parts.append(markdown_escape(series.summary))
    if first is not None:
        parts.append(
            _("Start with the first routine, **%(routine)s**.")
            % {"routine": markdown_escape(first.title)}
        )
    parts.append(f"[{_('Open the series')}]({url})")
    return "\n\n".join(parts)


def campaign_announce_series(*, series_id: int) -> Campaign | None:
    """The announcement of a newly published series: one campaign per series, ever.

    With ``NEWSLETTER_AUTO_SEND`` it is sent at once; otherwise it waits as a draft for an
    editor. Publishing again (or a repeated event) finds the existing one and does nothing.
    """
    series = Series.objects.filter(pk=series_id).first()
    if series is None or Campaign.objects.filter(series=series).exists():
        return None
    try:
        with transaction.atomic():
            campaign = campaign_create(
                subject=_("New on Kneadful: %(title)s") % {"title": series.title},
                body=_announcement_body(series),
                category="newsletter",
                series=series,
            )
            if _setting("NEWSLETTER_AUTO_SEND", False):
                campaign = campaign_send(campaign=campaign)
    except IntegrityError:  # announced concurrently: the unique constraint kept it to one
        return None
    return campaign


def series_published_received(sender: Any, series_id: int, **kwargs: Any) -> None:
    """Receiver of ``routines.events.series_published`` (``NewslettersConfig.ready``).

    A failure to announce must never break a publication: it is logged.
    """
    try:
        campaign_announce_series(series_id=series_id)
    except Exception:
        logger.exception("Could not create the announcement of series %s", series_id)


def campaign_preview_url(campaign: Campaign) -> str:
    return reverse("newsletters:campaign_preview", args=[campaign.pk])
