"""Reminder schedules (when to nudge a member) and their ledger (one row per firing).

The tables keep the names they had when reminders lived in accounts
(``accounts_reminderschedule``, ``accounts_reminderoccurrence``): the move to this app
changed no row (see migrations/0001_initial.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_timezone


def validate_weekdays(value: object) -> None:
    """Weekdays are a non-empty list of distinct integers 0-6 (Monday is 0)."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one day."), code="weekdays_empty")
    if any(isinstance(day, bool) or not isinstance(day, int) for day in value):
        raise ValidationError(_("Days are numbers from 0 (Monday) to 6 (Sunday)."), code="weekdays")
    if any(day < 0 or day > 6 for day in value):
        raise ValidationError(_("Days are numbers from 0 (Monday) to 6 (Sunday)."), code="weekdays")
    if len(set(value)) != len(value):
        raise ValidationError(_("Each day can be chosen once."), code="weekdays_repeated")


class ReminderSchedule(models.Model):
    """When a member wants a reminder email: some weekdays at a local time in an IANA zone.

    ``next_run_at`` (UTC) is the next instant it fires; the dispatcher reads only that
    column, through a partial index on active rows. A schedule whose ``timezone`` equals
    the member's profile zone follows the profile when the member moves.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="reminder_schedules"
    )
    weekdays = models.JSONField(
        default=list,
        validators=[validate_weekdays],
        help_text=_("Days it fires: 0 is Monday, 6 is Sunday."),
    )
    local_time = models.TimeField(help_text=_("Local time of day, in the schedule's zone."))
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    routine = models.ForeignKey(
        "routines.Routine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The routine the reminder suggests (optional)."),
    )
    active = models.BooleanField(default=True)
    skip_if_practised = models.BooleanField(
        default=False, help_text=_("No email on a day I have already practised.")
    )
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "accounts_reminderschedule"
        indexes = [
            models.Index(
                fields=["next_run_at"],
                condition=models.Q(active=True),
                name="reminder_due_idx",
            ),
            models.Index(fields=["user", "created_at"], name="reminder_user_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active=False) | models.Q(next_run_at__isnull=False),
                name="reminder_active_has_next_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.local_time:%H:%M} {self.timezone}"


class ReminderOccurrence(models.Model):
    """The ledger: one row per schedule firing, unique per (schedule, instant).

    Status moves queued -> sending -> sent (or failed, or back to queued for a retry);
    skipped_* rows record why nothing was sent. The send task claims ``queued`` rows
    atomically, so a task delivered twice sends each occurrence once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED_LATE = "skipped_late", _("Skipped: more than an hour late")
        SKIPPED_PRACTISED = "skipped_practised", _("Skipped: already practised that day")
        SKIPPED_NOT_ALLOWED = "skipped_not_allowed", _("Skipped: recipient not allowed")
        FAILED = "failed", _("Failed")

    class Action(models.TextChoices):
        NONE = "", _("None")
        DONE = "done", _("I did it")
        REST = "rest", _("Rest today")

    schedule = models.ForeignKey(
        ReminderSchedule, on_delete=models.CASCADE, related_name="occurrences"
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="reminder_occurrences"
    )
    due_at = models.DateTimeField(help_text=_("The instant the schedule fired (UTC)."))
    local_date = models.DateField(help_text=_("The member's calendar day of the occurrence."))
    routine = models.ForeignKey(
        "routines.Routine", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    dispatch_token = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    action = models.CharField(max_length=4, choices=Action.choices, blank=True, default="")
    acted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "accounts_reminderoccurrence"
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_at"], name="reminder_occurrence_once"),
        ]
        indexes = [
            # The sweep reads only rows that are not finished.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="reminder_occ_unsent_idx",
            ),
            models.Index(fields=["user", "due_at"], name="reminder_occ_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} at {self.due_at:%Y-%m-%d %H:%M}Z: {self.status}"
