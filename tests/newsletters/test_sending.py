"""A chunk's messages are written from one serialised prototype per chunk (``BatchPrototype``)
and signed with a once-derived HMAC key (``newsletters.links``): each recipient still gets
exactly the bytes the MIME tree would give, with their own links and headers only."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes

import pytest
from django.core import mail, signing
from django.test import override_settings
from django.utils import timezone

from accounts.services.emails import email_preferences_update
from newsletters import links
from newsletters.models import Delivery, Subscriber
from newsletters.services import campaign_send
from tests.factories import CampaignFactory, SubscriberFactory, UserFactory
from tests.newsletters.helpers import drain
from wellness.emails import EmailBatchRenderer
from wellness.emails.message import SerialisedMessage

pytestmark = pytest.mark.django_db

_VARIES = [
    (re.compile(rb"^Date: .*$", re.M), b"Date: -"),
    (re.compile(rb"^Message-ID: .*$", re.M), b"Message-ID: -"),
    (re.compile(rb"===============[0-9a-f]{32}=="), b"BOUNDARY"),
]


def tree_bytes(message) -> bytes:
    """The ordinary serialisation of ``message`` (the MIME tree, no prototype)."""
    batch, message._batch = message._batch, None
    try:
        return message.message().as_bytes(linesep="\r\n")
    finally:
        message._batch = batch


def same_but_date_id_boundary(fast: bytes, slow: bytes) -> bool:
    for pattern, fixed in _VARIES:
        fast, slow = pattern.sub(fixed, fast), pattern.sub(fixed, slow)
    return fast == slow


@pytest.fixture
def sent_campaign(settings):
    """A campaign sent in chunks of 4 to visitors (one with a non-ASCII address) and two
    members (one with a non-ASCII name), with the mailto: List-Unsubscribe target."""
    settings.NEWSLETTER_CHUNK_SIZE = 4
    settings.NEWSLETTER_PARALLEL_CHUNKS = 2
    settings.EMAIL_UNSUBSCRIBE_MAILTO = "unsubscribe@kneadful.example"
    for _ in range(7):
        SubscriberFactory()
    SubscriberFactory(email="zoë@exämple.org")
    for name in ("Ada", "Zoë Ångström"):
        member = UserFactory(display_name=name)
        email_preferences_update(user=member, reminders=False, newsletter=True, offers=False)
    campaign = CampaignFactory(body="Hello **there** & <you>. [The library](/library/).")
    campaign_send(campaign=campaign)
    drain(campaign)
    messages = [
        m for m in mail.outbox if m.extra_headers.get("X-Kneadful-Campaign") == str(campaign.pk)
    ]
    assert len(messages) == 10
    return campaign, messages


def test_each_message_is_the_bytes_the_mime_tree_gives(sent_campaign):
    _, messages = sent_campaign
    prototyped = 0
    for message in messages:
        written = message.message()
        prototyped += isinstance(written, SerialisedMessage)
        assert same_but_date_id_boundary(written.as_bytes(linesep="\r\n"), tree_bytes(message))
    # The first message of each chunk_send call is built the ordinary way, the others from
    # that chunk's prototype (drain() makes two or three calls here).
    assert prototyped >= 7


def test_each_recipient_has_only_their_own_links_headers_and_both_parts(sent_campaign):
    campaign, messages = sent_campaign
    rows = dict(Delivery.objects.filter(campaign=campaign).values_list("subscriber_id", "pk"))
    tokens_seen, message_ids = set(), set()
    for message in messages:
        raw = message.message().as_bytes(linesep="\r\n")
        parsed = message_from_bytes(raw)
        subscriber = Subscriber.objects.select_related("user").get(
            pk=next(s for s, d in rows.items() if str(d) == parsed["X-Kneadful-Delivery"])
        )
        token = links.unsubscribe_token_make(subscriber=subscriber, category="newsletter")
        manage = links.manage_url(subscriber=subscriber)
        if subscriber.user_id is None:
            # A visitor's own signed link: it names them and this category.
            assert links.unsubscribe_token_read(token) == (subscriber.pk, "newsletter")
            url = links.subscriber_email_links(subscriber=subscriber, category="newsletter")[
                "unsubscribe_url"
            ]
            assert f"<{url}>" in "".join(parsed["List-Unsubscribe"].split())
            assert manage.encode() in raw
        unsubscribe = "".join(parsed["List-Unsubscribe"].split())
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # RFC 8058
        assert unsubscribe.startswith("<http") and "<mailto:unsubscribe@" in unsubscribe
        target = unsubscribe[1 : unsubscribe.index(">")]
        text, html = (p.get_payload(decode=True).decode() for p in parsed.get_payload())
        assert [p.get_content_type() for p in parsed.get_payload()] == ["text/plain", "text/html"]
        assert target in text and target in html
        assert "&lt;you&gt;" in html and "<you>" in text
        assert message.to == [subscriber.address]
        tokens_seen.add(target)
        message_ids.add(parsed["Message-ID"])
    # Nobody's link appears in anyone else's message.
    assert len(tokens_seen) == len(messages) == len(message_ids)
    for message in messages:
        raw = message.message().as_bytes(linesep="\r\n")
        assert sum(target.encode() in raw for target in tokens_seen) == 1


def test_a_message_changed_after_it_was_built_is_written_from_its_fields(sent_campaign):
    _, messages = sent_campaign
    message = messages[-1]
    assert isinstance(message.message(), SerialisedMessage)
    message.subject = "[Test] changed"
    message.body = message.body + "\nP.S."
    written = message.message()
    assert not isinstance(written, SerialisedMessage)
    parsed = message_from_bytes(written.as_bytes(linesep="\r\n"))
    assert parsed["Subject"] == "[Test] changed"
    assert parsed.get_payload()[0].get_payload(decode=True).decode().endswith("P.S.")


@pytest.mark.parametrize(
    "value",
    [
        'https://kneadful.example/done/?a=1&b="2"',  # escaped in the HTML part
        "https://kneadful.example/" + "x" * 600,  # too long for a line: the tree's own way
        "line\nbreak",  # changes the part's lines: the tree's own way
        "Zoë ünïcode",  # non-ASCII into an 8bit part
    ],
)
def test_values_the_prototype_cannot_take_safely_give_the_same_bytes(value, user):
    renderer = EmailBatchRenderer(
        template="notice",
        category="newsletter",
        context={"headline": "Hi · there", "paragraphs": ["One & <two>."]},
        personal_keys=("action_url",),
    )
    for other in (UserFactory(), UserFactory()):
        renderer.build(user=other, context={"action_url": "https://kneadful.example/a/"})
    message = renderer.build(user=user, context={"action_url": value})
    assert message._batch is not None  # this batch has a prototype
    written = message.message().as_bytes(linesep="\r\n")
    assert same_but_date_id_boundary(written, tree_bytes(message))
    assert b"kneadfulslot" not in written


def test_text_shaped_like_a_slot_token_is_sent_as_written(user):
    """The prototype finds its slots with one pattern for every batch: a template whose
    own text looks like a token gets no prototype, and the text goes out as written."""
    lookalike = "kneadfulslot" + "0123456789abcdef" * 2
    renderer = EmailBatchRenderer(
        template="notice",
        category="newsletter",
        context={"headline": "Hi", "paragraphs": [f"Ref {lookalike}."]},
        personal_keys=("action_url",),
    )
    messages = [
        renderer.build(user=member, context={"action_url": "https://kneadful.example/a/"})
        for member in (UserFactory(), UserFactory(), user)
    ]
    for message in messages:
        assert message._batch is None
        parsed = message_from_bytes(message.message().as_bytes(linesep="\r\n"))
        text, html = (p.get_payload(decode=True).decode() for p in parsed.get_payload())
        assert f"Ref {lookalike}." in text and lookalike in html


def test_the_once_keyed_signer_makes_djangos_tokens_and_reads_rotated_ones(settings):
    data = {"s": 42, "c": "newsletter"}
    assert links._signer(links.UNSUBSCRIBE_SALT).sign_object(data) == signing.Signer(
        salt=links.UNSUBSCRIBE_SALT
    ).sign_object(data)
    subscriber = SubscriberFactory()
    old = links.unsubscribe_token_make(subscriber=subscriber, category="newsletter")
    with override_settings(
        SECRET_KEY="rotated-" + "k" * 50, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        assert links.unsubscribe_token_read(old) == (subscriber.pk, "newsletter")
        fresh = links.unsubscribe_token_make(subscriber=subscriber, category="newsletter")
        assert fresh != old
    with (
        override_settings(SECRET_KEY="rotated-" + "k" * 50),
        pytest.raises(links.BadSubscriberToken),
    ):
        links.unsubscribe_token_read(old)  # the old key no longer accepted
    value, signature = old.rsplit(":", 1)
    with pytest.raises(links.BadSubscriberToken):
        links.unsubscribe_token_read(f"{value}:{signature[::-1]}")
    with pytest.raises(links.BadSubscriberToken):  # another purpose's token is refused
        links.unsubscribe_token_read(links.manage_token_make(subscriber=subscriber))


def test_over_smtp_each_envelope_carries_its_recipients_own_message(settings, monkeypatch):
    """The SMTP backend sends the prototype's bytes: the server gets, per envelope, the
    message of that recipient (To, their signed link in the header and both parts)."""
    from tests import servers

    class Sink:
        def __init__(self) -> None:
            self.received: list[tuple[str, bytes]] = []

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            self.received.append((envelope.rcpt_tos[0], envelope.content))
            return "250 OK"

    written = []
    as_bytes = SerialisedMessage.as_bytes
    monkeypatch.setattr(
        SerialisedMessage,
        "as_bytes",
        lambda self, *a, **k: written.append(1) or as_bytes(self, *a, **k),
    )
    readers = {s.email: s for s in (SubscriberFactory() for _ in range(6))}
    sink = Sink()
    with servers.smtp_sink(sink) as (port, _):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        campaign = CampaignFactory(body="Hi & <b>bold</b>")
        campaign_send(campaign=campaign)
        drain(campaign)
    assert sorted(rcpt for rcpt, _ in sink.received) == sorted(readers)
    assert len(written) == 5  # drain() sends the six in one chunk: all but the first prototyped
    for rcpt, raw in sink.received:
        parsed = message_from_bytes(raw)
        target = "".join(parsed["List-Unsubscribe"].split())[1:].split(">")[0]
        token = target.rstrip("/").rsplit("/", 1)[1]
        assert parsed["To"] == rcpt
        assert links.unsubscribe_token_read(token) == (readers[rcpt].pk, "newsletter")
        text, html = (p.get_payload(decode=True).decode() for p in parsed.get_payload())
        assert target in text and target in html and "&lt;b&gt;bold" in html
        assert all(other not in raw.decode() for other in readers if other != rcpt)


def test_an_smtp_server_answering_451_for_a_while_delays_the_campaign_which_finishes_alone(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The chaos benchmark's 30-second outage: the server answers 451 to everything, then
    recovers. No editor acts: the chunk task retries after its backoff (Celery runs the
    retries at once here), the minute sweep offers the last row again, and every reader
    gets exactly one copy; nothing failed, nothing was paused."""
    from collections import Counter

    from newsletters.models import Campaign
    from newsletters.services import campaigns_tick
    from newsletters.tasks import campaign_chunk_send_task
    from tests import servers
    from tests.newsletters.helpers import sink_recipients
    from tests.wellness.test_emails_smtp import ScriptedSink

    # Eager apply() runs Celery's retries in-process instead of raising Retry.
    monkeypatch.setitem(campaign_chunk_send_task.app.conf, "task_eager_propagates", False)
    settings.NEWSLETTER_MAX_CONSECUTIVE_FAILURES = 2  # the outage must not count towards it
    readers = [SubscriberFactory().email for _ in range(8)]
    # Two stops of the chunk (3 refusals each), then one more 451, then the server is back.
    sink = ScriptedSink(data_replies=["451 4.3.0 Try again later"] * 7)
    with servers.smtp_sink(sink) as (port, _):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        campaign = CampaignFactory()
        with django_capture_on_commit_callbacks(execute=True):
            campaign_send(campaign=campaign)
        campaign.refresh_from_db()
        # The first reader's own 451 was followed by acceptances: it waits for the sweep.
        assert campaign.status == "sending" and campaign.sent_count == 7
        assert campaign.transient_since is None  # the server accepts again
        with django_capture_on_commit_callbacks(execute=True):
            campaigns_tick(now=timezone.now() + dt.timedelta(minutes=3))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT and campaign.pause_reason == ""
    assert (campaign.sent_count, campaign.failed_count) == (8, 0)
    delivered = [message["To"] for _, message in sink.delivered]
    assert Counter(delivered) == Counter(readers)
    assert sorted(sink_recipients([m for _, m in sink.delivered], campaign.pk)) == sorted(readers)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
