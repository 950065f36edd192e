"""Every write about reminders, one module per topic; import from here.

schedules: when a schedule fires, and creating, changing, pausing, deleting schedules.
dispatch: the dispatch cycle (due schedules -> ledger rows -> send tasks) and the sweep.
sending: sending the reminders of queued ledger rows.
actions: the signed "I did it" / "Rest today" links in a reminder email.
"""

from reminders.services.actions import (
    REMINDER_ACTION_NAMESPACE,
    REMINDER_ACTION_SALTS,
    ReminderActionResult,
    reminder_action_perform,
    reminder_action_resolve,
    reminder_action_token,
)
from reminders.services.dispatch import (
    REMINDER_BATCH_SIZE,
    REMINDER_CHUNK_SIZE,
    REMINDER_CRASH_DELIVERY_BOUND,
    REMINDER_DISPATCH_EVERY,
    REMINDER_LATE_LIMIT,
    REMINDER_PUBLISH_RETRY_POLICY,
    REMINDER_STALE_QUEUED,
    REMINDER_STALE_SENDING,
    REMINDER_SWEEP_EVERY,
    ReminderDispatchSummary,
    ReminderScheduleOutcome,
    reminder_dispatch_cycle,
    reminder_sweep,
)
from reminders.services.schedules import (
    reminder_next_run,
    reminder_schedule_create,
    reminder_schedule_delete,
    reminder_schedule_pause,
    reminder_schedule_update,
    reminder_schedules_follow_timezone,
)
from reminders.services.sending import (
    REMINDER_CLAIM_RENEW_SECONDS,
    REMINDER_EMAIL_TEMPLATE,
    REMINDER_MAX_ATTEMPTS,
    REMINDER_PERSONAL_KEYS,
    ReminderSendSummary,
    reminder_action_url,
    reminder_email_context,
    reminder_occurrences_send,
)

__all__ = [
    "REMINDER_ACTION_NAMESPACE",
    "REMINDER_ACTION_SALTS",
    "REMINDER_BATCH_SIZE",
    "REMINDER_CHUNK_SIZE",
    "REMINDER_CLAIM_RENEW_SECONDS",
    "REMINDER_CRASH_DELIVERY_BOUND",
    "REMINDER_DISPATCH_EVERY",
    "REMINDER_EMAIL_TEMPLATE",
    "REMINDER_LATE_LIMIT",
    "REMINDER_MAX_ATTEMPTS",
    "REMINDER_PERSONAL_KEYS",
    "REMINDER_PUBLISH_RETRY_POLICY",
    "REMINDER_STALE_QUEUED",
    "REMINDER_STALE_SENDING",
    "REMINDER_SWEEP_EVERY",
    "ReminderActionResult",
    "ReminderDispatchSummary",
    "ReminderScheduleOutcome",
    "ReminderSendSummary",
    "reminder_action_perform",
    "reminder_action_resolve",
    "reminder_action_token",
    "reminder_action_url",
    "reminder_dispatch_cycle",
    "reminder_email_context",
    "reminder_next_run",
    "reminder_occurrences_send",
    "reminder_schedule_create",
    "reminder_schedule_delete",
    "reminder_schedule_pause",
    "reminder_schedule_update",
    "reminder_schedules_follow_timezone",
    "reminder_sweep",
]
