"""Reminders queued while the broker (a real Redis) is down are not lost: the dispatch
records them, and once Redis is back the sweep queues them again and a real worker
delivers each one exactly once to a real SMTP sink. No process is restarted."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from email import message_from_bytes

import pytest
from django.utils import timezone

from reminders.models import ReminderOccurrence, ReminderSchedule
from tests import servers
from tests.factories import UserFactory
from tests.reminders.helpers import far_from_now, schedule_for

pytestmark = pytest.mark.integration

MEMBERS = 5


class Sink:
    def __init__(self) -> None:
        self.received: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.content)["X-Kneadful-Reminder"])
        return "250 OK"


def test_reminders_dispatched_while_the_broker_is_down_go_out_once_it_is_back(
    postgres_required, worker_env, redis_server, celery_worker_factory
):
    for _ in range(MEMBERS):
        schedule_for(UserFactory(), at=far_from_now(), tz="UTC")
    ReminderSchedule.objects.update(next_run_at=timezone.now() - dt.timedelta(seconds=30))
    sink = Sink()
    with servers.smtp_sink(sink) as (port, _):
        env = {
            **worker_env,
            "REDIS_URL": redis_server.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        }
        redis_server.stop()
        started = time.monotonic()
        output = servers.manage(
            env, "dispatch_reminders", with_stderr=True
        )  # the broker is down: nothing fails
        assert time.monotonic() - started < 30
        assert f"Broker unreachable: {MEMBERS} reminder(s) stay queued for the sweep" in output
        assert ReminderOccurrence.objects.filter(status="queued").count() == MEMBERS

        redis_server.start()
        celery_worker_factory(env, concurrency=1)
        # The sweep runs as beat would, once the rows have waited their period.
        ReminderOccurrence.objects.update(updated_at=timezone.now() - dt.timedelta(minutes=6))
        sweep = servers.manage(env, "dispatch_reminders", "--sweep")
        deadline = time.monotonic() + 60
        while ReminderOccurrence.objects.exclude(status="sent").exists():
            assert time.monotonic() < deadline, f"{output}\n{sweep}"
            time.sleep(0.2)
        time.sleep(1)  # a second copy would arrive now

    ids = {str(pk) for pk in ReminderOccurrence.objects.values_list("id", flat=True)}
    assert Counter(sink.received) == Counter(ids)
