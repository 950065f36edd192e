import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from accounts.validators import validate_timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if extra.get("is_staff") is not True or extra.get("is_superuser") is not True:
            raise ValueError("A superuser needs is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A Kneadful member. Email is the login; there is no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. Europe/London: days and reminder times are counted in it.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]


# --- Reminders ------------------------------------------------------------------------


def validate_weekdays(value: object) -> None:
    """Weekdays are a non-empty list of distinct integers 0-6 (Monday is 0)."""
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one day.", code="weekdays_empty")
    if any(isinstance(day, bool) or not isinstance(day, int) for day in value):
        raise ValidationError("Days are numbers from 0 (Monday) to 6 (Sunday).", code="weekdays")
    if any(day < 0 or day > 6 for day in value):
        raise ValidationError("Days are numbers from 0 (Monday) to 6 (Sunday).", code="weekdays")
    if len(set(value)) != len(value):
        raise ValidationError("Each day can be chosen once.", code="weekdays_repeated")


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
        help_text="Days it fires: 0 is Monday, 6 is Sunday.",
    )
    local_time = models.TimeField(help_text="Local time of day, in the schedule's zone.")
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    routine = models.ForeignKey(
        "routines.Routine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The routine the reminder suggests (optional).",
    )
    active = models.BooleanField(default=True)
    skip_if_practised = models.BooleanField(
        default=False, help_text="No email on a day I have already practised."
    )
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED_LATE = "skipped_late", "Skipped: more than an hour late"
        SKIPPED_PRACTISED = "skipped_practised", "Skipped: already practised that day"
        SKIPPED_NOT_ALLOWED = "skipped_not_allowed", "Skipped: recipient not allowed"
        FAILED = "failed", "Failed"

    class Action(models.TextChoices):
        NONE = "", "None"
        DONE = "done", "I did it"
        REST = "rest", "Rest today"

    schedule = models.ForeignKey(
        ReminderSchedule, on_delete=models.CASCADE, related_name="occurrences"
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="reminder_occurrences"
    )
    due_at = models.DateTimeField(help_text="The instant the schedule fired (UTC).")
    local_date = models.DateField(help_text="The member's calendar day of the occurrence.")
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


# --- Email preferences and suppression ("what you agreed to receive") -------------------


class EmailPreference(models.Model):
    """One row per member: which non-transactional categories they want.

    Created lazily: a member without a row has the defaults below (reminders on; the
    newsletter and offers off until the member opts in), so reads go through
    ``email_preferences_for``. Transactional mail (verification, password reset) is not a
    preference.
    """

    DEFAULTS = {"reminders": True, "newsletter": False, "offers": False}

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="email_preference", primary_key=True
    )
    reminders = models.BooleanField(
        default=True, help_text="Emails at the times you chose for your practice reminders."
    )
    newsletter = models.BooleanField(
        default=False,
        help_text="An occasional letter with new routines and series. Off unless you turn it on.",
    )
    offers = models.BooleanField(
        default=False, help_text="Discounts and partner offers. Off unless you turn it on."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Email preferences of {self.user}"

    def allows(self, category: str) -> bool:
        return bool(getattr(self, category))


class EmailSuppressionQuerySet(models.QuerySet):
    def for_address(self, address: str) -> "EmailSuppressionQuerySet":
        """Rows for ``address`` in any case, through the LOWER(address) unique index."""
        return self.annotate(address_lower=Lower("address")).filter(
            address_lower=address.strip().lower()
        )


class EmailSuppression(models.Model):
    """An address Kneadful must not send to: hard bounce, spam complaint, or added by staff.

    Addresses are stored lower-cased; uniqueness is case-insensitive in the database too.
    """

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Added by staff"

    address = models.EmailField(max_length=254)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.MANUAL)
    detail = models.TextField(blank=True, help_text="The SMTP reply or a note.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmailSuppressionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("address"), name="accounts_suppression_address_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"
