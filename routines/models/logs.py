"""What members did and chose: session logs, rest days, favourites, safety checklists,
the practice plan."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _

from routines.models.library import Routine, Series

# Rules for a logged session, shared by SessionLog.clean(), the API and the forms.
SESSION_MAX_SECONDS = 4 * 3600
SESSION_CLOCK_SKEW = dt.timedelta(minutes=5)
# The earliest start a log may have: nothing was practised with Kneadful before it.
SESSION_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
NOTES_MAX_LENGTH = 2000
SESSION_TOO_EARLY_MESSAGE = _("Sessions before the year 2000 cannot be logged.")
NOTHING_DONE_MESSAGE = _(
    "No step was done in this session, so it is not saved: a step counts once its timer "
    "has run most of its length or you tick “I did this step”."
)


class SessionLog(models.Model):
    """One session a member did, from the player, logged by hand, or from a reminder email."""

    class Sides(models.TextChoices):
        NONE = "", "Not applicable"
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BOTH = "both", "Both"

    class Source(models.TextChoices):
        PLAYER = "player", "Guided player"
        MANUAL = "manual", "Logged by hand"
        EMAIL = "email", "From a reminder"
        API = "api", "API client"

    # No index of its own: (user, local_date) and (user, client_id) lead with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="session_logs",
        db_index=False,
    )
    client_id = models.UUIDField(default=uuid.uuid4)
    routine = models.ForeignKey(Routine, on_delete=models.PROTECT, related_name="session_logs")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField()
    steps_completed = models.PositiveSmallIntegerField(default=0)
    steps_total = models.PositiveSmallIntegerField(default=0)
    sides = models.CharField(max_length=5, choices=Sides.choices, blank=True, default="")
    tension_before = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    tension_after = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    tension_map = models.JSONField(
        default=dict, blank=True, help_text="Per body part slug: {before, after}."
    )
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(
        blank=True, max_length=NOTES_MAX_LENGTH, validators=[MaxLengthValidator(NOTES_MAX_LENGTH)]
    )
    local_date = models.DateField(help_text="The member's calendar day when the session started.")
    timezone = models.CharField(max_length=64)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PLAYER)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["user", "local_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_id"], name="sessionlog_client_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gte=F("started_at")), name="sessionlog_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=1) & Q(duration_seconds__lte=4 * 3600),
                name="sessionlog_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(tension_before__isnull=True) | Q(tension_before__lte=10),
                name="sessionlog_tension_before_range",
            ),
            models.CheckConstraint(
                condition=Q(tension_after__isnull=True) | Q(tension_after__lte=10),
                name="sessionlog_tension_after_range",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="sessionlog_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(steps_completed__lte=F("steps_total")) | Q(steps_total=0),
                name="sessionlog_steps_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.routine_id} on {self.local_date}"

    def clean(self) -> None:
        """The rules a member can break, each with a message on the field to fix.

        Field ranges (tension 0-10, rating 1-5, notes length, sides) are field validators;
        this checks what spans fields. The database constraints repeat the invariants.
        """
        errors: dict[str, str] = {}
        start, end = self.started_at, self.ended_at
        latest = django_timezone.now() + SESSION_CLOCK_SKEW
        if start is not None and start > latest:
            errors["started_at"] = "The start cannot be in the future."
        elif start is not None and start < SESSION_EARLIEST:
            errors["started_at"] = SESSION_TOO_EARLY_MESSAGE
        if end is not None and end > latest:
            errors["ended_at"] = "The end cannot be in the future."
        if start is not None and end is not None and "ended_at" not in errors:
            seconds = (end - start).total_seconds()
            if seconds < 0:
                errors["ended_at"] = "The end cannot be before the start."
            elif seconds < 1:
                errors["ended_at"] = "A session lasts at least 1 second."
            elif seconds > SESSION_MAX_SECONDS:
                errors["ended_at"] = "A session lasts at most 4 hours."
        if (
            self.steps_total
            and self.steps_completed is not None
            and self.steps_completed > self.steps_total
        ):
            errors["steps_completed"] = (
                f"This routine has {self.steps_total} steps: at most {self.steps_total} "
                "can be completed."
            )
        elif self.steps_total and self.steps_completed == 0:
            # Skipping through a routine is not practising it: no streak, no minutes.
            errors["steps_completed"] = NOTHING_DONE_MESSAGE
        if errors:
            raise ValidationError(errors)


class RestDay(models.Model):
    """A day the member marked as rest: it keeps their streak alive."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rest_days"
    )
    local_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="restday_unique_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} rests on {self.local_date}"


class Favourite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="favourited_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "series"], name="favourite_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.series}"


class SafetyAcknowledgement(models.Model):
    """The member confirmed a series' contraindication checklist before their first session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_acks"
    )
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="safety_acks")
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "series"], name="safety_ack_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} acknowledged {self.series}"


class PracticePlan(models.Model):
    """A member's rest rules: planned rest weekdays and how many ad-hoc rest days a week."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_plan"
    )
    rest_weekdays = models.JSONField(
        default=list, blank=True, help_text="Weekday numbers, Monday is 0."
    )
    rest_days_per_week = models.PositiveSmallIntegerField(
        default=1, help_text="How many 'rest today' marks a week keep the streak."
    )

    def __str__(self) -> str:
        return f"Practice plan of {self.user}"
