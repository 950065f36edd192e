"""accounts.emails: who may receive what, the member-level send, and provider events."""

from __future__ import annotations

import smtplib

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from accounts.emails import (
    Category,
    email_allowed_user_ids,
    email_recipient_allowed,
    email_send,
)
from accounts.models import EmailPreference, EmailSuppression
from accounts.services import (
    email_preferences_update,
    email_resubscribe,
    email_suppress,
    email_unsubscribe,
)
from tests.factories import UserFactory
from wellness.emails import EmailOutcome, TransientEmailError, email_message_build

NOTICE = {"headline": "New routines", "paragraphs": ["Two new series.", "Hands & <feet>."]}


class ExplodingBackend(LocmemBackend):
    """Raises the exception stored on the message, else delivers like locmem."""

    def send_messages(self, messages):
        for message in messages:
            error = getattr(message, "raise_this", None)
            if error is not None:
                raise error
        return super().send_messages(messages)


# --- Who may receive what -------------------------------------------------------------


@pytest.mark.django_db
def test_defaults_allow_reminders_but_not_newsletter_nor_offers(user):
    # Consent first: newsletter and offers only for members who opted in.
    assert not EmailPreference.objects.filter(user=user).exists()
    assert email_recipient_allowed(user=user, category=Category.REMINDERS)
    assert not email_recipient_allowed(user=user, category=Category.NEWSLETTER)
    assert not email_recipient_allowed(user=user, category=Category.OFFERS)
    assert email_recipient_allowed(user=user, category=None)


@pytest.mark.django_db
def test_opted_out_member_gets_nothing_of_that_category_only(user):
    email_resubscribe(user=user, category="newsletter")
    email_unsubscribe(user=user, category="reminders")
    assert not email_recipient_allowed(user=user, category="reminders")
    assert email_recipient_allowed(user=user, category="newsletter")
    outcome = email_send(user=user, template="notice", context=NOTICE, category="reminders")
    assert outcome == EmailOutcome("skipped", "recipient not allowed")
    assert mail.outbox == []


@pytest.mark.django_db
def test_opting_in_to_offers_allows_them(user):
    email_preferences_update(user=user, reminders=False, newsletter=False, offers=True)
    assert email_recipient_allowed(user=user, category="offers")
    assert not email_recipient_allowed(user=user, category="newsletter")


@pytest.mark.django_db
def test_unverified_member_gets_nothing_not_even_transactional():
    member = UserFactory(verified=False)
    EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
    for category in [None, *Category.values]:
        assert not email_recipient_allowed(user=member, category=category)
    assert email_send(user=member, template="notice", context=NOTICE, category=None).status == (
        "skipped"
    )
    assert mail.outbox == []


@pytest.mark.django_db
def test_verified_address_must_be_the_primary_account_address():
    member = UserFactory(verified=False)
    EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
    EmailAddress.objects.create(user=member, email="old@example.com", verified=True, primary=False)
    assert not email_recipient_allowed(user=member, category="reminders")


@pytest.mark.django_db
def test_inactive_member_gets_nothing(user):
    user.is_active = False
    user.save()
    assert not email_recipient_allowed(user=user, category=None)
    assert email_send(
        user=user, template="notice", context=NOTICE, category="newsletter"
    ).status == ("skipped")
    assert mail.outbox == []


@pytest.mark.django_db
def test_suppressed_address_gets_nothing_whatever_its_case(user):
    email_suppress(address=user.email.upper(), reason=EmailSuppression.Reason.COMPLAINT)
    assert not email_recipient_allowed(user=user, category=None)
    assert not email_recipient_allowed(user=user, category="reminders")
    assert email_send(user=user, template="notice", context=NOTICE, category=None).status == (
        "skipped"
    )
    assert mail.outbox == []


@pytest.mark.django_db
def test_unknown_category_is_a_programming_error(user):
    with pytest.raises(ValueError, match="Unknown email category"):
        email_recipient_allowed(user=user, category="spam")


@pytest.mark.django_db
def test_bulk_filter_agrees_with_the_single_check():
    members = {
        "plain": UserFactory(),
        "unverified": UserFactory(verified=False),
        "inactive": UserFactory(is_active=False),
        "suppressed": UserFactory(),
        "opted_out": UserFactory(),
        "offers_on": UserFactory(),
        "never_chose": UserFactory(),
    }
    for key in ("plain", "unverified", "inactive", "suppressed", "opted_out"):
        email_resubscribe(user=members[key], category="newsletter")
    email_suppress(address=members["suppressed"].email.title())
    email_unsubscribe(user=members["opted_out"], category="newsletter")
    email_preferences_update(
        user=members["offers_on"], reminders=True, newsletter=True, offers=True
    )
    ids = [m.pk for m in members.values()]
    for category in [None, *Category.values]:
        expected = {
            m.pk for m in members.values() if email_recipient_allowed(user=m, category=category)
        }
        assert email_allowed_user_ids(user_ids=ids, category=category) == expected
    assert email_allowed_user_ids(user_ids=ids, category="newsletter") == {
        members["plain"].pk,
        members["offers_on"].pk,
    }
    assert email_allowed_user_ids(user_ids=ids, category="offers") == {members["offers_on"].pk}


# --- Sending one message to a member ---------------------------------------------------


@pytest.mark.django_db
def test_email_send_delivers_one_message(user):
    email_resubscribe(user=user, category="newsletter")
    outcome = email_send(user=user, template="notice", context=NOTICE, category="newsletter")
    assert outcome.sent
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


@pytest.mark.django_db
def test_email_send_raises_transient_errors_for_the_task_to_retry(user, settings, monkeypatch):
    import accounts.emails

    settings.EMAIL_BACKEND = f"{__name__}.ExplodingBackend"

    def build_failing(**kwargs):
        message = email_message_build(**kwargs)
        message.raise_this = smtplib.SMTPDataError(451, b"4.3.0 try later")
        return message

    monkeypatch.setattr(accounts.emails, "email_message_build", build_failing)
    email_resubscribe(user=user, category="newsletter")
    with pytest.raises(TransientEmailError, match="451"):
        email_send(user=user, template="notice", context=NOTICE, category="newsletter")
    assert mail.outbox == []


# --- Provider webhooks (django-anymail tracking) -----------------------------------------


def _postmark_post(payload: dict, auth: str | None = "hook:s3cret"):
    import base64
    import json

    from anymail.webhooks.postmark import PostmarkTrackingWebhookView
    from django.test import RequestFactory

    headers = {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    request = RequestFactory().post(
        "/anymail/postmark/tracking/",
        json.dumps(payload),
        content_type="application/json",
        **headers,
    )
    return PostmarkTrackingWebhookView.as_view()(request)


def _bounce(email: str, kind: str = "HardBounce", **extra) -> dict:
    return {
        "RecordType": "Bounce",
        "Type": kind,
        "TypeCode": 1,
        "Email": email,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account does not exist.",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "BouncedAt": "2026-11-24T10:00:00Z",
        "Tag": "reminders",
        **extra,
    }


@pytest.mark.django_db
def test_provider_hard_bounce_webhook_suppresses_the_address(user, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    response = _postmark_post(_bounce(user.email.upper()))
    assert response.status_code == 200
    row = EmailSuppression.objects.get()
    assert row.address == user.email
    assert row.reason == EmailSuppression.Reason.HARD_BOUNCE
    assert "Postmark" in row.detail
    assert not email_recipient_allowed(user=user, category="reminders")


@pytest.mark.django_db
def test_provider_soft_bounce_does_not_suppress(user, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    assert _postmark_post(_bounce(user.email, kind="SoftBounce")).status_code == 200
    assert not EmailSuppression.objects.exists()


@pytest.mark.django_db
def test_provider_spam_complaint_suppresses_as_complaint(user, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    payload = _bounce(user.email, kind="SpamComplaint", RecordType="SpamComplaint")
    assert _postmark_post(payload).status_code == 200
    assert EmailSuppression.objects.get().reason == EmailSuppression.Reason.COMPLAINT


@pytest.mark.django_db
def test_provider_webhook_without_the_secret_is_refused(user, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    from django.core.exceptions import SuspiciousOperation

    with pytest.raises(SuspiciousOperation):
        _postmark_post(_bounce(user.email), auth="hook:wrong")
    assert not EmailSuppression.objects.exists()


@pytest.mark.django_db
def test_provider_unsubscribe_event_unsubscribes_the_tagged_category(user):
    from accounts.emails import email_provider_event_record

    done = email_provider_event_record(
        event_type="unsubscribed", recipient=user.email.upper(), tags=["newsletter"]
    )
    assert done == "unsubscribed"
    assert not email_recipient_allowed(user=user, category="newsletter")
    assert email_recipient_allowed(user=user, category="reminders")
    assert email_provider_event_record(event_type="opened", recipient=user.email) == "ignored"
    assert email_provider_event_record(event_type="bounced", recipient="") == "ignored"
