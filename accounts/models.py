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


# --- Email preferences and suppression ("what you agreed to receive") -------------------


class EmailPreference(models.Model):
    """One row per member: which non-transactional categories they want.

    Created lazily: a member without a row has the defaults below (reminders and
    newsletter on, offers off), so reads go through ``email_preferences_for``.
    Transactional mail (verification, password reset) is not a preference.
    """

    DEFAULTS = {"reminders": True, "newsletter": True, "offers": False}

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="email_preference", primary_key=True
    )
    reminders = models.BooleanField(
        default=True, help_text="Emails at the times you chose for your practice reminders."
    )
    newsletter = models.BooleanField(
        default=True, help_text="An occasional letter with new routines and series."
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
