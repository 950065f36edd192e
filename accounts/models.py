import hashlib
import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _

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


# --- API tokens ---------------------------------------------------------------------------

# Domain separation for the password fingerprint below; changing it ends every token.
_PASSWORD_FINGERPRINT_SALT = "kneadful.accounts.ApiToken.password"  # noqa: S105 (a salt)


def api_token_key_hash(key: str) -> str:
    """The SHA-256 (hex) of a raw API key: the only form of the key that is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_password_fingerprints(user: User) -> list[str]:
    """Digests of the member's session verification hashes, current secret first.

    ``get_session_auth_hash()`` is what Django keeps in a session to end it when the
    password changes (it is an HMAC of the password hash); a token stores a digest of it
    when issued, so any password change, however it is made, ends every token, as it
    ends every session. The digests for ``SECRET_KEY_FALLBACKS`` follow, so rotating the
    secret key does not end tokens either, again as with sessions.
    """
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return [
        hashlib.sha256(f"{_PASSWORD_FINGERPRINT_SALT}:{value}".encode()).hexdigest()
        for value in hashes
    ]


class ApiToken(models.Model):
    """A named API key of a member. Only the SHA-256 of the key is stored.

    The key is shown once, when created; ``prefix`` (its first characters) lets the member
    recognise it in the list. ``password_fingerprint`` is the member's password state
    when the token was issued (``api_token_password_fingerprints``): a token whose member
    has changed password since is refused and no longer listed.
    """

    NAME_MAX_LENGTH = 100
    PREFIX_LENGTH = 8

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    password_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=django_timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="api_token_user_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_has_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
