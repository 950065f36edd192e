"""Redeeming (once per member, within the window and the limit, with reasons in words),
editing, ending, and the member's data download."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.selectors import member_data_export
from offers.models import Offer, Redemption
from offers.services import (
    OfferStateError,
    OfferUnavailable,
    offer_create,
    offer_end,
    offer_redeem,
    offer_update,
)
from tests.factories import OfferFactory, UserFactory
from tests.offers.helpers import opt_in_to_offers, practise
from tests.offers.images import png_bytes

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def test_the_first_redemption_is_created_and_the_second_answers_the_same_code():
    offer = OfferFactory(code="CALM20", max_redemptions=5)
    user = UserFactory()
    first = offer_redeem(offer_id=offer.pk, user=user)
    again = offer_redeem(offer_id=offer.pk, user=user)
    assert (first.created, first.code) == (True, "CALM20")
    assert (again.created, again.code) == (False, "CALM20")
    assert again.redemption.pk == first.redemption.pk
    offer.refresh_from_db()
    assert offer.redemption_count == 1


def test_redeeming_outside_the_window_says_when(settings):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    offer = OfferFactory(starts_at=start, ends_at=start + dt.timedelta(days=1))
    user = UserFactory(timezone="Europe/Paris")
    with pytest.raises(OfferUnavailable) as early:
        offer_redeem(offer_id=offer.pk, user=user, now=start - dt.timedelta(microseconds=1))
    assert early.value.reason == "not_started"
    # In the member's zone: 10:00 in Paris.
    assert str(early.value) == "This offer starts on 1 December 2026, 10:00. Come back then."
    with pytest.raises(OfferUnavailable) as late:
        offer_redeem(offer_id=offer.pk, user=user, now=offer.ends_at)
    assert late.value.reason == "ended"
    assert str(late.value) == "This offer ended on 2 December 2026, 10:00."
    assert offer_redeem(offer_id=offer.pk, user=user, now=start).created  # start inclusive
    assert not Redemption.objects.exclude(user=user).exists()


def test_redeeming_beyond_the_limit_says_it_has_run_out():
    offer = OfferFactory(max_redemptions=2)
    for _ in range(2):
        offer_redeem(offer_id=offer.pk, user=UserFactory())
    with pytest.raises(OfferUnavailable) as caught:
        offer_redeem(offer_id=offer.pk, user=UserFactory())
    assert caught.value.reason == "sold_out"
    assert str(caught.value) == (
        "Sorry, this offer has run out: all 2 redemptions have been claimed."
    )
    assert Redemption.objects.filter(offer=offer).count() == 2


def test_a_member_outside_the_audience_is_told_how_to_qualify():
    subscribers = OfferFactory(audience="subscribers")
    streak = OfferFactory(audience="streak", min_streak_days=5)
    user = UserFactory()
    with pytest.raises(OfferUnavailable) as caught:
        offer_redeem(offer_id=subscribers.pk, user=user)
    assert caught.value.reason == "not_eligible"
    assert "Turn on “Offers” in your email preferences" in str(caught.value)
    with pytest.raises(OfferUnavailable) as caught:
        offer_redeem(offer_id=streak.pk, user=user)
    assert str(caught.value) == (
        "This offer unlocks at a 5-day practice streak; your current streak is 0 days."
    )
    opt_in_to_offers(user)
    assert offer_redeem(offer_id=subscribers.pk, user=user).created
    assert not Redemption.objects.filter(offer=streak).exists()


@time_machine.travel(dt.datetime(2026, 12, 9, 18, 0, tzinfo=UTC), tick=False)
def test_a_streak_offer_is_redeemed_once_the_streak_reaches_it():
    offer = OfferFactory(audience="streak", min_streak_days=3)
    user = UserFactory()
    practise(user, days=3, last=dt.date(2026, 12, 9))
    assert offer_redeem(offer_id=offer.pk, user=user).created


def test_an_unknown_offer_is_not_found():
    with pytest.raises(Offer.DoesNotExist):
        offer_redeem(offer_id=999_999, user=UserFactory())


def test_a_member_keeps_their_code_after_the_offer_closes():
    offer = OfferFactory(code="KEEP")
    user = UserFactory()
    offer_redeem(offer_id=offer.pk, user=user)
    result = offer_redeem(offer_id=offer.pk, user=user, now=offer.ends_at + dt.timedelta(days=1))
    assert (result.created, result.code) == (False, "KEEP")


def test_the_data_download_lists_the_members_redemptions():
    offer = OfferFactory(title="Ball", code="B1")
    user = UserFactory()
    offer_redeem(offer_id=offer.pk, user=user)
    (row,) = member_data_export(user=user)["offer_redemptions"]
    assert (row["offer"], row["code"]) == ("Ball", "B1")


# --- Editing -------------------------------------------------------------------------------


def _fields(**overrides: object) -> dict:
    start = timezone.now()
    return {
        "title": "  Spring ball  ",
        "description": "A ball.",
        "code": " SPRING ",
        "starts_at": start,
        "ends_at": start + dt.timedelta(days=3),
        "audience": "members",
        "min_streak_days": None,
        "max_redemptions": None,
        **overrides,
    }


def test_create_tidies_text_and_refuses_what_breaks_a_rule():
    offer = offer_create(created_by=UserFactory(), **_fields())
    assert (offer.title, offer.code) == ("Spring ball", "SPRING")
    with pytest.raises(ValidationError) as caught:
        offer_create(**_fields(audience="streak"))
    assert "min_streak_days" in caught.value.message_dict
    with pytest.raises(TypeError):
        offer_create(**_fields(redemption_count=5))


def test_update_changes_only_what_is_given_and_keeps_the_limit_above_the_count():
    offer = OfferFactory(max_redemptions=5, title="Old")
    Offer.objects.filter(pk=offer.pk).update(redemption_count=3)
    offer = offer_update(offer=offer, title="New")
    assert (offer.title, offer.max_redemptions, offer.redemption_count) == ("New", 5, 3)
    with pytest.raises(ValidationError) as caught:
        offer_update(offer=offer, max_redemptions=2)
    assert caught.value.message_dict["max_redemptions"] == [
        "3 members already redeemed this offer: the limit cannot be lower than that."
    ]


def test_a_replaced_image_leaves_storage_after_the_commit(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    offer = offer_create(
        **_fields(image=SimpleUploadedFile("winter.png", png_bytes(), content_type="image/png"))
    )
    old = offer.image.name
    # Stored under a random name (hex digits), never the uploaded one.
    assert old.startswith("offers/") and old.endswith(".png") and "winter" not in old
    assert default_storage.exists(old)
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_update(
            offer=offer,
            image=SimpleUploadedFile("b.png", png_bytes(), content_type="image/png"),
        )
    assert default_storage.exists(offer.image.name)
    assert not default_storage.exists(old)


def test_ending_closes_a_live_offer_now_and_refuses_the_others():
    now = timezone.now()
    live = OfferFactory()
    offer_end(offer=live, now=now)
    live.refresh_from_db()
    assert live.ends_at == now and live.status_at(now) == "ended"
    with pytest.raises(OfferStateError, match="already ended"):
        offer_end(offer=live, now=now)
    scheduled = OfferFactory(starts_at=now + dt.timedelta(days=1))
    with pytest.raises(OfferStateError, match="has not started yet"):
        offer_end(offer=scheduled, now=now)
