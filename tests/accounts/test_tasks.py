"""accounts.tasks.email_send_task: one message to one member, retried when transient."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.services import email_resubscribe, email_unsubscribe
from accounts.tasks import email_send_task
from wellness.emails import TransientEmailError

NOTICE = {"headline": "New routines", "paragraphs": ["Two new series.", "Hands & <feet>."]}


@pytest.mark.django_db
def test_email_send_task_sends_and_reports(user):
    email_resubscribe(user=user, category="newsletter")
    result = email_send_task.apply(args=[user.pk, "notice", NOTICE, "newsletter"])
    assert result.result == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_email_send_task_rechecks_the_recipient_when_it_runs(user):
    email_unsubscribe(user=user, category="newsletter")
    assert email_send_task.apply(args=[user.pk, "notice", NOTICE, "newsletter"]).result == (
        "skipped"
    )
    assert email_send_task.apply(args=[10**9, "notice", NOTICE, None]).result == "skipped"
    assert mail.outbox == []


def test_email_send_task_retry_policy():
    assert email_send_task.autoretry_for == (TransientEmailError,)
    assert email_send_task.acks_late is True
    assert email_send_task.reject_on_worker_lost is True
    assert email_send_task.retry_jitter is True
    # Capped below Redis's visibility timeout (3600 s), so a waiting retry is not redelivered.
    assert email_send_task.retry_backoff_max < 3600
    assert 5 <= email_send_task.max_retries <= 10
