"""What the campaign modules share: settings, states, the audience and the queueing of
their tasks (``task_enqueue``: a broker outage never fails the caller)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from newsletters.models import Campaign, Delivery, Subscriber
from newsletters.services.queueing import task_enqueue

logger = logging.getLogger(__name__)

Status = Campaign.Status
DStatus = Delivery.Status


STALE_SENDING = dt.timedelta(minutes=5)  # a claim not renewed for this long: the worker died

STALE_QUEUED = dt.timedelta(minutes=2)  # queued rows untouched this long: their task was lost

CLAIM_RENEW_SECONDS = 60.0

STATUS_CHECK_SECONDS = 1.0  # how often a chunk looks for pause/cancel

FLUSH_SECONDS = 1.0  # how often a chunk adds its counts to the campaign (progress bar)

MAX_ATTEMPTS = 3  # transient failures of one message before it counts as failed

# Temporary failures (4xx, connection refused/reset, timeouts) of this many recipients in
# a row, with nothing accepted between them: the server, not the recipients, is unwell.
# The chunk stops, hands its rows back without charging them an attempt, and is retried
# after ``transient_retry_countdown``. A temporary failure followed by an acceptance was
# the recipient's own: it costs that row one of its MAX_ATTEMPTS.
TRANSIENT_STREAK = 3


def transient_retry_countdown(retries: int) -> float:
    """Seconds before a chunk stopped by an outage runs again: 5, 10, 20, 40, then 60."""
    return float(min(60, 5 * 2 ** min(retries, 4)))


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def chunk_size() -> int:
    return max(1, int(_setting("NEWSLETTER_CHUNK_SIZE", 500)))


def parallel_chunks() -> int:
    return max(1, int(_setting("NEWSLETTER_PARALLEL_CHUNKS", 4)))


def failure_limit() -> int:
    return max(1, int(_setting("NEWSLETTER_MAX_CONSECUTIVE_FAILURES", 50)))


def transient_pause_after() -> dt.timedelta:
    """How long an outage (nothing accepted, only temporary failures) may last before the
    campaign pauses itself; until then it needs no editor."""
    return dt.timedelta(seconds=max(1, int(_setting("NEWSLETTER_TRANSIENT_PAUSE_AFTER", 1800))))


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


def audience(*, category: str) -> QuerySet[Subscriber]:
    """Subscribers of ``category``: visitors who confirmed, members who opted in."""
    return Subscriber.objects.filter(
        Q(user__isnull=True, **{f"{category}_confirmed_at__isnull": False})
        | Q(**{f"user__email_preference__{category}": True})
    )


def _advance_enqueue(campaign_id: int) -> None:
    from newsletters.tasks import campaign_advance_task

    task_enqueue(task=campaign_advance_task, args=(campaign_id,))


def _chunks_enqueue(campaign_id: int, ranges: Sequence[tuple[int, int]]) -> None:
    from newsletters.tasks import campaign_chunk_send_task

    for after_id, last_id in ranges:
        task_enqueue(task=campaign_chunk_send_task, args=(campaign_id, after_id, last_id))


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
