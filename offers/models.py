"""Promotional offers and their redemptions.

An offer is live while ``starts_at <= now < ends_at`` (the start is inclusive, the end
exclusive: an offer ending at midnight is gone at midnight). Who may redeem it is its
``audience``:

* ``members``: every signed-in member;
* ``subscribers``: members who receive offers by email (``accounts.EmailPreference.offers``,
  the one record of a member's consent; the newsletters app reads the same flag). Visitors
  who confirmed the offers emails without an account get the announcement but cannot
  redeem: redemption needs a member; once they sign up, their own preference decides;
* ``streak``: members whose current practice streak, counted in their own time zone, is at
  least ``min_streak_days``.

``redemption_count`` is the number of redemptions handed out, kept by ``offer_redeem``
with a conditional UPDATE; the database refuses a count above ``max_redemptions``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from offers.validators import IMAGE_EXTENSIONS, validate_offer_image

# The messages people read when an offer breaks a rule; the constraints below repeat
# the rules in the database, with the same words for any path that skips ``clean()``.
MSG_ENDS_AFTER_START = _("The end must be after the start.")
MSG_STREAK_DAYS_NEEDED = _("Enter the streak (in days) a member needs to unlock this offer.")
MSG_STREAK_DAYS_ONLY_FOR_STREAK = _(
    "Leave the streak empty: only streak offers unlock at a streak. Choose the audience "
    "“Members with a streak” to use it."
)
MSG_MAX_AT_LEAST_ONE = _("Allow at least one redemption, or leave it empty for no limit.")
MSG_MAX_BELOW_COUNT = _(
    "%(count)d members already redeemed this offer: the limit cannot be lower than that."
)


def offer_image_path(instance: Offer, filename: str) -> str:
    """A random name: the uploader's file name never reaches a URL."""
    suffix = PurePosixPath(filename).suffix.lower()[:6]
    return f"offers/{uuid.uuid4().hex}{suffix}"


class OfferQuerySet(models.QuerySet):
    def live(self, now: dt.datetime) -> OfferQuerySet:
        """Open at ``now``: the start inclusive, the end exclusive."""
        return self.filter(starts_at__lte=now, ends_at__gt=now)

    def with_stock(self) -> OfferQuerySet:
        """Not at their limit (or without one)."""
        return self.filter(
            Q(max_redemptions__isnull=True) | Q(redemption_count__lt=F("max_redemptions"))
        )


class Offer(models.Model):
    class Audience(models.TextChoices):
        MEMBERS = "members", _("All members")
        SUBSCRIBERS = "subscribers", _("Members who receive offers by email")
        STREAK = "streak", _("Members with a streak")

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000)
    code = models.CharField(
        _("code"),
        max_length=64,
        blank=True,
        help_text=_("Shown to a member only after they redeem the offer. Optional."),
    )
    image = models.ImageField(
        _("image"),
        upload_to=offer_image_path,
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_offer_image],
        help_text=_("JPEG, PNG or WebP. Optional."),
    )
    image_alt = models.CharField(
        _("image description"),
        max_length=200,
        blank=True,
        help_text=_(
            "What the picture shows, for people who cannot see it. Leave empty if it is "
            "only decoration."
        ),
    )
    starts_at = models.DateTimeField(_("starts"), help_text=_("In your time zone."))
    ends_at = models.DateTimeField(
        _("ends"), help_text=_("In your time zone. The offer closes at this moment.")
    )
    audience = models.CharField(
        _("audience"), max_length=12, choices=Audience.choices, default=Audience.MEMBERS
    )
    min_streak_days = models.PositiveSmallIntegerField(
        _("streak needed (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, message=MSG_STREAK_DAYS_NEEDED)],
        help_text=_("Streak offers only: the current streak that unlocks the offer."),
    )
    max_redemptions = models.PositiveIntegerField(
        _("redemptions allowed"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, message=MSG_MAX_AT_LEAST_ONE)],
        help_text=_("In total, for all members. Empty: no limit."),
    )
    redemption_count = models.PositiveIntegerField(default=0, editable=False)
    announcement = models.OneToOneField(
        "newsletters.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("The campaign that announces this offer to the offers subscribers."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="offer_ends_after_start",
                violation_error_message=MSG_ENDS_AFTER_START,
            ),
            models.CheckConstraint(
                # isnull=False first: NULL >= 1 is unknown, which a CHECK lets through.
                condition=Q(
                    audience="streak", min_streak_days__isnull=False, min_streak_days__gte=1
                )
                | (~Q(audience="streak") & Q(min_streak_days__isnull=True)),
                name="offer_streak_days_iff_streak",
                violation_error_message=_(
                    "A streak offer needs the streak in days; other offers have none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(max_redemptions__gte=1),
                name="offer_max_redemptions_positive",
                violation_error_message=MSG_MAX_AT_LEAST_ONE,
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(redemption_count__lte=F("max_redemptions")),
                name="offer_count_within_max",
                violation_error_message=_(
                    "More members already redeemed this offer than the limit allows."
                ),
            ),
        ]
        indexes = [
            # The members' page and the navigation read the offers open now.
            models.Index(fields=["ends_at", "starts_at"], name="offer_window_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = offer_rule_errors(
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            audience=self.audience,
            min_streak_days=self.min_streak_days,
            max_redemptions=self.max_redemptions,
            redemption_count=self.redemption_count,
        )
        if errors:
            raise ValidationError(errors)

    def status_at(self, now: dt.datetime) -> str:
        """ "scheduled", "live" or "ended" at ``now`` (no query)."""
        if now < self.starts_at:
            return "scheduled"
        return "live" if now < self.ends_at else "ended"

    @property
    def remaining(self) -> int | None:
        """Redemptions left, or None without a limit (from the row: no query)."""
        if self.max_redemptions is None:
            return None
        return max(0, self.max_redemptions - self.redemption_count)


def offer_rule_errors(
    *,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    audience: str | None,
    min_streak_days: int | None,
    max_redemptions: int | None,
    redemption_count: int = 0,
) -> dict[str, list[str]]:
    """The rules that span fields, with the message on the field to fix.

    ``Offer.clean()`` (pages, services) and the API serializer both use it.
    """
    errors: dict[str, list[str]] = {}
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = [str(MSG_ENDS_AFTER_START)]
    if audience == Offer.Audience.STREAK and not min_streak_days:
        errors["min_streak_days"] = [str(MSG_STREAK_DAYS_NEEDED)]
    elif audience and audience != Offer.Audience.STREAK and min_streak_days is not None:
        errors["min_streak_days"] = [str(MSG_STREAK_DAYS_ONLY_FOR_STREAK)]
    # A limit below 1 is the field validator's message (MinValueValidator).
    if max_redemptions is not None and 1 <= max_redemptions < redemption_count:
        errors["max_redemptions"] = [str(MSG_MAX_BELOW_COUNT % {"count": redemption_count})]
    return errors


class Redemption(models.Model):
    """A member redeemed an offer: once per member and offer, at ``redeemed_at``."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offer_redemptions"
    )
    redeemed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "user"],
                name="redemption_once_per_member",
                violation_error_message=_("You have already redeemed this offer."),
            ),
        ]
        indexes = [
            # The staff figures by day and the CSV export read one offer's rows by time.
            models.Index(fields=["offer", "redeemed_at"], name="redemption_offer_time_idx"),
            models.Index(fields=["user", "redeemed_at"], name="redemption_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} by {self.user_id} at {self.redeemed_at:%Y-%m-%d %H:%M}"
