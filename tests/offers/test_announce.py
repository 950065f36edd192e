"""Announcing an offer: a campaign of the offers category through the newsletters
services, which goes only to confirmed offers subscribers and members who opted in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import EmailPreference
from newsletters.models import Campaign
from newsletters.services import campaign_cancel
from offers.services import OfferStateError, offer_announce
from tests.factories import OfferFactory, SubscriberFactory, UserFactory
from tests.newsletters.helpers import drain, recipients_of
from tests.offers.helpers import opt_in_to_offers

pytestmark = pytest.mark.django_db


def test_the_announcement_is_an_offers_campaign_without_the_code():
    offer = OfferFactory(
        title="Foam *roller*",
        description="Roll your calves.",
        code="SECRET",
        audience="streak",
        min_streak_days=3,
        max_redemptions=25,
    )
    campaign = offer_announce(offer=offer)
    assert (campaign.category, campaign.status) == ("offers", "draft")
    assert campaign.subject == "Kneadful offer: Foam *roller*"
    assert r"Foam \*roller\*" in campaign.body  # the title is text, not Markdown
    assert "Roll your calves." in campaign.body
    assert "practice streak of 3 days or more" in campaign.body
    assert "Limited to 25 redemptions." in campaign.body
    assert "http://testserver/offers/" in campaign.body
    assert "SECRET" not in campaign.body
    offer.refresh_from_db()
    assert offer.announcement == campaign


def test_it_goes_only_to_confirmed_offers_subscribers_and_opted_in_members(
    django_capture_on_commit_callbacks,
):
    offers_reader = SubscriberFactory(
        email="offers@example.org", newsletter_confirmed_at=None, offers_confirmed_at=timezone.now()
    )
    SubscriberFactory(email="letters-only@example.org")  # the newsletter, not offers
    SubscriberFactory(email="pending@example.org", newsletter_confirmed_at=None)
    opted_in = UserFactory(email="member-in@example.com")
    opt_in_to_offers(opted_in)
    UserFactory(email="member-default@example.com")  # offers emails are off by default
    newsletter_only = UserFactory(email="member-letters@example.com")
    EmailPreference.objects.create(user=newsletter_only, newsletter=True, offers=False)

    offer = OfferFactory()
    with django_capture_on_commit_callbacks(execute=True):
        campaign = offer_announce(offer=offer, send=True)
    campaign = drain(campaign)
    assert campaign.status == "sent"
    assert sorted(recipients_of(mail.outbox, campaign)) == [
        "member-in@example.com",
        offers_reader.email,
    ]
    letter = next(m for m in mail.outbox if m.to == ["member-in@example.com"])
    assert offer.code not in letter.body
    assert "List-Unsubscribe" in letter.extra_headers


def test_one_announcement_per_offer_unless_it_was_cancelled():
    offer = OfferFactory()
    first = offer_announce(offer=offer)
    with pytest.raises(OfferStateError, match="already has an announcement"):
        offer_announce(offer=offer)
    campaign_cancel(campaign=first)
    second = offer_announce(offer=offer)
    assert second.pk != first.pk
    assert Campaign.objects.filter(category="offers").count() == 2


def test_an_ended_offer_is_not_announced():
    offer = OfferFactory(
        starts_at=timezone.now() - dt.timedelta(days=3),
        ends_at=timezone.now() - dt.timedelta(days=1),
    )
    with pytest.raises(OfferStateError, match="has ended"):
        offer_announce(offer=offer)
    assert not Campaign.objects.exists()


def test_the_staff_page_announces_as_a_draft_or_sends_at_once(
    editor_client, django_capture_on_commit_callbacks
):
    opt_in_to_offers(UserFactory(email="member-in@example.com"))
    draft_offer, sent_offer = OfferFactory(), OfferFactory()
    response = editor_client.post(f"/staff/offers/{draft_offer.pk}/announce/")
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/staff/campaigns/{campaign.pk}/"
    assert campaign.status == "draft" and campaign.created_by == editor_client.editor
    page = editor_client.get(f"/staff/offers/{draft_offer.pk}/").content.decode()
    assert "The announcement campaign is Draft." in page

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(f"/staff/offers/{sent_offer.pk}/announce/", {"send_now": "on"})
    sent_offer.refresh_from_db()
    assert drain(sent_offer.announcement).status == "sent"
    assert recipients_of(mail.outbox, sent_offer.announcement) == ["member-in@example.com"]
