"""The database states the rules; ``clean()`` says them in words on the field to fix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from offers.models import Offer, Redemption
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def _refused(**fields: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(**fields)


def test_the_database_refuses_an_end_not_after_the_start():
    start = timezone.now()
    _refused(starts_at=start, ends_at=start)
    _refused(starts_at=start, ends_at=start - dt.timedelta(seconds=1))


def test_the_database_wants_a_streak_exactly_for_streak_offers():
    _refused(audience="streak", min_streak_days=None)
    _refused(audience="members", min_streak_days=3)
    _refused(audience="subscribers", min_streak_days=3)
    OfferFactory(audience="streak", min_streak_days=3)


def test_the_database_refuses_a_limit_below_one_and_a_count_above_the_limit():
    _refused(max_redemptions=0)
    offer = OfferFactory(max_redemptions=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(redemption_count=3)


def test_the_database_keeps_one_redemption_per_member_and_offer():
    offer, user = OfferFactory(), UserFactory()
    Redemption.objects.create(offer=offer, user=user, redeemed_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(offer=offer, user=user, redeemed_at=timezone.now())


def test_clean_puts_each_message_on_the_field_to_fix():
    start = timezone.now()
    offer = Offer(
        title="T",
        description="D",
        starts_at=start,
        ends_at=start - dt.timedelta(hours=1),
        audience="streak",
        min_streak_days=None,
        max_redemptions=0,
    )
    with pytest.raises(ValidationError) as caught:
        offer.full_clean()
    errors = caught.value.message_dict
    assert errors["ends_at"] == ["The end must be after the start."]
    assert errors["min_streak_days"] == [
        "Enter the streak (in days) a member needs to unlock this offer."
    ]
    assert errors["max_redemptions"] == [
        "Allow at least one redemption, or leave it empty for no limit."
    ]
    assert "__all__" not in errors  # the constraints do not repeat what clean() said


def test_clean_refuses_a_streak_on_other_offers_and_a_limit_below_the_count():
    offer = OfferFactory(max_redemptions=5)
    Offer.objects.filter(pk=offer.pk).update(redemption_count=4)
    offer.refresh_from_db()
    offer.min_streak_days = 2
    offer.max_redemptions = 3
    with pytest.raises(ValidationError) as caught:
        offer.full_clean()
    errors = caught.value.message_dict
    assert "only streak offers unlock at a streak" in errors["min_streak_days"][0]
    assert errors["max_redemptions"] == [
        "4 members already redeemed this offer: the limit cannot be lower than that."
    ]


def test_status_and_remaining_need_no_query(django_assert_num_queries):
    offer = OfferFactory(max_redemptions=3)
    with django_assert_num_queries(0):
        assert offer.status_at(offer.starts_at - dt.timedelta(microseconds=1)) == "scheduled"
        assert offer.status_at(offer.starts_at) == "live"
        assert offer.status_at(offer.ends_at) == "ended"
        assert offer.remaining == 3


def test_the_editors_group_gets_the_offers_permissions_from_the_migration():
    from django.contrib.auth.models import Group

    editors = Group.objects.get(name="Editors")
    codenames = set(
        editors.permissions.filter(content_type__app_label="offers").values_list(
            "codename", flat=True
        )
    )
    assert codenames == {"view_offer", "add_offer", "change_offer", "view_redemption"}
