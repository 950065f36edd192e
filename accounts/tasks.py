"""Member email tasks: ``email_send_task`` sends one message to one member."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from accounts.emails import email_send
from accounts.models import User
from wellness.tasks import EMAIL_RETRY_POLICY


@shared_task(name="accounts.tasks.email_send_task", ignore_result=True, **EMAIL_RETRY_POLICY)
def email_send_task(
    user_id: int, template: str, context: dict[str, Any], category: str | None
) -> str:
    """Send one email to one member (newsletters, notices). Returns the outcome status.

    The recipient is checked again when the task runs: a member who unsubscribed,
    was deleted or whose address bounced in the meantime gets nothing.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return "skipped"
    outcome = email_send(user=user, template=template, context=context, category=category)
    return outcome.status
