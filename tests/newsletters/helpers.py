"""Running a campaign to its end in-process (the tasks' work, without a broker)."""

from __future__ import annotations

from email import message_from_bytes

from newsletters.models import Campaign, Delivery
from newsletters.services import campaign_advance, campaign_chunk_send


def drain(campaign: Campaign, *, rounds: int = 200) -> Campaign:
    """Advance and send every queued chunk until the campaign stops being 'sending'."""
    for _ in range(rounds):
        campaign_advance(campaign_id=campaign.pk)
        campaign.refresh_from_db()
        if campaign.status != Campaign.Status.SENDING:
            return campaign
        queued = sorted(
            Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED).values_list(
                "subscriber_id", flat=True
            )
        )
        if queued:
            campaign_chunk_send(campaign_id=campaign.pk, after_id=queued[0] - 1, last_id=queued[-1])
    raise AssertionError(f"campaign {campaign.pk} still sending after {rounds} rounds")


def recipients_of(outbox, campaign: Campaign) -> list[str]:
    """The addresses a campaign's messages went to (locmem outbox), one per message."""
    return [
        m.to[0] for m in outbox if m.extra_headers.get("X-Kneadful-Campaign") == str(campaign.pk)
    ]


def sink_recipients(messages, campaign_id: int) -> list[str]:
    out = []
    for raw in messages:
        message = raw if hasattr(raw, "get") else message_from_bytes(raw)
        if message.get("X-Kneadful-Campaign") == str(campaign_id):
            out.append(message["To"])
    return out
