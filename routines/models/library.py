"""The library: body parts, series, routines, steps, and the editors' audit log."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _


class BodyPart(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class SeriesQuerySet(models.QuerySet):
    def published(self) -> SeriesQuerySet:
        return self.filter(status=Series.Status.PUBLISHED)

    def due(self, now: dt.datetime) -> SeriesQuerySet:
        """Scheduled series whose publication time has come (index: status, publish_at)."""
        return self.filter(status=Series.Status.SCHEDULED, publish_at__lte=now)


class Series(models.Model):
    """A titled, ordered set of routines for one or more body parts."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        # Was live, hidden again: members' logs of its routines stay in their history.
        UNPUBLISHED = "unpublished", _("Unpublished")

    class Difficulty(models.TextChoices):
        GENTLE = "gentle", "Gentle"
        MODERATE = "moderate", "Moderate"
        FIRM = "firm", "Firm"

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=120)
    summary = models.CharField(max_length=240, blank=True)
    description = models.TextField(blank=True)
    body_parts = models.ManyToManyField(BodyPart, related_name="series")
    cover = models.ImageField(upload_to="covers/", blank=True)
    cover_alt = models.CharField(max_length=200, blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(default=10)
    difficulty = models.CharField(
        max_length=12, choices=Difficulty.choices, default=Difficulty.GENTLE
    )
    safety_notes = models.TextField(blank=True)
    contraindications = models.JSONField(
        default=list,
        blank=True,
        help_text="Short statements a member confirms before their first session of this series.",
    )
    next_installment = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="previous_installments",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SeriesQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "series"
        indexes = [models.Index(fields=["status", "publish_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(publish_at__isnull=False),
                name="series_scheduled_has_publish_at",
                violation_error_message=_("A scheduled series needs a publication date and time."),
            ),
            models.CheckConstraint(
                condition=Q(status="scheduled") | Q(publish_at__isnull=True),
                name="series_publish_at_only_when_scheduled",
                violation_error_message=_(
                    "Only a scheduled series has a publication time: schedule it, or clear "
                    "the time."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["published", "unpublished"])
                | Q(published_at__isnull=False),
                name="series_live_once_has_published_at",
                violation_error_message=_(
                    "A series that is or was published keeps the date it first went live."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("routines:series", kwargs={"slug": self.slug})

    def clean(self) -> None:
        """The status rules, each on the field to fix (the constraints above repeat them)."""
        if self.status == self.Status.SCHEDULED and self.publish_at is None:
            raise ValidationError(
                {"publish_at": _("Choose the date and time when this series goes live.")}
            )
        if self.status != self.Status.SCHEDULED and self.publish_at is not None:
            raise ValidationError(
                {
                    "publish_at": _(
                        "A publication time only applies to a scheduled series: choose "
                        "“Scheduled”, or clear the time."
                    )
                }
            )
        if self.cover and not (self.cover_alt or "").strip():
            raise ValidationError(
                {"cover_alt": _("Describe the cover image for people who cannot see it.")}
            )


class Routine(models.Model):
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="routines")
    position = models.PositiveSmallIntegerField(default=0)
    slug = models.SlugField()
    title = models.CharField(max_length=120)
    intro = models.TextField(blank=True)
    equipment = models.CharField(max_length=200, blank=True, help_text="e.g. hand cream (optional)")
    per_side = models.BooleanField(
        default=False, help_text="Played once for each side (right, then left)."
    )
    rest_after = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "slug"],
                name="routine_slug_per_series",
                violation_error_message=_(
                    "Another routine of this series already has this slug: choose another one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Step(models.Model):
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    instruction = models.TextField()
    technique = models.CharField(max_length=80, blank=True)
    duration_seconds = models.PositiveIntegerField(
        default=30,
        validators=[
            MinValueValidator(1, _("A step lasts at least 1 second.")),
            MaxValueValidator(3600, _("A step lasts at most 1 hour (3600 seconds).")),
        ],
    )
    repetitions = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1, _("A step is done at least once."))]
    )
    per_finger = models.BooleanField(default=False)
    area = models.SlugField(
        max_length=40,
        blank=True,
        help_text="The named region of the body part's outline this step works on.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["routine", "position"],
                name="step_position_unique",
                violation_error_message=_("Another step of this routine is already at this place."),
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=1) & Q(duration_seconds__lte=3600),
                name="step_duration_range",
                violation_error_message=_("A step lasts from 1 second to 1 hour (3600 seconds)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


# --- The editors' audit log -------------------------------------------------------------


class AuditEntry(models.Model):
    """One change an editor (or the publication schedule) made to a series, its routines
    or its steps: written by ``routines.services`` in the transaction of the change.

    It lives beside the library, not in the ``editor`` app, because the services that
    change the library write it, and ``routines`` imports no app above it.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        EDIT = "edit", _("Edited")
        DELETE = "delete", _("Removed")
        REORDER = "reorder", _("Reordered")
        SCHEDULE = "schedule", _("Scheduled")
        UNSCHEDULE = "unschedule", _("Schedule cancelled")
        PUBLISH = "publish", _("Published")
        UNPUBLISH = "unpublish", _("Unpublished")

    class Target(models.TextChoices):
        SERIES = "series", _("Series")
        ROUTINE = "routine", _("Routine")
        STEP = "step", _("Step")

    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    series_title = models.CharField(max_length=120, help_text=_("Kept if the series is deleted."))
    # Empty when the publication schedule acted; the name stays once the account is deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    target = models.CharField(max_length=8, choices=Target.choices, default=Target.SERIES)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text=_("Per field name: {old, new}; or other details.")
    )
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["series", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_target_display()} {self.target_label}"
