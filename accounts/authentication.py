"""API token authentication against ``accounts.ApiToken`` (hashed, named, revocable keys)."""

from __future__ import annotations

from typing import Any

from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiToken, api_token_key_hash, api_token_password_fingerprints
from accounts.services import api_token_fingerprint_renew, api_token_use_record


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Authorization: Token <key>`` scheme, reading ``ApiToken`` by the key's hash.

    Refuses a token of an inactive member (as DRF does) and a token whose member changed
    password since it was issued, however the password was changed (allauth's forms, a
    reset, the admin, ``changepassword``, ``set_password()`` in a shell): the token holds a
    fingerprint of the member's ``get_session_auth_hash()``, which is what ends Django's
    sessions on a password change.
    """

    keyword = "Token"
    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = (
            ApiToken.objects.select_related("user").filter(key_hash=api_token_key_hash(key)).first()
        )
        if token is None:
            raise AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        fingerprints = api_token_password_fingerprints(token.user)
        matches = [constant_time_compare(token.password_fingerprint, f) for f in fingerprints]
        if not any(matches):
            raise AuthenticationFailed(_("Invalid token."))
        if not matches[0]:  # matched under a fallback secret key
            api_token_fingerprint_renew(token=token, fingerprint=fingerprints[0])
        api_token_use_record(token=token)
        return token.user, token
