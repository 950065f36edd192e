"""Receivers of allauth's account signals, connected in ``AccountsConfig.ready()``."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.services import api_tokens_revoke


def api_tokens_end_with_password(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """A password changed, set or reset through allauth: delete the member's API tokens.

    They are refused anyway from the moment the password changes (see
    ``accounts.authentication``); this also takes them off the member's list at once.
    """
    api_tokens_revoke(user=user)
