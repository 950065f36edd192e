"""Writes about what a member agreed to receive: email preferences and the suppression list."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import (
    EmailPreference,
    EmailSuppression,
    User,
)

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
    existing = EmailSuppression.objects.for_address(normalized).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return EmailSuppression.objects.create(
                address=normalized, reason=reason, detail=detail[:2000]
            )
    except IntegrityError:  # a concurrent bounce for the same address won the race
        return EmailSuppression.objects.for_address(normalized).get()


def email_unsuppress(*, address: str) -> int:
    """Remove an address from the suppression list; returns how many rows went."""
    deleted, _ = EmailSuppression.objects.for_address(address).delete()
    return deleted


def email_suppression_resume(*, user: User) -> bool:
    """The member asks to get email at their address again after a bounce or a complaint.

    Staff (manual) suppressions stay: only staff lift those. Returns whether one was lifted.
    """
    deleted, _ = (
        EmailSuppression.objects.for_address(user.email)
        .exclude(reason=EmailSuppression.Reason.MANUAL)
        .delete()
    )
    return bool(deleted)
