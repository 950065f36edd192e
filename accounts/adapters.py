"""allauth integration for Kneadful accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Builds absolute links in account emails from ``SITE_URL``.

    Serves ``ACCOUNT_ADAPTER``: https://docs.allauth.org/en/latest/account/advanced.html#custom-redirects
    Email confirmation and password reset links must point at the public site even
    when a worker or a proxy sees a different host.
    """

    def clean_email(self, email: str) -> str:
        """Refuse an address longer than the account's email field, with a message,
        instead of letting allauth cut it to fit (it would then confirm an address that
        is not the one typed). Serves the signup and the add/change email forms."""
        email = super().clean_email(email)
        limit = User._meta.get_field("email").max_length
        if limit is not None and len(email) > limit:
            raise ValidationError(
                _(
                    "This email address is %(length)d characters long; Kneadful can store "
                    "addresses of up to %(limit)d characters. Please use a shorter address."
                ),
                code="max_length",
                params={"length": len(email), "limit": limit},
            )
        return email

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        url = super().get_email_confirmation_url(request, emailconfirmation)
        return self._on_site(url)

    def get_reset_password_from_key_url(self, key: str) -> str:
        return self._on_site(super().get_reset_password_from_key_url(key))

    def _on_site(self, url: str) -> str:
        parts = urlsplit(url)
        path = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
        return f"{settings.SITE_URL}{path}"
