"""Every write of the newsletters app; import from here.

subscriptions: sign-up, double opt-in, manage and leave, members' audience rows.
campaigns: writing and the campaign's states; fanout: walking the audience into chunks;
sending: one chunk over one connection; sweep: the minute sweep and announcements;
base: what they share.
"""

from newsletters.services.base import CampaignStateError, audience
from newsletters.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_email_context,
    campaign_message_build,
    campaign_pause,
    campaign_resume,
    campaign_send,
    campaign_test_send,
    campaign_unschedule,
    campaign_update,
)
from newsletters.services.fanout import AdvanceResult, campaign_advance, campaign_counts_refresh
from newsletters.services.queueing import task_enqueue
from newsletters.services.sending import ChunkResult, campaign_chunk_send
from newsletters.services.subscriptions import (
    address_normalise,
    subscriber_category_set,
    subscriber_confirmed,
    subscriber_preferences_update,
    subscriber_unsubscribe,
    subscribers_sync_members,
    subscription_confirm,
    subscription_confirmation_send,
    subscription_request,
)
from newsletters.services.sweep import (
    TickResult,
    campaign_announce_series,
    campaigns_tick,
    series_published_received,
)

__all__ = [
    "AdvanceResult",
    "CampaignStateError",
    "ChunkResult",
    "TickResult",
    "address_normalise",
    "audience",
    "campaign_advance",
    "campaign_announce_series",
    "campaign_cancel",
    "campaign_chunk_send",
    "campaign_counts_refresh",
    "campaign_create",
    "campaign_email_context",
    "campaign_message_build",
    "campaign_pause",
    "campaign_resume",
    "campaign_send",
    "campaign_test_send",
    "campaign_unschedule",
    "campaign_update",
    "campaigns_tick",
    "series_published_received",
    "subscriber_category_set",
    "subscriber_confirmed",
    "subscriber_preferences_update",
    "subscriber_unsubscribe",
    "subscribers_sync_members",
    "subscription_confirm",
    "subscription_confirmation_send",
    "subscription_request",
    "task_enqueue",
]
