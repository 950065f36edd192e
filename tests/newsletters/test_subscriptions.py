"""Sign-up, double opt-in, throttling, no enumeration, one-click unsubscribe, suppression."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import email_preferences_for
from accounts.services import email_preferences_update, email_suppress
from newsletters.models import Subscriber
from newsletters.services import campaign_send, subscription_request
from tests.factories import CampaignFactory, SubscriberFactory, UserFactory
from tests.newsletters.helpers import drain, recipients_of

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


def subscribe(client, email, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("newsletters:subscribe"), {"email": email}, **extra)


def confirmation_links(outbox) -> list[str]:
    return [
        re.search(r"http://testserver(/newsletter/confirm/[^\s]+/)", m.body).group(1)
        for m in outbox
        if "/newsletter/confirm/" in m.body
    ]


def send_campaign(django_capture_on_commit_callbacks, **fields):
    campaign = CampaignFactory(**fields)
    campaign_send(campaign=campaign)
    return drain(campaign)


def test_a_visitor_gets_one_confirmation_and_nothing_else_until_confirmed(
    client, django_capture_on_commit_callbacks
):
    response = subscribe(client, "Reader@Example.org ", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("newsletters:subscribe_done")
    assert len(mail.outbox) == 1
    confirmation = mail.outbox[0]
    assert confirmation.to == ["reader@example.org"]
    assert "List-Unsubscribe" not in confirmation.extra_headers  # not a campaign
    (link,) = confirmation_links(mail.outbox)
    subscriber = Subscriber.objects.get(email="reader@example.org")
    assert subscriber.newsletter_confirmed_at is None

    campaign = send_campaign(django_capture_on_commit_callbacks)
    assert recipients_of(mail.outbox, campaign) == []  # unconfirmed: nothing

    page = client.get(link)  # opening the link changes nothing (mail scanners)
    assert b"Confirm your subscription" in page.content
    subscriber.refresh_from_db()
    assert subscriber.newsletter_confirmed_at is None
    done = client.post(link)
    assert b"You&#x27;re subscribed" in done.content or b"You're subscribed" in done.content
    subscriber.refresh_from_db()
    assert subscriber.newsletter_confirmed_at is not None

    campaign = send_campaign(django_capture_on_commit_callbacks)
    assert recipients_of(mail.outbox, campaign) == ["reader@example.org"]


def test_repeated_sign_ups_send_at_most_one_confirmation_an_hour(
    client, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert (
                subscribe(
                    client, "again@example.org", django_capture_on_commit_callbacks
                ).status_code
                == 302
            )
    assert len(mail.outbox) == 1
    with time_machine.travel(start + dt.timedelta(minutes=59), tick=False):
        subscribe(client, "again@example.org", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        subscribe(client, "again@example.org", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert Subscriber.objects.filter(email="again@example.org").count() == 1


def test_the_answer_is_the_same_for_new_known_confirmed_and_member_addresses(
    client, django_capture_on_commit_callbacks
):
    SubscriberFactory(email="confirmed@example.org")
    SubscriberFactory(email="pending@example.org", newsletter_confirmed_at=None)
    member = UserFactory(email="member@example.org")
    answers = []
    for address in [
        "new@example.org",
        "confirmed@example.org",
        "pending@example.org",
        member.email,
    ]:
        response = subscribe(client, address, django_capture_on_commit_callbacks)
        followed = client.get(response["Location"])
        answers.append((response.status_code, response["Location"], followed.content))
    assert len(set(answers)) == 1
    # A confirmed address gets no second email; the others one each (the member's too:
    # anyone could type a member's address, so it is confirmed like any other).
    assert sorted(m.to[0] for m in mail.outbox) == [
        "member@example.org",
        "new@example.org",
        "pending@example.org",
    ]


def test_a_malformed_address_is_the_only_error(client):
    response = client.post(reverse("newsletters:subscribe"), {"email": "not an address"})
    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content


def test_a_member_typing_their_address_confirms_into_their_preferences(
    client, django_capture_on_commit_callbacks
):
    member = UserFactory()
    subscribe(client, member.email.upper(), django_capture_on_commit_callbacks)
    (link,) = confirmation_links(mail.outbox)
    assert email_preferences_for(user=member)["newsletter"] is False
    client.post(link)
    assert email_preferences_for(user=member)["newsletter"] is True
    row = Subscriber.objects.get(user=member)
    assert row.email is None and row.newsletter_confirmed_at is None  # one record: preferences


def test_a_member_who_ticks_the_box_needs_no_second_confirmation(
    django_capture_on_commit_callbacks,
):
    member = UserFactory()
    email_preferences_update(user=member, reminders=True, newsletter=True, offers=False)
    campaign = send_campaign(django_capture_on_commit_callbacks)
    assert recipients_of(mail.outbox, campaign) == [member.email]
    assert len(mail.outbox) == 1  # no confirmation email


def test_confirm_link_for_an_address_no_longer_the_subscribers_is_refused(
    client, django_capture_on_commit_callbacks
):
    member = UserFactory(email="old@example.org")
    subscribe(client, "old@example.org", django_capture_on_commit_callbacks)
    (link,) = confirmation_links(mail.outbox)
    member.email = "new@example.org"
    member.save()
    assert client.post(link).status_code == 400
    assert email_preferences_for(user=member)["newsletter"] is False


def test_one_click_unsubscribe_stops_the_next_campaign_for_visitors_and_members(
    client, django_capture_on_commit_callbacks
):
    visitor = SubscriberFactory()
    member = UserFactory()
    email_preferences_update(user=member, reminders=True, newsletter=True, offers=False)
    first = send_campaign(django_capture_on_commit_callbacks)
    assert sorted(recipients_of(mail.outbox, first)) == sorted([visitor.email, member.email])

    for message in mail.outbox:
        header = message.extra_headers["List-Unsubscribe"]
        url = re.search(r"<(http[^>]+)>", header).group(1).removeprefix("http://testserver")
        assert message.extra_headers["List-Unsubscribe-Post"] == ONE_CLICK
        response = client.post(url, ONE_CLICK, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        assert b"unsubscribed" in response.content
    visitor.refresh_from_db()
    assert visitor.newsletter_confirmed_at is None
    assert email_preferences_for(user=member)["newsletter"] is False

    second = send_campaign(django_capture_on_commit_callbacks)
    assert recipients_of(mail.outbox, second) == []
    assert second.skipped_count == 0 and second.recipients == 0


def test_visitor_links_in_the_footer_manage_and_leave(client, django_capture_on_commit_callbacks):
    visitor = SubscriberFactory()
    campaign = send_campaign(django_capture_on_commit_callbacks)
    (message,) = [m for m in mail.outbox if m.to == [visitor.email]]
    html = message.alternatives[0][0]
    manage = re.search(r'href="http://testserver(/newsletter/manage/[^"]+)"', html).group(1)
    page = client.get(manage)
    assert page.status_code == 200
    assert visitor.email.encode() not in page.content  # masked
    client.post(manage, {"newsletter": "on", "offers": "on"})
    visitor.refresh_from_db()
    assert visitor.offers_confirmed_at is not None
    client.post(manage, {"action": "leave"})
    visitor.refresh_from_db()
    assert visitor.newsletter_confirmed_at is None and visitor.offers_confirmed_at is None
    assert campaign.status == "sent"


def test_a_tampered_link_is_a_friendly_400(client):
    visitor = SubscriberFactory()
    from newsletters.links import unsubscribe_token_make

    token = unsubscribe_token_make(subscriber=visitor, category="newsletter")
    bad = reverse("newsletters:unsubscribe", args=[token[:-2] + "xx"])
    assert (
        client.post(bad, ONE_CLICK, content_type="application/x-www-form-urlencoded").status_code
        == 400
    )
    visitor.refresh_from_db()
    assert visitor.newsletter_confirmed_at is not None


def test_suppressed_and_member_owned_addresses_are_skipped(django_capture_on_commit_callbacks):
    ok = SubscriberFactory()
    bounced = SubscriberFactory()
    email_suppress(address=bounced.email.upper(), reason="hard_bounce")
    member = UserFactory()
    SubscriberFactory(email=member.email)  # a visitor row at an address now a member's
    campaign = send_campaign(django_capture_on_commit_callbacks)
    assert recipients_of(mail.outbox, campaign) == [ok.email]
    assert campaign.sent_count == 1
    assert campaign.skipped_count == 2
    assert campaign.recipients == 3


def test_no_confirmation_to_a_suppressed_address(client, django_capture_on_commit_callbacks):
    email_suppress(address="gone@example.org", reason="complaint")
    subscribe(client, "gone@example.org", django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_sign_up_whose_task_was_never_queued_is_sent_by_the_sweep(
    django_capture_on_commit_callbacks, monkeypatch
):
    from newsletters.services import campaigns_tick, subscriptions

    monkeypatch.setattr(subscriptions, "_confirmation_enqueue", lambda pk: None)  # broker down
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(email="later@example.org")
    assert mail.outbox == []
    monkeypatch.undo()
    campaigns_tick(now=timezone.now() + dt.timedelta(minutes=2))
    assert [m.to for m in mail.outbox] == [["later@example.org"]]


def test_signup_form_offers_an_unticked_newsletter_box(client):
    page = client.get(reverse("account_signup"))
    html = page.content.decode()
    box = re.search(r'<input[^>]*name="newsletter"[^>]*>', html).group(0)
    assert 'type="checkbox"' in box and "checked" not in box
