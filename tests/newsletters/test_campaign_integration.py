"""Real Celery workers on real Redis and PostgreSQL with a real SMTP sink:

* a worker killed mid-chunk: after a restart and the sweep, every subscriber has exactly
  one copy at the sink;
* reminders arrive on time while a 5,000-recipient campaign is sending (its own queue).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections import Counter
from email import message_from_bytes

import pytest
from django.utils import timezone

from newsletters.models import Campaign, Delivery, Subscriber
from newsletters.services import campaign_cancel
from reminders.models import ReminderSchedule
from tests import servers
from tests.factories import CampaignFactory, UserFactory
from tests.reminders.helpers import far_from_now, schedule_for

pytestmark = pytest.mark.integration


def visitors(n: int) -> list[Subscriber]:
    now = timezone.now()
    return Subscriber.objects.bulk_create(
        [Subscriber(email=f"reader{i}@example.org", newsletter_confirmed_at=now) for i in range(n)],
        batch_size=2000,
    )


def scheduled_campaign() -> Campaign:
    """Due now: the sweep (``manage.py send_campaigns``, as beat would) starts it in the
    subprocess, whose tasks go to Redis (this process runs tasks eagerly)."""
    return CampaignFactory(status="scheduled", send_at=timezone.now() - dt.timedelta(seconds=1))


SUBSCRIBERS = 300
KILL_AFTER = 80


class CrashingSink:
    """A slow sink (10 ms a message) that, once KILL_AFTER campaign messages are in, holds
    every further DATA until the test has killed the worker, then refuses it (451): the
    crash lands while each pool process is mid-send, before the server accepted."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.blocked = 0
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.released = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        if self.hold.is_set() and not self.released.is_set():
            with self.lock:
                self.blocked += 1
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 Connection went away, try later"
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.accepted.append(message["To"])
            if len(self.accepted) >= KILL_AFTER:
                self.hold.set()
        return "250 OK"


def test_worker_killed_mid_chunk_every_subscriber_gets_exactly_one_copy(
    postgres_required, worker_env, fresh_redis_url, celery_worker_factory
):
    subscribers = visitors(SUBSCRIBERS)
    campaign = scheduled_campaign()
    sink = CrashingSink()
    with servers.smtp_sink(sink) as (port, _):
        env = {
            **worker_env,
            "REDIS_URL": fresh_redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "NEWSLETTER_CHUNK_SIZE": "40",
            "NEWSLETTER_PARALLEL_CHUNKS": "3",
        }
        worker = celery_worker_factory(env, concurrency=2, queues="celery,bulk")
        assert "started 1 campaign(s)" in servers.manage(env, "send_campaigns")

        servers.wait_for(
            sink.holding.is_set,
            90,
            "the sink to hold a message",
            lambda: f"accepted {len(sink.accepted)}\n{worker.log()[-3000:]}",
        )
        servers.wait_for(lambda: sink.blocked >= 2, 10, "both pool processes to be mid-send")
        worker.kill()
        sink.released.set()
        accepted_before = len(sink.accepted)
        statuses = Counter(Delivery.objects.values_list("status", flat=True))
        assert statuses["sent"] == accepted_before  # each marked right after its 250
        assert statuses["sending"] > 0  # claimed by the dead worker, not lost
        campaign.refresh_from_db()
        assert campaign.status == "sending"

        # The rows the dead worker held, taken before the restart: the new worker at once
        # claims any chunk task still waiting in the broker, and its live claim is no
        # orphan (aging it would tell the sweep to re-queue rows a live task is sending).
        orphaned = list(Delivery.objects.filter(status="sending").values_list("id", flat=True))
        restarted = celery_worker_factory(env, concurrency=2, queues="celery,bulk")
        # Time passes for the rows the dead worker held (only those).
        Delivery.objects.filter(id__in=orphaned, status="sending").update(
            claimed_at=timezone.now() - dt.timedelta(minutes=20)
        )
        swept = servers.manage(env, "send_campaigns")
        assert f"recovered {len(orphaned)} row(s)" in swept
        servers.wait_for(
            lambda: Campaign.objects.get(pk=campaign.pk).status == "sent",
            120,
            "the campaign to finish",
            lambda: (
                f"{Counter(Delivery.objects.values_list('status', flat=True))}\n"
                f"sweep: {swept}\n{restarted.log()[-3000:]}"
            ),
        )
        time.sleep(1)  # anything sent twice would arrive now

    counts = Counter(sink.accepted)
    assert set(counts) == {s.email for s in subscribers}
    assert [address for address, n in counts.items() if n != 1] == []
    campaign.refresh_from_db()
    assert (campaign.sent_count, campaign.recipients) == (SUBSCRIBERS, SUBSCRIBERS)


class SlowSink:
    """Campaign messages take 25 ms at the sink; it records when each reminder arrived."""

    def __init__(self) -> None:
        self.campaign = 0
        self.reminders: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        if message["X-Kneadful-Reminder"]:
            self.reminders.append(time.monotonic())
        else:
            await asyncio.sleep(0.025)
            self.campaign += 1
        return "250 OK"


def test_reminders_arrive_on_time_while_a_5000_recipient_campaign_is_sending(
    postgres_required, worker_env, fresh_redis_url, celery_worker_factory
):
    visitors(5000)
    campaign = scheduled_campaign()
    members = [UserFactory() for _ in range(10)]
    for member in members:
        schedule_for(member, at=far_from_now(), tz="UTC")
    sink = SlowSink()
    with servers.smtp_sink(sink) as (port, _):
        env = {
            **worker_env,
            "REDIS_URL": fresh_redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "NEWSLETTER_CHUNK_SIZE": "500",
            "NEWSLETTER_PARALLEL_CHUNKS": "4",
        }
        # As the Procfile: one worker per queue.
        bulk = celery_worker_factory(env, concurrency=2, queues="bulk")
        default = celery_worker_factory(env, concurrency=1, queues="celery")
        servers.manage(env, "send_campaigns")
        servers.wait_for(
            lambda: sink.campaign >= 200,
            90,
            "the campaign to be well under way",
            lambda: bulk.log()[-3000:],
        )
        ReminderSchedule.objects.update(next_run_at=timezone.now() - dt.timedelta(seconds=5))
        dispatched = time.monotonic()
        assert "queued 10 reminder(s)" in servers.manage(env, "dispatch_reminders")
        servers.wait_for(
            lambda: len(sink.reminders) == 10,
            30,
            "the reminders",
            lambda: default.log()[-3000:],
        )
        latest = max(sink.reminders) - dispatched
        campaign.refresh_from_db()
        still_sending = campaign.status == "sending" and sink.campaign < 5000
        campaign_cancel(campaign=campaign)
    assert still_sending, "the campaign finished before the reminders: the test proved nothing"
    # The reminders did not queue behind ~4,800 campaign messages (a minute or more at the
    # sink's pace): they went out within seconds, even on a busy machine.
    assert latest < 15, f"reminders took {latest:.1f}s"
