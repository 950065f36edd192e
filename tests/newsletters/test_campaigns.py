"""Campaigns: rendering, the chunked fan-out, pause/resume/cancel, self-pause, crash recovery,
scheduling, a broker outage, and the announcement of a published series."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections import Counter

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from newsletters.models import Campaign, Delivery
from newsletters.services import (
    CampaignStateError,
    campaign_advance,
    campaign_cancel,
    campaign_chunk_send,
    campaign_pause,
    campaign_resume,
    campaign_send,
    campaign_update,
    campaigns_tick,
    task_enqueue,
)
from newsletters.services.rendering import markdown_html, markdown_text
from routines.models import Series
from routines.services import series_publish
from tests.factories import CampaignFactory, RoutineFactory, SeriesFactory, SubscriberFactory
from tests.newsletters.helpers import drain, recipients_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(settings):
    settings.NEWSLETTER_CHUNK_SIZE = 3
    settings.NEWSLETTER_PARALLEL_CHUNKS = 2


def readers(n: int) -> list[str]:
    return [SubscriberFactory().email for _ in range(n)]


# --- Rendering ---------------------------------------------------------------------------


def test_markdown_is_rendered_to_a_safe_subset_with_a_text_part():
    source = (
        "# Hello\n\nSome **bold** and [a link](/library/).\n\n"
        "<script>alert(1)</script>\n\n[bad](javascript:alert(1)) <img src=x onerror=y>"
    )
    html = markdown_html(source)
    assert "<h1>Hello</h1>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="http://testserver/library/"' in html
    # Raw HTML is shown as text, never kept as markup; a javascript: link is no link.
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html
    text = markdown_text(source)
    assert "a link (http://testserver/library/)" in text


def test_every_recipient_gets_one_message_with_both_parts_and_footer_links(small_chunks):
    addresses = readers(7)
    campaign = CampaignFactory(body="Hello **there**.")
    campaign_send(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == "sending" and campaign.recipients == 7
    drain(campaign)
    assert sorted(recipients_of(mail.outbox, campaign)) == sorted(addresses)
    assert campaign.status == "sent"
    assert (campaign.sent_count, campaign.failed_count, campaign.skipped_count) == (7, 0, 0)
    message = mail.outbox[0]
    assert "<strong>there</strong>" in message.alternatives[0][0]
    assert "Hello **there**." in message.body
    assert "/newsletter/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_audience_is_snapshot_at_start(small_chunks):
    readers(4)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    late = SubscriberFactory()
    drain(campaign)
    assert late.email not in recipients_of(mail.outbox, campaign)
    assert len(recipients_of(mail.outbox, campaign)) == 4


def test_the_eager_cascade_sends_everything_through_the_tasks(
    small_chunks, django_capture_on_commit_callbacks
):
    addresses = readers(8)
    campaign = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert sorted(recipients_of(mail.outbox, campaign)) == sorted(addresses)


def test_pause_then_resume_carries_on_without_duplicates(small_chunks):
    addresses = readers(9)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    first = campaign_advance(campaign_id=campaign.pk).chunks[0]
    campaign_chunk_send(campaign_id=campaign.pk, after_id=first[0], last_id=first[1])
    assert len(recipients_of(mail.outbox, campaign)) == 3

    campaign_pause(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == "paused" and campaign.pause_reason
    for after_id, last_id in [(0, 10**9)]:
        assert (
            campaign_chunk_send(campaign_id=campaign.pk, after_id=after_id, last_id=last_id).claimed
            == 0
        )
    assert campaign_advance(campaign_id=campaign.pk).chunks == []
    assert len(recipients_of(mail.outbox, campaign)) == 3
    with pytest.raises(CampaignStateError):
        campaign_update(campaign=campaign, subject="Too late")

    campaign_resume(campaign=campaign)
    drain(campaign)
    sent = recipients_of(mail.outbox, campaign)
    assert sorted(sent) == sorted(addresses)
    assert max(Counter(sent).values()) == 1


def test_a_chunk_notices_a_pause_mid_send_and_hands_its_rows_back(
    small_chunks, settings, monkeypatch
):
    from newsletters.services import sending as module

    settings.NEWSLETTER_CHUNK_SIZE = 10
    readers(6)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    (chunk,) = campaign_advance(campaign_id=campaign.pk).chunks
    monkeypatch.setattr(module, "STATUS_CHECK_SECONDS", -1)  # look before every message
    original = module.emails.email_send_batch
    calls = []

    def pause_after_two(batch, connection=None):
        calls.append(1)
        if len(calls) == 2:
            Campaign.objects.filter(pk=campaign.pk).update(status="paused")
        return original(batch, connection=connection)

    monkeypatch.setattr(module.emails, "email_send_batch", pause_after_two)
    result = campaign_chunk_send(campaign_id=campaign.pk, after_id=chunk[0], last_id=chunk[1])
    assert result.sent == 2 and result.stopped == "paused"
    assert Counter(Delivery.objects.values_list("status", flat=True)) == {"sent": 2, "queued": 4}


def test_cancel_stops_for_good(small_chunks):
    readers(9)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    first = campaign_advance(campaign_id=campaign.pk).chunks[0]
    campaign_chunk_send(campaign_id=campaign.pk, after_id=first[0], last_id=first[1])
    campaign_cancel(campaign=campaign)
    assert campaign_chunk_send(campaign_id=campaign.pk, after_id=0, last_id=10**9).claimed == 0
    assert campaign_advance(campaign_id=campaign.pk).chunks == []
    assert len(recipients_of(mail.outbox, campaign)) == 3
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    assert statuses["sent"] == 3 and set(statuses) == {"sent", "cancelled"}
    with pytest.raises(CampaignStateError):
        campaign_resume(campaign=campaign)


class RefusingBackend(LocmemBackend):
    """Every message refused temporarily: the email server is in an outage."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, b"4.3.0 try later")


class RejectingBackend(LocmemBackend):
    """Every recipient refused for good (as a relay that forbids our sender does)."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(550, b"5.7.1 relaying denied")


def test_the_campaign_pauses_itself_after_n_failures_in_a_row_and_says_why(small_chunks, settings):
    settings.NEWSLETTER_MAX_CONSECUTIVE_FAILURES = 4
    settings.NEWSLETTER_CHUNK_SIZE = 10
    settings.EMAIL_BACKEND = f"{__name__}.RejectingBackend"
    addresses = readers(8)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    (chunk,) = campaign_advance(campaign_id=campaign.pk).chunks
    result = campaign_chunk_send(campaign_id=campaign.pk, after_id=chunk[0], last_id=chunk[1])
    campaign.refresh_from_db()
    assert result.stopped == "paused"
    assert campaign.status == "paused"
    assert "4 failed sends in a row" in campaign.pause_reason and "550" in campaign.pause_reason
    # The refused rows failed; the untried rows wait for the resume.
    assert Counter(Delivery.objects.values_list("status", flat=True)) == {"failed": 4, "queued": 4}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign_resume(campaign=campaign)
    drain(campaign)
    assert sorted(recipients_of(mail.outbox, campaign)) == sorted(addresses[4:])


def test_an_smtp_outage_stops_the_chunk_without_costing_anything_until_the_bound(
    small_chunks, settings
):
    """Temporary failures in a row: the chunk stops, every row stays queued with no
    attempt spent and nothing counts towards the self-pause. Only an outage longer than
    NEWSLETTER_TRANSIENT_PAUSE_AFTER pauses the campaign, saying why."""
    settings.NEWSLETTER_MAX_CONSECUTIVE_FAILURES = 2
    settings.NEWSLETTER_CHUNK_SIZE = 10
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    addresses = readers(8)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    (chunk,) = campaign_advance(campaign_id=campaign.pk).chunks
    for _ in range(2):  # the first stop and a retry within the bound
        result = campaign_chunk_send(campaign_id=campaign.pk, after_id=chunk[0], last_id=chunk[1])
        assert (result.stopped, result.retry, result.failed) == ("transient", 3, 0)
        campaign.refresh_from_db()
        assert campaign.status == "sending" and campaign.transient_since is not None
        assert campaign.consecutive_failures == 0 and campaign.failed_count == 0
        assert list(Delivery.objects.values_list("status", "attempts").distinct()) == [
            ("queued", 0)
        ]

    Campaign.objects.filter(pk=campaign.pk).update(
        transient_since=timezone.now() - dt.timedelta(seconds=1801)
    )
    result = campaign_chunk_send(campaign_id=campaign.pk, after_id=chunk[0], last_id=chunk[1])
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    assert "accepted nothing for 30 minutes" in campaign.pause_reason
    assert "451" in campaign.pause_reason

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign_resume(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.transient_since is None
    drain(campaign)
    sent = recipients_of(mail.outbox, campaign)
    assert sorted(sent) == sorted(addresses) and max(Counter(sent).values()) == 1


class OneRecipientRefusedBackend(LocmemBackend):
    """The server works; one mailbox answers 452 (over quota) every time."""

    refused = ""

    def send_messages(self, messages):
        if messages[0].to[0] == self.refused:
            raise smtplib.SMTPDataError(452, b"4.2.2 mailbox full")
        return super().send_messages(messages)


def test_a_recipients_own_temporary_failure_costs_its_attempts_and_fails_it_alone(
    small_chunks, settings
):
    """A temporary failure followed by an acceptance is the recipient's: it costs that row
    an attempt, and after MAX_ATTEMPTS the row fails; the campaign finishes."""
    settings.NEWSLETTER_CHUNK_SIZE = 10
    settings.EMAIL_BACKEND = f"{__name__}.OneRecipientRefusedBackend"
    addresses = readers(5)
    OneRecipientRefusedBackend.refused = addresses[1]
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    campaign_advance(campaign_id=campaign.pk)
    for _ in range(3):  # the first send, then (as the sweep would) the row offered again
        queued = Delivery.objects.filter(status="queued").order_by("subscriber_id")
        first, last = queued.first().subscriber_id, queued.last().subscriber_id
        campaign_chunk_send(campaign_id=campaign.pk, after_id=first - 1, last_id=last)
    campaign = drain(campaign)
    assert campaign.status == "sent" and (campaign.sent_count, campaign.failed_count) == (4, 1)
    refused = Delivery.objects.get(subscriber__email=addresses[1])
    assert (refused.status, refused.attempts) == ("failed", 3) and "452" in refused.error
    assert sorted(recipients_of(mail.outbox, campaign)) == sorted(addresses[:1] + addresses[2:])


def test_rows_a_dead_worker_held_are_sent_once_after_the_sweep(small_chunks):
    addresses = readers(6)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    first, second = campaign_advance(campaign_id=campaign.pk).chunks
    campaign_chunk_send(campaign_id=campaign.pk, after_id=first[0], last_id=first[1])
    # A worker claims the second chunk and dies before sending anything.
    long_ago = timezone.now() - dt.timedelta(minutes=30)
    Delivery.objects.filter(campaign=campaign, status="queued").update(
        status="sending", claimed_at=long_ago, updated_at=long_ago
    )
    assert (
        campaign_chunk_send(campaign_id=campaign.pk, after_id=second[0], last_id=second[1]).claimed
        == 0
    )
    tick = campaigns_tick()
    assert tick.recovered == 3 and tick.requeued_chunks == 1
    drain(campaign)
    sent = recipients_of(mail.outbox, campaign)
    assert sorted(sent) == sorted(addresses) and max(Counter(sent).values()) == 1


def test_a_chunk_that_loses_its_claim_mid_send_repeats_at_most_one_message(
    small_chunks, settings, monkeypatch
):
    """The sweep re-queues a live task's rows (it stalled past STALE_SENDING): the task
    records the message the server just accepted and sends nothing more of those rows."""
    from newsletters.services import sending as module

    settings.NEWSLETTER_CHUNK_SIZE = 10
    addresses = readers(6)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    (chunk,) = campaign_advance(campaign_id=campaign.pk).chunks
    original = module.emails.email_send_batch
    calls = []

    def stall_then_swept(batch, connection=None):
        calls.append(1)
        if len(calls) == 2:  # mid-send of the second message, the sweep thinks us dead
            Delivery.objects.filter(status="sending").update(
                claimed_at=timezone.now() - dt.timedelta(minutes=30)
            )
            assert campaigns_tick().recovered == 5
        return original(batch, connection=connection)

    monkeypatch.setattr(module.emails, "email_send_batch", stall_then_swept)
    result = campaign_chunk_send(campaign_id=campaign.pk, after_id=chunk[0], last_id=chunk[1])
    assert result.sent == 2 and len(calls) == 2  # nothing sent after the claim was lost
    # The accepted message is recorded although the sweep had re-queued its row.
    assert Counter(Delivery.objects.values_list("status", flat=True)) == {"sent": 2, "queued": 4}
    monkeypatch.setattr(module.emails, "email_send_batch", original)
    drain(campaign)
    sent = recipients_of(mail.outbox, campaign)
    assert sorted(sent) == sorted(addresses) and max(Counter(sent).values()) == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_restarting_after_a_250_does_not_send_the_campaign_twice(
    postgres_required, monkeypatch
):
    """The server accepted a message, then the database connection died (a PostgreSQL
    restart): the chunk reconnects and records 'sent' instead of failing and leaving its
    rows 'sending' for the sweep, which would send them again."""
    from django.db import connections

    from newsletters.services import base
    from newsletters.services import sending as module

    monkeypatch.setattr(base, "task_enqueue", lambda **kw: False)  # no eager cascade
    addresses = readers(3)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    (chunk,) = campaign_advance(campaign_id=campaign.pk).chunks
    real_send = module.emails.email_send_batch
    terminated: list[int] = []

    def accepted_then_database_restarts(batch, connection=None):
        outcomes = real_send(batch, connection=connection)
        if not terminated:  # the first 250, then this test's database connection dies
            pid = connections["default"].connection.info.backend_pid
            with connections["default"].copy().cursor() as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            terminated.append(pid)
        return outcomes

    monkeypatch.setattr(module.emails, "email_send_batch", accepted_then_database_restarts)
    result = campaign_chunk_send(campaign_id=campaign.pk, after_id=chunk[0], last_id=chunk[1])
    assert terminated and result.sent == 3 and not result.stopped
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(recipients_of(mail.outbox, campaign)) == sorted(addresses)
    monkeypatch.setattr(module.emails, "email_send_batch", real_send)
    assert drain(campaign).status == "sent"
    assert sorted(recipients_of(mail.outbox, campaign)) == sorted(addresses)


def test_a_scheduled_campaign_starts_when_due():
    readers(2)
    campaign = CampaignFactory()
    when = timezone.now() + dt.timedelta(hours=1)
    campaign_send(campaign=campaign, send_at=when)
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    assert campaigns_tick().started == []
    assert campaigns_tick(now=when + dt.timedelta(seconds=1)).started == [campaign.pk]
    drain(campaign)
    assert len(recipients_of(mail.outbox, campaign)) == 2


def test_the_send_rate_cap_spaces_messages(settings):
    settings.NEWSLETTER_SEND_RATE = 20
    readers(50)
    campaign = CampaignFactory()
    campaign_send(campaign=campaign)
    import time

    started = time.monotonic()
    drain(campaign)
    assert len(recipients_of(mail.outbox, campaign)) == 50
    assert time.monotonic() - started >= 1.0  # 50 messages at 20/s span two second marks


# --- The broker may be down --------------------------------------------------------------


@pytest.fixture
def dead_broker_task():
    """A task of a Celery app whose broker (Redis) nobody listens on: really published."""
    from celery import Celery

    from tests.servers import free_port

    app = Celery("dead", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=False)
    app.conf.broker_connection_timeout = 1

    @app.task(name="dead.noop")
    def noop(*args):
        return None

    yield noop
    app.close()


@pytest.fixture
def broker_down(monkeypatch):
    """Every newsletters task fails to publish, as with Redis down."""
    from celery.app.task import Task
    from kombu.exceptions import OperationalError

    def refuse(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)


def test_queueing_with_the_broker_down_never_raises(dead_broker_task):
    import time

    started = time.monotonic()
    assert task_enqueue(task=dead_broker_task, args=(1,)) is False
    assert time.monotonic() - started < 5


def test_pressing_send_with_the_broker_down_answers_and_the_sweep_carries_on(
    broker_down, client, django_capture_on_commit_callbacks, monkeypatch
):
    from tests.factories import UserFactory

    readers(2)
    editor = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(editor)
    campaign = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/campaigns/{campaign.pk}/send/")
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "sending"  # the state is in the database; the sweep sends it

    monkeypatch.undo()  # the broker is back: the next minute's sweep finds the campaign
    with django_capture_on_commit_callbacks(execute=True):
        campaigns_tick()
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert len(recipients_of(mail.outbox, campaign)) == 2


# --- Announcing a published series ---------------------------------------------------------


def test_publishing_a_series_announces_it_once(django_capture_on_commit_callbacks):
    series = SeriesFactory(status=Series.Status.DRAFT, published_at=None, title="Feet *first*")
    RoutineFactory(series=series, title="Arch release", position=1)
    with django_capture_on_commit_callbacks(execute=True):
        series_publish(series=series)
    with django_capture_on_commit_callbacks(execute=True):
        series_publish(series=series)  # already published: no event
    from newsletters.services import campaign_announce_series

    assert campaign_announce_series(series_id=series.pk) is None  # a repeated event: nothing
    (campaign,) = Campaign.objects.all()
    assert campaign.series == series and campaign.status == "draft"
    assert "Feet *first*" in campaign.subject
    assert r"Feet \*first\*" in campaign.body and "Arch release" in campaign.body
    assert f"http://testserver{series.get_absolute_url()}" in campaign.body
    assert "<em>" not in markdown_html(campaign.body)


def test_auto_send_sends_the_announcement_at_once(settings, django_capture_on_commit_callbacks):
    settings.NEWSLETTER_AUTO_SEND = True
    reader = SubscriberFactory()
    series = SeriesFactory(status=Series.Status.DRAFT, published_at=None)
    RoutineFactory(series=series)
    with django_capture_on_commit_callbacks(execute=True):
        series_publish(series=series)
    campaign = Campaign.objects.get(series=series)
    assert campaign.status == "sent"
    assert recipients_of(mail.outbox, campaign) == [reader.email]


def test_a_failing_announcement_never_breaks_the_publication(
    monkeypatch, django_capture_on_commit_callbacks
):
    from newsletters.services import sweep as module

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "campaign_announce_series", explode)
    series = SeriesFactory(status=Series.Status.DRAFT, published_at=None)
    RoutineFactory(series=series, steps=1)  # a series is published with something to play
    with django_capture_on_commit_callbacks(execute=True):
        series_publish(series=series)
    series.refresh_from_db()
    assert series.status == Series.Status.PUBLISHED


def test_a_chunks_last_count_after_the_campaign_finished_is_not_added_twice():
    """The campaign is recounted from the ledger when it finishes; a chunk that flushes
    its running counts after that (its rows were marked before) must not add them again."""
    from newsletters.services.sending import _Progress

    campaign = CampaignFactory(status="sent", sent_count=300, max_subscriber_id=300)
    late = _Progress(campaign.pk)
    late.sent = 40
    late.success_since_flush = True
    late.flush()
    campaign.refresh_from_db()
    assert campaign.sent_count == 300
    sending = CampaignFactory(status="sending", sent_count=10, max_subscriber_id=300)
    running = _Progress(sending.pk)
    running.sent = 5
    running.success_since_flush = True
    running.flush()
    sending.refresh_from_db()
    assert sending.sent_count == 15
