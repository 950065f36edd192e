from celery import shared_task
from django.conf import settings

from wellness.emails import TransientEmailError
from wellness.services import heartbeat_record


@shared_task(name="wellness.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Periodic proof of life: beat schedules it, a worker runs it, the database records it."""
    heartbeat_record()


# --- Email --------------------------------------------------------------------------------
# Retry policy shared by every email task (accounts.tasks.email_send_task): transient
# failures (4xx, timeouts, a dropped connection) back off exponentially with jitter, capped
# below Redis's visibility timeout (3600 s) so a waiting retry is never redelivered early.
# acks_late + reject_on_worker_lost: a worker killed mid-send puts the task back on the
# queue instead of losing it.
EMAIL_RETRY_POLICY = {
    "autoretry_for": (TransientEmailError,),
    "retry_backoff": getattr(settings, "EMAIL_RETRY_BACKOFF", 30),
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}
