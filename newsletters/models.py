"""Newsletter subscribers, campaigns and their per-recipient delivery ledger.

Who receives a campaign of a category:
* a member (``Subscriber.user`` set): their ``accounts.EmailPreference`` is the one record
  of their consent (ticked in the preference centre, or confirmed by a signed link sent to
  their address); the row itself holds no consent, only an id in the audience walk;
* anyone else (``user`` empty): the row's ``<category>_confirmed_at``, set only by the
  signed link of the double opt-in (or the signed manage page).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

CATEGORIES = ("newsletter", "offers")


class Category(models.TextChoices):
    NEWSLETTER = "newsletter", _("Newsletter")
    OFFERS = "offers", _("Offers")


class Subscriber(models.Model):
    """One address in the audience: a member (``user``) or a visitor (``email``)."""

    email = models.EmailField(
        max_length=254,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Visitors only, lower-cased; a member's address is their account's."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="newsletter_subscriber",
    )
    newsletter_confirmed_at = models.DateTimeField(null=True, blank=True)
    offers_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A sign-up waiting for its confirmation email (the task or the minute sweep sends it).
    requested_at = models.DateTimeField(null=True, blank=True)
    requested_category = models.CharField(
        max_length=12, choices=Category.choices, blank=True, default=""
    )
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Exactly one of the two: a member row or a visitor's address.
            models.CheckConstraint(
                condition=Q(user__isnull=True, email__isnull=False)
                | Q(user__isnull=False, email__isnull=True),
                name="subscriber_member_or_address",
            ),
            models.CheckConstraint(
                condition=Q(email__isnull=True) | Q(email=Lower("email")),
                name="subscriber_email_lower_case",
            ),
            # A member's consent lives in EmailPreference only: never a second copy here.
            models.CheckConstraint(
                condition=Q(user__isnull=True)
                | Q(newsletter_confirmed_at__isnull=True, offers_confirmed_at__isnull=True),
                name="subscriber_member_consent_in_preferences",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(requested_at__isnull=False),
                name="subscriber_requested_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        """The address mail goes to (a member's current account address)."""
        return self.user.email if self.user_id else (self.email or "")

    def confirmed_at(self, category: str) -> dt.datetime | None:
        return getattr(self, f"{category}_confirmed_at")

    # --- what wellness.emails reads of a recipient (see wellness.emails.Recipient) -----

    def get_short_name(self) -> str:
        return ""

    def email_links(self, category: str) -> dict[str, str]:
        from newsletters.links import subscriber_email_links

        return subscriber_email_links(subscriber=self, category=category)


class Campaign(models.Model):
    """One mailing to the confirmed subscribers of a category, sent in resumable chunks."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body"), help_text=_("Markdown: headings, lists, links, emphasis. No raw HTML.")
    )
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.NEWSLETTER
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    series = models.ForeignKey(
        "routines.Series",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="announcements",
        help_text=_("The series this campaign announces (at most one campaign per series)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The fan-out: the audience is every subscriber id <= max_subscriber_id (the snapshot
    # taken at start); ``cursor`` is the last id handed to a chunk (saved with each chunk).
    max_subscriber_id = models.BigIntegerField(null=True, blank=True)
    cursor = models.BigIntegerField(default=0)
    recipients = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Since when the email server has accepted nothing of this campaign, only answering
    # temporary failures (an outage); cleared by the next message it accepts.
    transient_since = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series"],
                condition=Q(series__isnull=False),
                name="campaign_announces_a_series_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(send_at__isnull=False),
                name="campaign_scheduled_has_send_at",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["sending", "sent"]) | Q(max_subscriber_id__isnull=False),
                name="campaign_started_has_snapshot",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "send_at"],
                condition=Q(status__in=["scheduled", "sending"]),
                name="campaign_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def done_count(self) -> int:
        return self.sent_count + self.failed_count + self.skipped_count

    @property
    def editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.SCHEDULED}


class Delivery(models.Model):
    """The ledger: one row per (campaign, subscriber), claimed before its message is sent.

    queued -> sending (claimed by one chunk task) -> sent | failed | skipped; a transient
    failure goes back to queued; a cancelled campaign's unsent rows become cancelled.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "subscriber"], name="delivery_once"),
        ]
        indexes = [
            # The advance and the sweep read only unfinished rows.
            models.Index(
                fields=["campaign", "status", "updated_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="delivery_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.subscriber_id}: {self.status}"


# Importable by path (drf-spectacular's ENUM_NAME_OVERRIDES in settings).
CampaignStatus = Campaign.Status
