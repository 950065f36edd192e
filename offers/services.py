"""Every write of the offers app: editing offers, redeeming them, announcing them.

Redemption is race-safe on PostgreSQL (and SQLite) without a table lock:

1. the redemption row is inserted first: the unique constraint (offer, user) makes a
   second concurrent insert for the same member wait for the first transaction and then
   fail, so a member redeems once;
2. in the same transaction, one conditional UPDATE adds 1 to ``redemption_count`` only
   while the offer is open and below its limit
   (``... WHERE id = %s AND starts_at <= now AND ends_at > now
   AND (max_redemptions IS NULL OR redemption_count < max_redemptions)``). Concurrent
   updates of the row queue on its row lock, and each re-checks the condition against
   the committed count, so at most ``max_redemptions`` succeed; a refused update rolls
   the inserted row back. The check constraint ``offer_count_within_max`` holds it too.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats
from django.utils import timezone as tz
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import EmailPreference, User
from newsletters.models import Campaign
from newsletters.services import campaign_create, campaign_send
from newsletters.services.rendering import markdown_escape
from offers.models import Offer, Redemption
from routines.selectors import member_stats

logger = logging.getLogger(__name__)

Audience = Offer.Audience
WHEN_FORMAT = "j F Y, H:i"  # "1 December 2026, 10:00": month names follow the language

# What an editor may set (pages and API); the count and the announcement are the
# services' own.
OFFER_EDITABLE = frozenset(
    {
        "title",
        "description",
        "code",
        "image",
        "image_alt",
        "starts_at",
        "ends_at",
        "audience",
        "min_streak_days",
        "max_redemptions",
    }
)


class OfferStateError(Exception):
    """The action does not apply to the offer as it is now."""


class OfferUnavailable(Exception):
    """The member cannot redeem the offer now; ``str(exc)`` says why, in words.

    ``reason`` is one of "not_started", "ended", "sold_out", "not_eligible".
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RedeemResult:
    redemption: Redemption
    offer: Offer
    created: bool

    @property
    def code(self) -> str:
        return self.offer.code


def _when(instant: dt.datetime, user: User) -> str:
    """A moment as the member reads it: their zone, the site's date format."""
    return formats.date_format(instant.astimezone(user.zone), WHEN_FORMAT)


# --- Editing ----------------------------------------------------------------------------------


def _image_forget(name: str) -> None:
    """Delete a replaced picture from storage (after the commit that replaced it)."""
    if not name:
        return
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("Could not delete the replaced offer image %s", name)


def _apply(offer: Offer, fields: dict[str, Any]) -> str:
    """Set the editable fields; returns the name of a picture that is no longer used."""
    unknown = set(fields) - OFFER_EDITABLE
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    old_image = offer.image.name if offer.image else ""
    for name, value in fields.items():
        if name == "image":
            offer.image = value or None
        elif name in {"title", "code", "image_alt"}:
            setattr(offer, name, (value or "").strip())
        else:
            setattr(offer, name, value)
    new_image = offer.image.name if offer.image else ""
    return old_image if "image" in fields and old_image != new_image else ""


@transaction.atomic
def offer_create(*, created_by: User | None = None, **fields: Any) -> Offer:
    """A new offer (``fields`` from ``OFFER_EDITABLE``). Raises ``ValidationError``."""
    offer = Offer(created_by=created_by)
    _apply(offer, fields)
    offer.full_clean()
    offer.save()
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, **fields: Any) -> Offer:
    """Change an offer; only the fields given change. Raises ``ValidationError``.

    The row is locked, so a limit is checked against the count as it is.
    """
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    replaced = _apply(offer, fields)
    offer.full_clean()
    offer.save()
    if replaced:
        transaction.on_commit(partial(_image_forget, replaced))
    return offer


@transaction.atomic
def offer_end(*, offer: Offer, now: dt.datetime | None = None) -> Offer:
    """Close a live offer now (its end becomes now); codes already given stay valid."""
    now = now or tz.now()
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    status = offer.status_at(now)
    if status == "scheduled":
        raise OfferStateError(
            _("This offer has not started yet: change its dates instead of ending it.")
        )
    if status == "ended":
        raise OfferStateError(_("This offer has already ended."))
    offer.ends_at = max(now, offer.starts_at + dt.timedelta(microseconds=1))
    offer.save(update_fields=["ends_at", "updated_at"])
    return offer


# --- Redeeming --------------------------------------------------------------------------------


def offer_eligibility_check(*, offer: Offer, user: User, now: dt.datetime) -> None:
    """Raise ``OfferUnavailable`` if ``user`` may not redeem ``offer`` at ``now``.

    Reads only; ``offer_redeem`` enforces the window and the limit again in its UPDATE.
    """
    if now < offer.starts_at:
        raise OfferUnavailable(
            "not_started",
            _("This offer starts on %(when)s. Come back then.")
            % {"when": _when(offer.starts_at, user)},
        )
    if now >= offer.ends_at:
        raise OfferUnavailable(
            "ended",
            _("This offer ended on %(when)s.") % {"when": _when(offer.ends_at, user)},
        )
    if offer.audience == Audience.SUBSCRIBERS:
        if not EmailPreference.objects.filter(user=user, offers=True).exists():
            raise OfferUnavailable(
                "not_eligible",
                _(
                    "This offer is for members who receive offers by email. Turn on "
                    "“Offers” in your email preferences to redeem it."
                ),
            )
    elif offer.audience == Audience.STREAK:
        today = now.astimezone(user.zone).date()
        streak = member_stats(user=user, today=today, with_calendar=False).current_streak
        needed = offer.min_streak_days or 0
        if streak < needed:
            raise OfferUnavailable(
                "not_eligible",
                ngettext(
                    "This offer unlocks at a %(needed)d-day practice streak; your current "
                    "streak is %(streak)d day.",
                    "This offer unlocks at a %(needed)d-day practice streak; your current "
                    "streak is %(streak)d days.",
                    streak,
                )
                % {"needed": needed, "streak": streak},
            )
    if offer.remaining == 0:
        raise OfferUnavailable("sold_out", _sold_out_message(offer))


def _sold_out_message(offer: Offer) -> str:
    return ngettext(
        "Sorry, this offer has run out: its %(max)d redemption has been claimed.",
        "Sorry, this offer has run out: all %(max)d redemptions have been claimed.",
        offer.max_redemptions or 0,
    ) % {"max": offer.max_redemptions or 0}


def offer_redeem(*, offer_id: int, user: User, now: dt.datetime | None = None) -> RedeemResult:
    """Redeem an offer for ``user``: the code the first time (``created``), the same
    redemption and code after. Raises ``Offer.DoesNotExist`` or ``OfferUnavailable``.

    A member who redeemed keeps their code, also after the offer closes.
    """
    now = now or tz.now()
    offer = Offer.objects.get(pk=offer_id)
    existing = Redemption.objects.filter(offer=offer, user=user).first()
    if existing is not None:
        return RedeemResult(existing, offer, created=False)
    offer_eligibility_check(offer=offer, user=user, now=now)
    try:
        with transaction.atomic():
            redemption = Redemption.objects.create(offer=offer, user=user, redeemed_at=now)
            claimed = (
                Offer.objects.filter(pk=offer.pk)
                .live(now)
                .with_stock()
                .update(redemption_count=F("redemption_count") + 1)
            )
            if not claimed:
                # Closed or at its limit since it was read: say which, and roll back.
                offer.refresh_from_db()
                offer_eligibility_check(offer=offer, user=user, now=now)
                raise OfferUnavailable("sold_out", _sold_out_message(offer))
    except IntegrityError:
        # The same member redeemed it concurrently: the unique constraint kept one.
        existing = Redemption.objects.filter(offer=offer, user=user).first()
        if existing is None:
            raise
        return RedeemResult(existing, offer, created=False)
    offer.redemption_count += 1
    return RedeemResult(redemption, offer, created=True)


# --- Announcing -------------------------------------------------------------------------------


def _announcement_body(offer: Offer) -> str:
    url = settings.SITE_URL + reverse("offers:list")
    ends = formats.date_format(offer.ends_at.astimezone(dt.UTC), WHEN_FORMAT)
    parts = [f"**{markdown_escape(offer.title)}**", markdown_escape(offer.description)]
    if offer.audience == Audience.STREAK:
        parts.append(
            ngettext(
                "For members with a practice streak of %(days)d day or more.",
                "For members with a practice streak of %(days)d days or more.",
                offer.min_streak_days or 0,
            )
            % {"days": offer.min_streak_days or 0}
        )
    elif offer.audience == Audience.SUBSCRIBERS:
        parts.append(_("For members who receive offers by email."))
    if offer.max_redemptions:
        parts.append(
            ngettext(
                "Limited to %(max)d redemption.",
                "Limited to %(max)d redemptions.",
                offer.max_redemptions,
            )
            % {"max": offer.max_redemptions}
        )
    parts.append(_("Available until %(when)s (UTC).") % {"when": ends})
    parts.append(
        f"[{_('Log in to Kneadful to redeem it')}]({url})"
        + " "
        + _("(a free account is all you need).")
    )
    return "\n\n".join(parts)


@transaction.atomic
def offer_announce(
    *,
    offer: Offer,
    created_by: User | None = None,
    send: bool = False,
    send_at: dt.datetime | None = None,
) -> Campaign:
    """The offer's announcement: a campaign of the ``offers`` category, written and sent by
    the newsletters services (its audience: confirmed offers subscribers and members who
    opted in to offers). One per offer; a cancelled one may be replaced.

    Without ``send`` it stays a draft for the editor to preview, test and send from the
    campaign pages. The code is never in the email: it appears on redemption.
    """
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status_at(tz.now()) == "ended":
        raise OfferStateError(_("This offer has ended: there is nothing to announce."))
    campaign = offer.announcement
    if campaign is not None and campaign.status != Campaign.Status.CANCELLED:
        if not send:
            raise OfferStateError(_("This offer already has an announcement."))
    else:
        campaign = campaign_create(
            subject=_("Kneadful offer: %(title)s") % {"title": offer.title},
            body=_announcement_body(offer),
            category="offers",
            created_by=created_by,
        )
        offer.announcement = campaign
        offer.save(update_fields=["announcement", "updated_at"])
    if send:
        if not campaign.editable:
            raise OfferStateError(_("The announcement has already been sent."))
        campaign = campaign_send(campaign=campaign, send_at=send_at)
    return campaign
