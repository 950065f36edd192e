"""The routine library (body parts, series, routines, steps) and what members did with it."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _

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


class BodyPart(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class SeriesQuerySet(models.QuerySet):
    def published(self) -> "SeriesQuerySet":
        return self.filter(status=Series.Status.PUBLISHED)

    def due(self, now: dt.datetime) -> "SeriesQuerySet":
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


# --- Aggregates kept by the session log services (read by the dashboard and me/stats) ---


class DailyActivity(models.Model):
    """One member's sessions on one of their local days, summed.

    Written only by ``routines.services`` in the same transaction as the log itself,
    so the dashboard reads a few hundred small rows instead of every log.
    ``manage.py rebuild_member_stats`` recomputes it from the logs.
    """

    user = models.ForeignKey(  # indexed by the (user, local_date) constraint
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="daily_activity",
        db_index=False,
    )
    local_date = models.DateField()
    sessions = models.IntegerField(default=0)
    seconds = models.IntegerField(default=0)
    relief_sum = models.IntegerField(default=0, help_text="Sum of tension before minus after.")
    relief_count = models.IntegerField(default=0, help_text="Sessions with both tensions set.")

    class Meta:
        verbose_name_plural = "daily activity"
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="dailyactivity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.local_date}: {self.sessions}"


class BodyPartActivity(models.Model):
    """All-time sessions and seconds of one member per body part (of the routine's series)."""

    user = models.ForeignKey(  # indexed by the (user, body_part) constraint
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="body_part_activity",
        db_index=False,
    )
    body_part = models.ForeignKey(BodyPart, on_delete=models.CASCADE, related_name="+")
    sessions = models.IntegerField(default=0)
    seconds = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "body part activity"
        constraints = [
            models.UniqueConstraint(fields=["user", "body_part"], name="bodypartactivity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.body_part_id}: {self.sessions}"


class MemberStatsSnapshot(models.Model):
    """The member's computed stats for one local day, a cache kept in the database.

    Every write to the member's logs, rest days or plan clears ``data`` and bumps
    ``generation`` in its own transaction; a reader stores fresh figures only if the
    generation it saw before computing is still current, so a slow reader never
    stores figures older than a concurrent write.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stats_snapshot",
    )
    generation = models.BigIntegerField(default=0)
    computed_for = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    data = models.JSONField(null=True, blank=True, help_text="The figures, without the calendar.")
    calendar = models.JSONField(
        null=True, blank=True, help_text="Per day of the last 12 months: minutes, sessions, rest."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Stats of {self.user_id} for {self.computed_for}"


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
