"""The minute sweep (``campaigns_tick``) and the announcement of a published series."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone as tz
from django.utils.translation import gettext as _

from newsletters.models import Campaign, Delivery
from newsletters.services.base import (
    STALE_QUEUED,
    STALE_SENDING,
    _advance_enqueue,
    _chunks_enqueue,
    _queued_ranges,
    _setting,
)
from newsletters.services.campaigns import _start, campaign_create, campaign_send
from newsletters.services.fanout import campaign_counts_refresh
from newsletters.services.rendering import markdown_escape
from routines.models import Routine, Series

logger = logging.getLogger(__name__)

Status = Campaign.Status
DStatus = Delivery.Status

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
