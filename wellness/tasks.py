from typing import Any

from celery import shared_task
from django.conf import settings

from wellness.emails import TransientEmailError, email_send
from wellness.services import heartbeat_record


@shared_task(name="wellness.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Periodic proof of life: beat schedules it, a worker runs it, the database records it."""
    heartbeat_record()


# --- Email --------------------------------------------------------------------------------
# Retry policy shared by every email task: transient failures (4xx, timeouts, a dropped
# connection) back off exponentially with jitter, capped below Redis's visibility timeout
# (3600 s) so a waiting retry is never redelivered early. acks_late + reject_on_worker_lost:
# a worker killed mid-send puts the task back on the queue instead of losing it.
EMAIL_RETRY_POLICY = {
    "autoretry_for": (TransientEmailError,),
    "retry_backoff": getattr(settings, "EMAIL_RETRY_BACKOFF", 30),
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(name="wellness.tasks.email_send_task", ignore_result=True, **EMAIL_RETRY_POLICY)
def email_send_task(
    user_id: int, template: str, context: dict[str, Any], category: str | None
) -> str:
    """Send one email to one member (newsletters, notices). Returns the outcome status.

    The recipient is checked again when the task runs: a member who unsubscribed,
    was deleted or whose address bounced in the meantime gets nothing.
    """
    from accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return "skipped"
    outcome = email_send(user=user, template=template, context=context, category=category)
    return outcome.status
