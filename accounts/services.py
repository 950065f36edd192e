"""Every write about members: profile, deletion, API tokens."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from accounts.models import EmailPreference, EmailSuppression, User


@transaction.atomic
def user_profile_update(
    *, user: User, display_name: str | None = None, timezone: str | None = None
) -> User:
    """Change profile fields; everything computed in the member's zone follows a timezone change."""
    fields: list[str] = []
    if display_name is not None:
        user.display_name = display_name
        fields.append("display_name")
    if timezone is not None:
        user.timezone = timezone
        fields.append("timezone")
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=fields)
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the member and everything that is theirs (cascades through foreign keys)."""
    user.delete()


def user_api_token(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@transaction.atomic
def demo_accounts_ensure(*, password: str) -> list[User]:
    """A verified demo member and a staff editor, for ``make run``."""
    from allauth.account.models import EmailAddress

    accounts = []
    for email, name, staff in [
        ("member@kneadful.local", "Demo Member", False),
        ("editor@kneadful.local", "Demo Editor", True),
    ]:
        user, _ = User.objects.get_or_create(email=email)
        user.display_name = name
        user.is_staff = staff
        user.timezone = user.timezone or "UTC"
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        accounts.append(user)
    return accounts


# --- Email preferences and suppression ------------------------------------------------

EMAIL_CATEGORIES = ("reminders", "newsletter", "offers")


def _email_category_check(category: str) -> None:
    if category not in EMAIL_CATEGORIES:
        raise ValueError(f"Unknown email category {category!r}; use one of {EMAIL_CATEGORIES}.")


@transaction.atomic
def email_preferences_update(
    *, user: User, reminders: bool, newsletter: bool, offers: bool
) -> EmailPreference:
    """Store the member's choice for every non-transactional category at once."""
    preference, _ = EmailPreference.objects.update_or_create(
        user=user,
        defaults={"reminders": reminders, "newsletter": newsletter, "offers": offers},
    )
    return preference


@transaction.atomic
def email_category_set(*, user: User, category: str, enabled: bool) -> EmailPreference:
    """Turn one category on or off, leaving the others as they are (defaults if never saved)."""
    _email_category_check(category)
    preference, _ = EmailPreference.objects.select_for_update().get_or_create(
        user=user, defaults=dict(EmailPreference.DEFAULTS)
    )
    if getattr(preference, category) != enabled:
        setattr(preference, category, enabled)
        preference.save(update_fields=[category, "updated_at"])
    return preference


def email_unsubscribe(*, user: User, category: str) -> EmailPreference:
    """Stop one category (the one-click link in every email). Doing it twice changes nothing."""
    return email_category_set(user=user, category=category, enabled=False)


def email_resubscribe(*, user: User, category: str) -> EmailPreference:
    return email_category_set(user=user, category=category, enabled=True)


def email_suppress(
    *, address: str, reason: str = EmailSuppression.Reason.MANUAL, detail: str = ""
) -> EmailSuppression:
    """Put an address on the suppression list (idempotent: the first reason is kept)."""
    normalized = address.strip().lower()
    existing = EmailSuppression.objects.filter(address__iexact=normalized).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return EmailSuppression.objects.create(
                address=normalized, reason=reason, detail=detail[:2000]
            )
    except IntegrityError:  # a concurrent bounce for the same address won the race
        return EmailSuppression.objects.get(address__iexact=normalized)


def email_unsuppress(*, address: str) -> int:
    """Remove an address from the suppression list; returns how many rows went."""
    deleted, _ = EmailSuppression.objects.filter(address__iexact=address.strip()).delete()
    return deleted
