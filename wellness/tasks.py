from celery import shared_task

from wellness.services import heartbeat_record


@shared_task(name="wellness.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Periodic proof of life: beat schedules it, a worker runs it, the database records it."""
    heartbeat_record()
