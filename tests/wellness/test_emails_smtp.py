"""email_send_batch and email_send_task against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import threading
from email import message_from_bytes

import pytest
from django.core import mail

from accounts.emails import email_recipient_allowed
from accounts.models import EmailSuppression
from accounts.services import email_resubscribe
from accounts.tasks import email_send_task
from tests import servers
from tests.factories import UserFactory
from wellness.emails import (
    email_message_build,
    email_send_batch,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOTICE = {"headline": "Hello from the sink", "paragraphs": ["One paragraph."]}


@pytest.fixture
def user(db):
    """A member who opted in to the newsletter (off by default), the category sent here."""
    member = UserFactory()
    email_resubscribe(user=member, category="newsletter")
    return member


class ScriptedSink:
    """An aiosmtpd handler that answers DATA from a script, then 250; it counts connections.

    ``data_replies`` is consumed one reply per DATA command; ``refuse`` maps recipient
    addresses to an RCPT reply.
    """

    def __init__(self, data_replies: list[str] | None = None, refuse: dict[str, str] | None = None):
        self.data_replies = list(data_replies or [])
        self.refuse = {k.lower(): v for k, v in (refuse or {}).items()}
        self.connections = 0
        self.delivered: list = []
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            reply = self.data_replies.pop(0) if self.data_replies else "250 OK"
            if reply.startswith("250"):
                self.delivered.append(
                    (list(envelope.rcpt_tos), message_from_bytes(envelope.original_content))
                )
        return reply


@pytest.fixture
def sink_factory(settings):
    started = []

    def start(handler: ScriptedSink) -> ScriptedSink:
        context = servers.smtp_sink(handler)
        port, _ = context.__enter__()
        started.append(context)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        return handler

    yield start
    for context in started:
        context.__exit__(None, None, None)


def build(user, category="newsletter"):
    return email_message_build(user=user, template="notice", context=NOTICE, category=category)


def test_451_is_transient_and_a_retry_delivers_exactly_once(sink_factory, user):
    sink = sink_factory(ScriptedSink(data_replies=["451 4.3.0 Try again later"]))
    (first,) = email_send_batch([(user, build(user))])
    assert first.status == "transient"
    assert first.reason.startswith("451")
    assert sink.delivered == []
    assert email_recipient_allowed(user=user, category="newsletter")  # nothing suppressed

    (retry,) = email_send_batch([(user, build(user))])
    assert retry.status == "sent"
    assert len(sink.delivered) == 1
    recipients, message = sink.delivered[0]
    assert recipients == [user.email]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Long headers are folded on the wire; a mail client unfolds them.
    unfolded = "".join(message["List-Unsubscribe"].split())
    assert unfolded.startswith("<http://testserver/email/unsubscribe/")
    assert message.is_multipart()
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]


@pytest.fixture
def eager_retries(monkeypatch):
    """Let eager apply() run Celery's retries in-process instead of raising Retry."""
    monkeypatch.setitem(email_send_task.app.conf, "task_eager_propagates", False)


def test_task_retries_a_451_and_the_sink_holds_one_message(sink_factory, user, eager_retries):
    sink = sink_factory(ScriptedSink(data_replies=["451 4.3.0 Try again later"]))
    # Eager mode runs the retry at once (no countdown) through the same autoretry path.
    result = email_send_task.apply(args=[user.pk, "notice", NOTICE, "newsletter"])
    assert result.successful()
    assert result.result == "sent"
    assert len(sink.delivered) == 1
    assert sink.connections == 2  # one connection per attempt


def test_task_gives_up_after_max_retries(sink_factory, user, eager_retries):
    sink = sink_factory(ScriptedSink(data_replies=["451 4.3.0 Try again later"] * 20))
    result = email_send_task.apply(args=[user.pk, "notice", NOTICE, "newsletter"])
    assert result.failed()
    assert sink.connections == email_send_task.max_retries + 1
    assert sink.delivered == []


def test_550_on_data_is_permanent_and_suppresses(sink_factory, user):
    sink = sink_factory(ScriptedSink(data_replies=["550 5.1.1 Mailbox does not exist"]))
    (outcome,) = email_send_batch([(user, build(user))])
    assert outcome.status == "permanent"
    assert "550" in outcome.reason
    suppression = EmailSuppression.objects.get(address=user.email)
    assert suppression.reason == EmailSuppression.Reason.HARD_BOUNCE
    assert "Mailbox does not exist" in suppression.detail
    assert not email_recipient_allowed(user=user, category=None)
    assert sink.delivered == []


def test_550_on_rcpt_suppresses_that_recipient_only(sink_factory, user, other_user):
    sink = sink_factory(ScriptedSink(refuse={user.email: "550 5.1.1 No such user"}))
    outcomes = email_send_batch([(user, build(user)), (other_user, build(other_user))])
    assert [o.status for o in outcomes] == ["permanent", "sent"]
    assert list(EmailSuppression.objects.values_list("address", flat=True)) == [user.email]
    assert [rcpt for rcpt, _ in sink.delivered] == [[other_user.email]]


def test_a_batch_uses_one_connection_for_many_messages(sink_factory):
    sink = sink_factory(ScriptedSink(data_replies=["250 OK", "451 4.3.0 busy", "250 OK"]))
    members = UserFactory.create_batch(12)
    outcomes = email_send_batch([(m, build(m)) for m in members])
    assert [o.status for o in outcomes].count("sent") == 11
    assert outcomes[1].status == "transient"  # a 4xx keeps the connection usable
    assert len(sink.delivered) == 11
    assert sink.connections == 1
    # Each member got their own message with their own unsubscribe link.
    links = {msg["List-Unsubscribe"] for _, msg in sink.delivered}
    assert len(links) == 11


def test_421_closes_the_channel_and_the_batch_reopens_for_the_rest(sink_factory):
    sink = sink_factory(ScriptedSink(data_replies=["250 OK", "421 4.3.2 Shutting down"]))
    members = UserFactory.create_batch(4)
    outcomes = email_send_batch([(m, build(m)) for m in members])
    assert [o.status for o in outcomes] == ["sent", "transient", "sent", "sent"]
    assert sink.connections == 2
    assert [rcpt[0] for rcpt, _ in sink.delivered] == [
        members[0].email,
        members[2].email,
        members[3].email,
    ]


def test_no_server_means_every_message_is_transient_without_hanging(settings, user):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = servers.free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    outcomes = email_send_batch([(user, build(user)) for _ in range(50)])
    assert {o.status for o in outcomes} == {"transient"}
    assert len(outcomes) == 50
    assert outcomes[0].reason.startswith("connection:")
    assert not EmailSuppression.objects.exists()


def test_locmem_outbox_is_untouched_by_smtp_sends(sink_factory, user):
    sink_factory(ScriptedSink())
    email_send_batch([(user, build(user))])
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_real_worker_retries_a_451_with_backoff_and_delivers_once(
    postgres_required, worker_env, fresh_redis_url, celery_worker_factory
):
    import time

    from celery import Celery

    sink = ScriptedSink(data_replies=["451 4.3.0 Try again later"])
    with servers.smtp_sink(sink) as (port, _):
        env = {
            **worker_env,
            "REDIS_URL": fresh_redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "EMAIL_RETRY_BACKOFF": "1",
        }
        worker = celery_worker_factory(env)
        member = UserFactory()
        email_resubscribe(user=member, category="newsletter")
        sender = Celery("sender", broker=fresh_redis_url, set_as_current=False)
        try:
            sender.send_task(
                "accounts.tasks.email_send_task", args=[member.pk, "notice", NOTICE, "newsletter"]
            )
            deadline = time.monotonic() + 30
            while not sink.delivered and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)  # room for a (wrong) second delivery to show up
        finally:
            sender.close()
        assert len(sink.delivered) == 1, worker.log()
        assert sink.delivered[0][0] == [member.email]
        assert sink.connections == 2  # the refused attempt and the retry
        assert "Retry in" in worker.log()
