"""Reads of the newsletters app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from newsletters.models import Campaign, Subscriber


def campaigns_for_staff() -> QuerySet[Campaign]:
    """Every campaign, newest first."""
    return Campaign.objects.select_related("series").order_by("-created_at", "-pk")


def campaign_progress(*, campaign: Campaign) -> dict[str, Any]:
    """The figures the staff page and the API show (the JSON the progress bar polls)."""
    done = campaign.done_count
    total = max(campaign.recipients, done)
    return {
        "id": campaign.pk,
        "status": campaign.status,
        "status_label": str(campaign.get_status_display()),
        "recipients": total,
        "sent": campaign.sent_count,
        "failed": campaign.failed_count,
        "skipped": campaign.skipped_count,
        "done": done,
        "percent": round(100 * done / total, 1)
        if total
        else (100.0 if campaign.status == "sent" else 0.0),
        "pause_reason": campaign.pause_reason,
        "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
    }


def subscriber_by_id(*, pk: int) -> Subscriber | None:
    return Subscriber.objects.select_related("user").filter(pk=pk).first()
