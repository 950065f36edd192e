"""wellness.emails: how messages are built, and how sends are classified.

Who may receive what (accounts.emails) is tested in tests/accounts/test_emails.py.
"""

from __future__ import annotations

import re
import smtplib
from email import message_from_bytes

import pytest
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client

from accounts.emails import email_recipient_allowed
from accounts.models import EmailSuppression
from tests.factories import UserFactory
from wellness.emails import (
    EmailOutcome,
    email_message_build,
    email_send_batch,
)

NOTICE = {"headline": "New routines", "paragraphs": ["Two new series.", "Hands & <feet>."]}


def build(user, category="newsletter", **context):
    return email_message_build(
        user=user, template="notice", context={**NOTICE, **context}, category=category
    )


# --- Building -------------------------------------------------------------------------


@pytest.mark.django_db
def test_non_transactional_message_has_both_alternatives_and_unsubscribe_headers(user, settings):
    settings.SITE_URL = "https://kneadful.example"
    message = build(user, category="reminders")
    assert message.to == [user.email]
    assert message.subject == "[Kneadful] New routines"
    assert "Two new series." in message.body
    assert "Hands & <feet>." in message.body  # plain text is not HTML-escaped
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    assert "Hands &amp; &lt;feet&gt;." in html  # HTML is
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<https://kneadful\.example/email/unsubscribe/[^/>]+/>", unsubscribe)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe[1:-1]
    assert link in message.body
    assert link in html
    assert "https://kneadful.example/email/preferences/" in message.body
    # The headers survive serialisation, on one line each.
    raw = message_from_bytes(message.message().as_bytes())
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert raw["List-Unsubscribe"].replace("\n", "").replace(" ", "") == unsubscribe
    assert raw.is_multipart()
    assert [part.get_content_type() for part in raw.get_payload()] == ["text/plain", "text/html"]


@pytest.mark.django_db
def test_transactional_message_has_no_unsubscribe_headers_nor_footer_links(user):
    message = build(user, category=None)
    assert "List-Unsubscribe" not in message.extra_headers
    assert "List-Unsubscribe-Post" not in message.extra_headers
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "/email/unsubscribe/" not in message.body
    assert "/email/unsubscribe/" not in message.alternatives[0][0]
    assert "about your Kneadful account" in message.body


@pytest.mark.django_db
def test_plain_http_site_url_gives_http_links(user, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    message = build(user)
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/email/unsubscribe/"
    )


@pytest.mark.django_db
def test_optional_mailto_unsubscribe_target(user, settings):
    settings.EMAIL_UNSUBSCRIBE_MAILTO = "unsubscribe@kneadful.example"
    header = build(user, category="offers").extra_headers["List-Unsubscribe"]
    https, mailto = header.split(", ")
    assert https.startswith("<http://testserver/email/unsubscribe/")
    assert mailto.startswith("<mailto:unsubscribe@kneadful.example?subject=unsubscribe%20")
    from urllib.parse import unquote

    from accounts.emails import unsubscribe_token_read

    token = unquote(mailto.removesuffix(">").split("%20", 1)[1])
    assert unsubscribe_token_read(token) == (user, "offers")


@pytest.mark.django_db
def test_multiline_subject_becomes_one_header_line(user):
    message = build(user, headline="Line one\nline two")
    assert message.subject == "[Kneadful] Line one line two"


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.mark.django_db
def test_footer_links_open_working_pages_without_login(user):
    from accounts.services import email_resubscribe

    email_resubscribe(user=user, category="newsletter")
    message = build(user, category="newsletter")
    links = re.findall(r"http://testserver/email/[^\s\"<>]+", message.body)
    unsubscribe = next(link for link in links if "/unsubscribe/" in link)
    preferences = next(link for link in links if "/preferences/" in link)
    anonymous = Client()
    page = anonymous.get(_path(unsubscribe))
    assert page.status_code == 200
    assert b"Unsubscribe from the newsletter?" in page.content
    page = anonymous.get(_path(preferences))
    assert page.status_code == 200
    assert b"Save email preferences" in page.content
    # Following the links changed nothing.
    assert email_recipient_allowed(user=user, category="newsletter")


# --- Sending through locmem and anymail ------------------------------------------------


@pytest.mark.django_db
def test_batch_returns_one_outcome_per_message_in_order(user, other_user):
    messages = [(user, build(user)), (other_user, build(other_user)), (user, build(user))]
    outcomes = email_send_batch(messages)
    assert [o.status for o in outcomes] == ["sent", "sent", "sent"]
    assert [m.to[0] for m in mail.outbox] == [user.email, other_user.email, user.email]
    assert email_send_batch([]) == []


class CountingBackend(LocmemBackend):
    opened = 0
    closed = 0

    def open(self):
        CountingBackend.opened += 1
        return True

    def close(self):
        CountingBackend.closed += 1


@pytest.mark.django_db
def test_batch_opens_the_backend_once_and_closes_it(user, settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = CountingBackend.closed = 0
    email_send_batch([(user, build(user)) for _ in range(5)])
    assert (CountingBackend.opened, CountingBackend.closed) == (1, 1)
    assert len(mail.outbox) == 5


@pytest.mark.django_db
def test_batch_leaves_a_caller_owned_connection_open(user):
    connection = CountingBackend()
    CountingBackend.opened = CountingBackend.closed = 0
    email_send_batch([(user, build(user))], connection=connection)
    assert CountingBackend.closed == 0


class ExplodingBackend(LocmemBackend):
    """Raises the exception stored on the message, else delivers like locmem."""

    def send_messages(self, messages):
        for message in messages:
            error = getattr(message, "raise_this", None)
            if error is not None:
                raise error
        return super().send_messages(messages)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status", "suppressed"),
    [
        (smtplib.SMTPRecipientsRefused({"X": (550, b"5.1.1 no such user")}), "permanent", True),
        (smtplib.SMTPRecipientsRefused({"X": (452, b"4.2.2 mailbox full")}), "transient", False),
        (smtplib.SMTPDataError(554, b"5.7.1 rejected"), "permanent", True),
        (smtplib.SMTPDataError(451, b"4.3.0 try later"), "transient", False),
        (smtplib.SMTPSenderRefused(553, b"bad sender", "hello@kneadful.local"), "transient", False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), "transient", False),
        (smtplib.SMTPServerDisconnected("gone"), "transient", False),
        (TimeoutError("timed out"), "transient", False),
        (ConnectionResetError("reset"), "transient", False),
        (RuntimeError("a bug in a third-party backend"), "transient", False),
    ],
)
def test_exceptions_are_classified(user, settings, error, status, suppressed):
    settings.EMAIL_BACKEND = f"{__name__}.ExplodingBackend"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        error.recipients = {user.email: error.recipients["X"]}
    message = build(user)
    message.raise_this = error
    (outcome,) = email_send_batch([(user, message)])
    assert outcome.status == status
    assert outcome.reason
    assert EmailSuppression.objects.filter(address=user.email).exists() is suppressed
    if suppressed:
        assert EmailSuppression.objects.get().reason == EmailSuppression.Reason.HARD_BOUNCE
        assert not email_recipient_allowed(user=user, category=None)


@pytest.mark.django_db
def test_a_permanent_failure_skips_later_messages_to_the_same_address(user, other_user, settings):
    settings.EMAIL_BACKEND = f"{__name__}.ExplodingBackend"
    bounced = build(user)
    bounced.raise_this = smtplib.SMTPRecipientsRefused({user.email: (550, b"no such user")})
    outcomes = email_send_batch(
        [(user, bounced), (other_user, build(other_user)), (user, build(user))]
    )
    assert [o.status for o in outcomes] == ["permanent", "sent", "skipped"]
    assert [m.to for m in mail.outbox] == [[other_user.email]]


@pytest.mark.django_db
def test_anymail_backend_sends_batch_with_headers_tags_and_metadata(user, other_user, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    outcomes = email_send_batch([(user, build(user, "offers")), (other_user, build(other_user))])
    assert [o.status for o in outcomes] == ["sent", "sent"]
    first = mail.outbox[0]
    params = first.anymail_test_params
    assert params["extra_headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert params["extra_headers"]["List-Unsubscribe"].startswith(
        "<http://testserver/email/unsubscribe/"
    )
    assert params["tags"] == ["offers"]
    assert params["metadata"] == {"user_id": str(user.pk), "template": "notice"}
    assert params["html_body"].startswith("<!doctype html>")
    assert first.anymail_status.status == {"sent"}


@pytest.mark.django_db
def test_anymail_rejected_recipient_is_permanent_and_suppressed(user, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    message = build(user)
    message.anymail_test_response = {
        "recipient_status": {user.email: AnymailRecipientStatus(message_id=None, status="rejected")}
    }
    (outcome,) = email_send_batch([(user, message)])
    assert outcome.status == "permanent"
    assert EmailSuppression.objects.filter(address=user.email).exists()


@pytest.mark.django_db
def test_anymail_rejection_is_seen_even_when_anymail_ignores_recipient_status(user, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {"IGNORE_RECIPIENT_STATUS": True}
    message = build(user)
    message.anymail_test_response = {
        "recipient_status": {user.email: AnymailRecipientStatus(message_id=None, status="invalid")}
    }
    (outcome,) = email_send_batch([(user, message)])
    assert outcome == EmailOutcome("permanent", "provider status: invalid")


@pytest.mark.django_db
def test_anymail_api_error_is_transient(user, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    message = build(user)
    message.anymail_test_response = AnymailAPIError("provider down")
    (outcome,) = email_send_batch([(user, message)])
    assert outcome.status == "transient"
    assert not EmailSuppression.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.console.EmailBackend",
    ],
)
def test_batch_works_with_file_and_console_backends(user, settings, tmp_path, backend, capsys):
    settings.EMAIL_BACKEND = backend
    settings.EMAIL_FILE_PATH = str(tmp_path)
    outcomes = email_send_batch([(user, build(user)), (user, build(user))])
    assert [o.status for o in outcomes] == ["sent", "sent"]
    written = "".join(p.read_text() for p in tmp_path.iterdir()) or capsys.readouterr().out
    assert written.count("List-Unsubscribe-Post: List-Unsubscribe=One-Click") == 2


def test_message_type_is_django_email_multi_alternatives(db, user):
    assert isinstance(build(user), EmailMultiAlternatives)


# --- Plugging a provider through the environment ----------------------------------------


def _settings_from_env(**env: str) -> dict:
    import json
    import subprocess
    import sys

    from tests.servers import ROOT, service_env

    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'backend': s.EMAIL_BACKEND, 'anymail': s.ANYMAIL, "
        "'mailto': s.EMAIL_UNSUBSCRIBE_MAILTO}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=service_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_provider_plugs_in_through_environment_variables_only(tmp_path):
    loaded = _settings_from_env(
        KNEADFUL_VAR_DIR=str(tmp_path),
        EMAIL_BACKEND_OVERRIDE="anymail.backends.postmark.EmailBackend",
        ANYMAIL_POSTMARK_SERVER_TOKEN="server-token",
        ANYMAIL_IGNORE_RECIPIENT_STATUS="false",
        ANYMAIL_SEND_DEFAULTS='{"track_clicks": false}',
        EMAIL_UNSUBSCRIBE_MAILTO="unsubscribe@kneadful.example",
    )
    assert loaded == {
        "backend": "anymail.backends.postmark.EmailBackend",
        "anymail": {
            "POSTMARK_SERVER_TOKEN": "server-token",
            "IGNORE_RECIPIENT_STATUS": False,
            "SEND_DEFAULTS": {"track_clicks": False},
        },
        "mailto": "unsubscribe@kneadful.example",
    }


@pytest.mark.django_db
def test_a_real_anymail_provider_backend_builds_its_api_payload(user, settings, monkeypatch):
    """Postmark's backend, with its HTTP call intercepted: headers reach the provider."""
    from anymail.backends.postmark import EmailBackend as PostmarkBackend

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token"}
    sent_payloads = []

    class FakeResponse:
        status_code = 200
        text = ""

        def json(self):
            return [{"ErrorCode": 0, "MessageID": "abc", "To": user.email, "Message": "OK"}]

    def fake_post_to_esp(self, payload, message):
        sent_payloads.append(payload.serialize_data())
        return FakeResponse()

    monkeypatch.setattr(PostmarkBackend, "post_to_esp", fake_post_to_esp)
    (outcome,) = email_send_batch([(user, build(user, "reminders"))])
    assert outcome.status == "sent"
    (payload,) = sent_payloads
    assert '"List-Unsubscribe-Post"' in payload
    assert "List-Unsubscribe=One-Click" in payload
    assert "/email/unsubscribe/" in payload


@pytest.mark.django_db
def test_an_unexpected_error_mid_batch_keeps_the_outcomes_of_the_others(settings):
    settings.EMAIL_BACKEND = f"{__name__}.ExplodingBackend"
    members = UserFactory.create_batch(3)
    messages = [(m, build(m)) for m in members]
    messages[1][1].raise_this = KeyError("surprise")
    outcomes = email_send_batch(messages)
    assert [o.status for o in outcomes] == ["sent", "transient", "sent"]
    assert [m.to[0] for m in mail.outbox] == [members[0].email, members[2].email]


def test_provider_webhook_urls_exist_only_once_secured(tmp_path):
    import subprocess
    import sys

    from tests.servers import ROOT, service_env

    code = (
        "import django; django.setup(); from django.urls import reverse, NoReverseMatch\n"
        "try: print(reverse('anymail:postmark_tracking_webhook'))\n"
        "except NoReverseMatch: print('absent')"
    )

    def run(**env):
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=service_env(KNEADFUL_VAR_DIR=str(tmp_path), **env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    assert run() == "absent"
    assert run(ANYMAIL_WEBHOOK_SECRET="hook:s3cret") == "/anymail/postmark/tracking/"
