"""Reads about members, including the full export of a member's own data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress

from accounts.models import User

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
