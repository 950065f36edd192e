"""Reads of the offers app: what a member may redeem now, and the editors' figures."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone as tz
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import EmailPreference, User
from offers.models import Offer, Redemption
from routines.dashboard_notices import DashboardNotice
from routines.selectors import MemberStats, member_stats

Audience = Offer.Audience
CHART_DAYS = 90  # the staff chart shows at most this many days; the CSV has every row


def _member_offers(*, user: User, now: dt.datetime) -> list[Offer]:
    """Live offers whose audience may include ``user``, with the member's redemption
    (``redeemed_at``), soonest ending first.

    One plain query while no offer is live (what every page's navigation asks, most of the
    time); then one more for the member's redemptions among the live offers, and one for
    their offers opt-in only while a subscribers' offer they have not redeemed is live.
    Streak offers come back whatever the streak (``offers_eligible_for`` checks it); an
    offer the member already redeemed stays, with its code, while it is live, even at its
    limit or if they no longer qualify.
    """
    live = list(Offer.objects.live(now).order_by("ends_at", "pk"))
    if not live:
        return []
    redeemed = dict(
        Redemption.objects.filter(user=user, offer__in=live).values_list("offer_id", "redeemed_at")
    )
    opted_in = (
        any(o.audience == Audience.SUBSCRIBERS and o.pk not in redeemed for o in live)
        and EmailPreference.objects.filter(user=user, offers=True).exists()
    )
    offers = []
    for offer in live:
        offer.redeemed_at = redeemed.get(offer.pk)
        open_to_member = offer.audience != Audience.SUBSCRIBERS or opted_in
        if offer.redeemed_at is not None or (open_to_member and offer.remaining != 0):
            offers.append(offer)
    return offers


def offers_eligible_for(
    *, user: User, now: dt.datetime | None = None, current_streak: int | None = None
) -> list[Offer]:
    """The offers ``user`` may redeem at ``now`` (or has redeemed), soonest ending first.

    Each carries ``redeemed_at`` (None until the member redeems it). The queries of
    ``_member_offers`` (one while no offer is live), plus the member's stored figures
    (``member_stats``, one read) only when a streak offer they have not redeemed is live
    and ``current_streak`` was not given. The streak is the member's current streak for
    their local today, in their IANA zone.
    """
    if not user.is_authenticated:
        return []
    now = now or tz.now()
    offers = _member_offers(user=user, now=now)
    pending_streak = [o for o in offers if o.audience == Audience.STREAK and o.redeemed_at is None]
    if pending_streak and current_streak is None:
        today = now.astimezone(user.zone).date()
        current_streak = member_stats(user=user, today=today, with_calendar=False).current_streak
    return [
        o
        for o in offers
        if o.redeemed_at is not None
        or o.audience != Audience.STREAK
        or (current_streak or 0) >= (o.min_streak_days or 0)
    ]


def offer_for_member(*, user: User, offer_id: int, now: dt.datetime | None = None) -> Offer | None:
    """One offer as ``offers_eligible_for`` would list it, or None."""
    return next((o for o in offers_eligible_for(user=user, now=now) if o.pk == offer_id), None)


def streak_offer_notices(user: User, stats: MemberStats) -> list[DashboardNotice]:
    """Dashboard notices (``routines.dashboard_notices``): streak offers the member's
    current streak unlocked and they have not redeemed yet. The figures are the ones the
    dashboard just read, recomputed after every log, so a notice appears at once."""
    unlocked = [
        o
        for o in offers_eligible_for(user=user, current_streak=stats.current_streak)
        if o.audience == Audience.STREAK and o.redeemed_at is None
    ]
    url = reverse("offers:list")
    return [
        DashboardNotice(
            title=_("Your streak unlocked an offer: %(title)s") % {"title": offer.title},
            text=ngettext(
                "You practised %(days)d day in a row.",
                "You practised %(days)d days in a row.",
                stats.current_streak,
            )
            % {"days": stats.current_streak},
            url=f"{url}#offer-{offer.pk}",
            link_text=_("See the offer and redeem it"),
        )
        for offer in unlocked
    ]


def offers_nav_visible(*, user: User, now: dt.datetime | None = None) -> bool:
    """Whether the member's navigation shows the offers link (at least one offer)."""
    return bool(offers_eligible_for(user=user, now=now))


def member_export_redemptions(user: User) -> list[dict[str, Any]]:
    """The member's redemptions for their data download (``accounts`` export section)."""
    return [
        {"offer": title, "code": code, "redeemed_at": redeemed_at.isoformat()}
        for title, code, redeemed_at in Redemption.objects.filter(user=user)
        .order_by("redeemed_at", "pk")
        .values_list("offer__title", "offer__code", "redeemed_at")
    ]


# --- Editors ---------------------------------------------------------------------------------


def offers_for_staff() -> QuerySet[Offer]:
    """Every offer, the latest start first."""
    return Offer.objects.select_related("announcement").order_by("-starts_at", "-pk")


def offer_redemptions_by_day(
    *, offer: Offer, zone: zoneinfo.ZoneInfo, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Redemptions per local day in ``zone`` (the editor's), one entry per day from the
    offer's first day to its last (or today), at most the last ``CHART_DAYS`` days."""
    now = now or tz.now()
    first = offer.starts_at.astimezone(zone).date()
    last_instant = min(now, offer.ends_at - dt.timedelta(microseconds=1))
    last = max(first, last_instant.astimezone(zone).date())
    first = max(first, last - dt.timedelta(days=CHART_DAYS - 1))
    counts = dict(
        Redemption.objects.filter(offer=offer)
        .annotate(day=TruncDate("redeemed_at", tzinfo=zone))
        .filter(day__gte=first, day__lte=last)
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
        .values_list("day", "n")
    )
    days = []
    day = first
    while day <= last:
        days.append({"date": day, "count": counts.get(day, 0)})
        day += dt.timedelta(days=1)
    return days


def redemptions_for_export(*, offer: Offer) -> QuerySet[Redemption]:
    """One offer's redemptions in the order they happened, with the member."""
    return (
        Redemption.objects.filter(offer=offer)
        .select_related("user")
        .only("redeemed_at", "user__email", "user__display_name", "user_id", "offer_id")
        .order_by("redeemed_at", "pk")
    )
