"""Sending one chunk: claim its rows, send over one connection, mark each row right after
the server accepted it (the delivery guarantee is in ``campaigns``' docstring)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone as tz
from django.utils.translation import gettext as _

from accounts.emails import email_allowed_user_ids
from accounts.models import EmailSuppression
from newsletters.models import Campaign, Delivery
from newsletters.services import ledger
from newsletters.services.base import (
    CLAIM_RENEW_SECONDS,
    FLUSH_SECONDS,
    MAX_ATTEMPTS,
    STATUS_CHECK_SECONDS,
    TRANSIENT_STREAK,
    _advance_enqueue,
    _setting,
    failure_limit,
    transient_pause_after,
)
from newsletters.services.campaigns import campaign_email_context
from wellness import emails

logger = logging.getLogger(__name__)

Status = Campaign.Status
DStatus = Delivery.Status

# --- Sending one chunk -------------------------------------------------------------------------


@dataclass
class ChunkResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry: int = 0
    # "paused", "cancelled", "transient" (the server is unwell: retry the chunk later)
    # or "" (ran to the end)
    stopped: str = ""

    TRANSIENT = "transient"


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


def _outage_note(campaign_id: int, *, last_error: str) -> None:
    """A chunk met an outage: remember since when the server accepts nothing; past
    ``NEWSLETTER_TRANSIENT_PAUSE_AFTER`` the campaign pauses itself and says why."""
    now = tz.now()
    Campaign.objects.filter(pk=campaign_id, transient_since__isnull=True).update(
        transient_since=now, updated_at=now
    )
    bound = transient_pause_after()
    paused = Campaign.objects.filter(
        pk=campaign_id, status=Status.SENDING, transient_since__lte=now - bound
    ).update(
        status=Status.PAUSED,
        pause_reason=(
            _(
                "Paused automatically: the email server has accepted nothing for "
                "%(minutes)d minutes, only temporary failures. Last error: %(error)s"
            )
            % {"minutes": int(bound.total_seconds() // 60), "error": last_error or "-"}
        )[:500],
        updated_at=now,
    )
    if paused:
        logger.error("Campaign %s paused: the email server failed for %s", campaign_id, bound)
    else:
        logger.warning("Campaign %s: the email server is failing (%s)", campaign_id, last_error)


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
            updates["transient_since"] = None  # the server accepts messages again
        elif self.failures_since_flush:
            updates["consecutive_failures"] = F("consecutive_failures") + self.failures_since_flush
        # A finished campaign was recounted from the ledger, where these rows already were
        # (each is marked before it is counted): adding them again would count them twice.
        Campaign.objects.filter(pk=self.campaign_id).exclude(status=Status.SENT).update(**updates)
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
    ids = ledger.claim(campaign_id=campaign_id, after_id=after_id, last_id=last_id, now=claim)
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
        result.skipped += ledger.mark(skipped_ids, DStatus.SKIPPED, claim=claim, error=reason)
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
    # Rows refused temporarily since the last acceptance, still held: (id, reason). Judged
    # by what comes next: an acceptance (theirs, an attempt each) or TRANSIENT_STREAK of
    # them (an outage: handed back uncharged with the untried rows, the chunk retried).
    streak: list[tuple[int, str]] = []
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
                    rest = [pk for pk, _ in streak] + [d.pk for d, _ in outgoing[index:]]
                    streak.clear()
                    if status == Status.PAUSED:
                        ledger.mark(rest, DStatus.QUEUED, claim=claim)
                    else:
                        ledger.mark(rest, DStatus.CANCELLED, claim=claim)
                    break
            if clock - renewed > CLAIM_RENEW_SECONDS:
                fresh = max(tz.now(), claim + dt.timedelta(microseconds=1))
                mine = [pk for pk, _ in streak] + [d.pk for d, _ in outgoing[index:]]
                held = ledger.claim_renew(ids=mine, claim=claim, now=fresh)
                claim, renewed = fresh, clock
            if delivery.pk not in held:  # the sweep handed it to another task
                continue
            if clock - progress.flushed > FLUSH_SECONDS and progress.flush(last_error=last_error):
                result.stopped = Status.PAUSED
                ledger.hand_back(streak, claim=claim, charged=True)
                ledger.mark([d.pk for d, _ in outgoing[index:]], DStatus.QUEUED, claim=claim)
                break
            message = renderer.build(user=recipient, context={})
            # Names the campaign and the ledger row: support can trace a message.
            message.extra_headers["X-Kneadful-Campaign"] = str(campaign_id)
            message.extra_headers["X-Kneadful-Delivery"] = str(delivery.pk)
            message.metadata = {"campaign_id": str(campaign_id), "delivery_id": str(delivery.pk)}  # type: ignore[attr-defined]
            rate.acquire()
            outcome = emails.email_send_batch([(recipient, message)], connection=connection)[0]
            if outcome.sent:
                ledger.hand_back(streak, claim=claim, charged=True)
                if not ledger.mark_sent(delivery.pk, claim):
                    # Our claim is gone (a stall longer than STALE_SENDING, or the sweep
                    # misjudged us dead): send nothing more that is no longer ours, so at
                    # most this one message can be repeated by whoever took the rows.
                    held = ledger.still_held([d.pk for d, _ in outgoing[index + 1 :]], claim)
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
                ledger.mark([delivery.pk], DStatus.SKIPPED, claim=claim, error=outcome.reason[:500])
                result.skipped += 1
                progress.skipped += 1
                continue
            if outcome.transient and delivery.attempts < MAX_ATTEMPTS:
                streak.append((delivery.pk, outcome.reason))
                result.retry += 1
                if len(streak) >= TRANSIENT_STREAK:
                    result.stopped = ChunkResult.TRANSIENT
                    ledger.hand_back(streak, claim=claim, charged=False)
                    untried = [d.pk for d, _ in outgoing[index + 1 :]]
                    ledger.mark(untried, DStatus.QUEUED, claim=claim, attempts=F("attempts") - 1)
                    break
                continue
            # Refused for good (5xx), or temporarily once too often: the only failures
            # that count towards the campaign's self-pause.
            ledger.mark([delivery.pk], DStatus.FAILED, claim=claim, error=outcome.reason[:500])
            result.failed += 1
            progress.failed += 1
            progress.run += 1
            progress.failures_since_flush += 1
            if progress.run >= failure_limit():
                progress.flush(last_error=last_error)
                result.stopped = Status.PAUSED
                ledger.hand_back(streak, claim=claim, charged=True)
                ledger.mark([d.pk for d, _ in outgoing[index + 1 :]], DStatus.QUEUED, claim=claim)
                break
    finally:
        if own_connection:
            emails.email_connection_close(connection)
        progress.flush(last_error=last_error)
    if result.stopped == ChunkResult.TRANSIENT:
        _outage_note(campaign_id, last_error=last_error)
    elif not result.stopped:
        # Rows refused temporarily at the very end: nothing after them was accepted, but
        # too few to call it an outage; the sweep offers them again (an attempt each).
        ledger.hand_back(streak, claim=claim, charged=True)
        _advance_enqueue(campaign_id)
    return result
