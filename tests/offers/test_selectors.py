"""Who may redeem what, and when: each audience, the window's edges, the streak counted
in the member's own time zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from newsletters.models import Subscriber
from offers.models import Offer, Redemption
from offers.selectors import (
    offer_redemptions_by_day,
    offers_eligible_for,
    streak_offer_notices,
)
from routines.selectors import member_stats
from tests.factories import OfferFactory, UserFactory
from tests.offers.helpers import log_at, opt_in_to_offers, practise

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _ids(offers: list[Offer]) -> list[int]:
    return [o.pk for o in offers]


# --- Audiences -------------------------------------------------------------------------------


def test_members_offers_are_for_every_member():
    offer = OfferFactory(audience="members")
    assert _ids(offers_eligible_for(user=UserFactory())) == [offer.pk]


def test_subscribers_offers_are_for_members_who_receive_offers_by_email():
    offer = OfferFactory(audience="subscribers")
    opted_in, opted_out, never_chose = UserFactory(), UserFactory(), UserFactory()
    opt_in_to_offers(opted_in)
    opt_in_to_offers(opted_out)
    opted_out.email_preference.offers = False
    opted_out.email_preference.save()
    assert _ids(offers_eligible_for(user=opted_in)) == [offer.pk]
    assert offers_eligible_for(user=opted_out) == []
    assert offers_eligible_for(user=never_chose) == []  # offers emails are off by default


def test_a_visitors_confirmation_does_not_make_a_member_a_subscriber():
    """A confirmed visitor row at a member's address: the member's own preference decides
    (as for the newsletters' sends); visitors without an account cannot redeem at all."""
    OfferFactory(audience="subscribers")
    member = UserFactory(email="reader@example.org")
    Subscriber.objects.create(email="reader@example.org", offers_confirmed_at=timezone.now())
    assert offers_eligible_for(user=member) == []


def test_anonymous_visitors_have_no_offers(rf):
    from django.contrib.auth.models import AnonymousUser

    OfferFactory()
    assert offers_eligible_for(user=AnonymousUser()) == []


@time_machine.travel(dt.datetime(2026, 12, 9, 18, 0, tzinfo=UTC), tick=False)
def test_streak_offers_need_the_streak_and_appear_once_it_is_reached():
    offer = OfferFactory(audience="streak", min_streak_days=3)
    user = UserFactory(timezone="UTC")
    practise(user, days=2, last=dt.date(2026, 12, 9))
    assert member_stats(user=user).current_streak == 2
    assert offers_eligible_for(user=user) == []
    # Yesterday's streak of 2 plus one more day: tomorrow's first session unlocks it.
    with time_machine.travel(dt.datetime(2026, 12, 10, 9, 0, tzinfo=UTC), tick=False):
        assert offers_eligible_for(user=user) == []  # still 2: today is not over
        log_at(user, dt.datetime(2026, 12, 10, 8, 30))
        assert _ids(offers_eligible_for(user=user)) == [offer.pk]  # at once, no wait


# --- The streak in the member's time zone ----------------------------------------------------

# Auckland is UTC+13 in December (NZDT). Three sessions at these UTC instants fall on
# three Auckland days (8, 9 and 10 December) but on two UTC days (8 and 9 December).
SESSIONS_UTC = [
    dt.datetime(2026, 12, 8, 10, 30, tzinfo=UTC),  # 23:30 on the 8th in Auckland
    dt.datetime(2026, 12, 8, 11, 30, tzinfo=UTC),  # 00:30 on the 9th
    dt.datetime(2026, 12, 9, 11, 10, tzinfo=UTC),  # 00:10 on the 10th
]
NOW = dt.datetime(2026, 12, 9, 11, 30, tzinfo=UTC)  # 00:30 on 10 December in Auckland


def _log_instants(user) -> None:
    for instant in SESSIONS_UTC:
        log_at(user, instant.astimezone(user.zone).replace(tzinfo=None))


@time_machine.travel(NOW, tick=False)
def test_the_streak_is_counted_in_the_members_own_days():
    offer = OfferFactory(audience="streak", min_streak_days=3)
    auckland = UserFactory(timezone="Pacific/Auckland")
    utc = UserFactory(timezone="UTC")
    _log_instants(auckland)
    _log_instants(utc)
    assert member_stats(user=auckland).current_streak == 3
    assert member_stats(user=utc).current_streak == 2
    assert _ids(offers_eligible_for(user=auckland)) == [offer.pk]
    assert offers_eligible_for(user=utc) == []


@time_machine.travel(NOW, tick=False)
def test_the_threshold_is_inclusive_and_a_broken_streak_locks_the_offer_again():
    at_three = OfferFactory(audience="streak", min_streak_days=3)
    OfferFactory(audience="streak", min_streak_days=4)
    user = UserFactory(timezone="Pacific/Auckland")
    _log_instants(user)
    assert _ids(offers_eligible_for(user=user)) == [at_three.pk]
    # 11 December passes without a session: on the 12th (Auckland) the streak is over.
    with time_machine.travel(dt.datetime(2026, 12, 11, 11, 30, tzinfo=UTC), tick=False):
        assert offers_eligible_for(user=user) == []


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_notice_names_the_unlocked_offer_until_it_is_redeemed():
    offer = OfferFactory(audience="streak", min_streak_days=3, title="Foam roller")
    OfferFactory(audience="members", title="Not a streak offer")
    user = UserFactory(timezone="Pacific/Auckland")
    _log_instants(user)
    stats = member_stats(user=user, with_calendar=False)
    (notice,) = streak_offer_notices(user, stats)
    assert notice.title == "Your streak unlocked an offer: Foam roller"
    assert notice.text == "You practised 3 days in a row."
    assert notice.url == f"/offers/#offer-{offer.pk}"
    Redemption.objects.create(offer=offer, user=user, redeemed_at=timezone.now())
    assert streak_offer_notices(user, stats) == []


# --- The window: start inclusive, end exclusive ---------------------------------------------


def test_the_window_includes_its_start_and_excludes_its_end():
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    offer = OfferFactory(starts_at=start, ends_at=start + dt.timedelta(hours=2))
    user = UserFactory()
    tick = dt.timedelta(microseconds=1)
    assert offers_eligible_for(user=user, now=start - tick) == []
    assert _ids(offers_eligible_for(user=user, now=start)) == [offer.pk]
    assert _ids(offers_eligible_for(user=user, now=offer.ends_at - tick)) == [offer.pk]
    assert offers_eligible_for(user=user, now=offer.ends_at) == []


# --- Limits and redemptions ------------------------------------------------------------------


def test_an_offer_at_its_limit_is_gone_except_for_those_who_redeemed_it():
    offer = OfferFactory(max_redemptions=1)
    winner, late = UserFactory(), UserFactory()
    Redemption.objects.create(offer=offer, user=winner, redeemed_at=timezone.now())
    Offer.objects.filter(pk=offer.pk).update(redemption_count=1)
    (mine,) = offers_eligible_for(user=winner)
    assert mine.redeemed_at is not None
    assert offers_eligible_for(user=late) == []


def test_a_redeemed_offer_stays_listed_when_the_member_no_longer_qualifies():
    offer = OfferFactory(audience="streak", min_streak_days=30)
    user = UserFactory()
    Redemption.objects.create(offer=offer, user=user, redeemed_at=timezone.now())
    assert _ids(offers_eligible_for(user=user)) == [offer.pk]


def test_offers_are_listed_soonest_ending_first_in_two_queries(django_assert_num_queries):
    user = UserFactory()
    later = OfferFactory(ends_at=timezone.now() + dt.timedelta(days=9))
    sooner = OfferFactory(ends_at=timezone.now() + dt.timedelta(days=2))
    # The live offers, then the member's redemptions among them.
    with django_assert_num_queries(2):
        assert _ids(offers_eligible_for(user=user)) == [sooner.pk, later.pk]


def test_a_subscribers_offer_reads_the_opt_in_once(django_assert_num_queries):
    member = UserFactory()
    OfferFactory(audience="subscribers")
    OfferFactory(audience="subscribers")
    with django_assert_num_queries(3):
        assert offers_eligible_for(user=member) == []


def test_no_live_offer_is_one_plain_query(django_assert_num_queries):
    """Every page's navigation asks: with nothing live, one query and nothing joined."""
    OfferFactory(
        starts_at=timezone.now() + dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=2),
    )
    with django_assert_num_queries(1) as captured:
        assert offers_eligible_for(user=UserFactory.build(pk=10**6)) == []
    assert "JOIN" not in captured.captured_queries[0]["sql"]


# --- Staff figures --------------------------------------------------------------------------


def test_redemptions_per_day_are_counted_in_the_editors_zone():
    import zoneinfo

    start = dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    offer = OfferFactory(starts_at=start, ends_at=start + dt.timedelta(days=10))
    # 23:30 UTC on 2 December is 3 December in Paris (UTC+1).
    for instant in [
        dt.datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 2, 23, 30, tzinfo=UTC),
        dt.datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
    ]:
        Redemption.objects.create(offer=offer, user=UserFactory(), redeemed_at=instant)
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    paris = offer_redemptions_by_day(offer=offer, zone=zoneinfo.ZoneInfo("Europe/Paris"), now=now)
    assert [(d["date"].day, d["count"]) for d in paris] == [(1, 0), (2, 1), (3, 2), (4, 0)]
    utc = offer_redemptions_by_day(offer=offer, zone=zoneinfo.ZoneInfo("UTC"), now=now)
    assert [(d["date"].day, d["count"]) for d in utc] == [(1, 0), (2, 2), (3, 1), (4, 0)]
