"""Reads about members, including the full export of a member's own data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import QuerySet

from accounts.models import (
    ApiToken,
    EmailPreference,
    EmailSuppression,
    User,
    api_token_password_fingerprints,
)

# Apps add a section to the export by registering a function user -> JSON-able data.
# Registered in each app's AppConfig.ready(), so accounts does not import them.
EXPORT_SECTIONS: dict[str, Callable[[User], Any]] = {}


def register_export_section(name: str, builder: Callable[[User], Any]) -> None:
    EXPORT_SECTIONS[name] = builder


def member_data_export(*, user: User) -> dict[str, Any]:
    """Everything Kneadful holds about one member, as JSON-able data."""
    data: dict[str, Any] = {
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "timezone": user.timezone,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
    }
    for name, builder in sorted(EXPORT_SECTIONS.items()):
        data[name] = builder(user)
    return data


# --- API tokens -------------------------------------------------------------------------


def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    """The member's tokens that still work (not ended by a password change), newest first."""
    return ApiToken.objects.filter(
        user=user, password_fingerprint__in=api_token_password_fingerprints(user)
    ).order_by("-created_at", "-id")


def api_tokens_export_section(user: User) -> list[dict[str, Any]]:
    """The member's export: each working token's name and dates (never a key or its hash)."""
    return [
        {
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        }
        for token in api_tokens_for(user=user)
    ]


# --- Email preferences ------------------------------------------------------------------


def email_preferences_for(*, user: User) -> dict[str, bool]:
    """The member's categories as {"reminders": bool, "newsletter": bool, "offers": bool}.

    Members who never saved the preference centre have no row: they get the defaults.
    """
    row = (
        EmailPreference.objects.filter(user=user)
        .values("reminders", "newsletter", "offers")
        .first()
    )
    return dict(row) if row else dict(EmailPreference.DEFAULTS)


def email_suppression_for(*, address: str) -> EmailSuppression | None:
    return EmailSuppression.objects.for_address(address).first()


def email_export_section(user: User) -> dict[str, Any]:
    """The member's export: what they agreed to receive and whether their address is suppressed."""
    suppression = email_suppression_for(address=user.email)
    return {
        "preferences": email_preferences_for(user=user),
        "suppressed": suppression is not None,
        "suppression_reason": suppression.reason if suppression else None,
        "suppressed_at": suppression.created_at.isoformat() if suppression else None,
    }
