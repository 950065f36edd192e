"""The fan-out: walking a sending campaign's audience by id into delivery rows and chunk
tasks (``campaign_advance``), and the counts of its progress (see ``campaigns``)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone as tz

from newsletters.models import Campaign, Delivery
from newsletters.services.base import (
    _chunks_enqueue,
    audience,
    chunk_size,
    parallel_chunks,
)

logger = logging.getLogger(__name__)

Status = Campaign.Status
DStatus = Delivery.Status

# --- The fan-out ---------------------------------------------------------------------------


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
