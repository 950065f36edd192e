"""A real Celery worker on real Redis and PostgreSQL, killed mid-batch: every occurrence
reaches the SMTP sink exactly once after a restart and the sweep."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections import Counter
from email import message_from_bytes

import pytest
from django.utils import timezone

from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.services import REMINDER_STALE_SENDING
from tests import servers
from tests.factories import UserFactory
from tests.reminders.helpers import far_from_now, schedule_for

pytestmark = pytest.mark.integration

OCCURRENCES = 240
CONCURRENCY = 2
KILL_AFTER = 60  # messages accepted before the crash


class CrashingSink:
    """A slow SMTP sink (20 ms per message) that, once KILL_AFTER messages are in, holds
    every further DATA until the test has killed the worker, then refuses it (451): the
    crash lands while each pool process is mid-send, before the server accepts."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.blocked = 0
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.released = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        if self.hold.is_set() and not self.released.is_set():  # one crash per test
            with self.lock:
                self.blocked += 1
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 Connection went away, try later"
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.accepted.append(message["X-Kneadful-Reminder"])
            if len(self.accepted) >= KILL_AFTER:
                self.hold.set()
        return "250 OK"


def test_worker_killed_mid_batch_sends_each_reminder_exactly_once(
    postgres_required, worker_env, fresh_redis_url, celery_worker_factory
):
    now = timezone.now()
    for _ in range(OCCURRENCES):
        schedule_for(UserFactory(), at=far_from_now(), tz="UTC")
    ReminderSchedule.objects.update(next_run_at=now - dt.timedelta(seconds=30))

    sink = CrashingSink()
    with servers.smtp_sink(sink) as (port, _):
        env = {**worker_env, "REDIS_URL": fresh_redis_url, "EMAIL_URL": f"smtp://127.0.0.1:{port}"}
        worker = celery_worker_factory(env, concurrency=CONCURRENCY)
        output = servers.manage(env, "dispatch_reminders")
        assert f"queued {OCCURRENCES} reminder(s)" in output

        # Crash: wait until both pool processes are inside DATA, then SIGKILL the group.
        servers.wait_for(
            sink.holding.is_set,
            90,
            "the sink to hold a message",
            lambda: f"accepted {len(sink.accepted)}\n{output}\n{worker.log()[-3000:]}",
        )
        servers.wait_for(
            lambda: sink.blocked >= CONCURRENCY, 5, "both pool processes to be mid-send"
        )
        worker.kill()
        sink.released.set()
        accepted_before = len(sink.accepted)
        statuses = Counter(ReminderOccurrence.objects.values_list("status", flat=True))
        assert statuses["sent"] == accepted_before  # marked right after each 250
        assert statuses["sending"] > 0  # claimed by the dead worker, not lost
        assert sum(statuses.values()) == OCCURRENCES

        # Restart; then the sweep (run as beat would, once the dead worker's claims are
        # older than REMINDER_STALE_SENDING).
        orphaned = list(
            ReminderOccurrence.objects.filter(status="sending").values_list("id", flat=True)
        )
        restarted = celery_worker_factory(env, concurrency=CONCURRENCY)
        # Time passes for the rows the dead worker held (only those: the new worker's own
        # claims are fresh and must not be swept from under it).
        ReminderOccurrence.objects.filter(id__in=orphaned, status="sending").update(
            claimed_at=timezone.now() - REMINDER_STALE_SENDING - dt.timedelta(seconds=1)
        )
        sweep_output = servers.manage(env, "dispatch_reminders", "--sweep")
        assert "re-queued" in sweep_output
        servers.wait_for(
            lambda: not ReminderOccurrence.objects.exclude(status="sent").exists(),
            120,
            "every occurrence to be sent",
            lambda: (
                f"{Counter(ReminderOccurrence.objects.values_list('status', flat=True))}\n"
                f"sweep: {sweep_output}\n{restarted.log()[-3000:]}"
            ),
        )
        time.sleep(1)  # anything sent twice would arrive now

    counts = Counter(sink.accepted)
    ids = {str(pk) for pk in ReminderOccurrence.objects.values_list("id", flat=True)}
    assert set(counts) == ids
    assert [pk for pk, n in counts.items() if n != 1] == []
    assert len(sink.accepted) == OCCURRENCES
