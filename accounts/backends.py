"""Authentication backends that read the signed-in member from the cache.

Every signed-in page asks the backend for the session's user: one database query per
request, as much work as the rest of a cached page. These are Django's and allauth's
backends, unchanged, except that ``get_user`` keeps the user in the cache for a few
minutes when that cache is shared by every process (``CACHE_IS_SHARED``: Redis); with a
per-process cache they read the database as usual. Any save or delete of a user drops
the entry (at once and again on commit), so a password change still ends the other
sessions (Django compares the session's hash with the user's password) and a deleted or
deactivated account is signed out on its next request.
"""

from __future__ import annotations

import contextvars
import hashlib
import time
from collections.abc import Callable
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.cache import cache, caches

from wellness.cache import cache_forget, get_and_set

USER_CACHE_SECONDS = 300
# How long a process remembers which member a session key or an API token belongs to.
OWNER_SECONDS = 15 * 60


def user_cache_key(user_id: Any) -> str:
    return f"accounts:user:v1:{user_id}"


def token_cache_key(token_key: str) -> str:
    # A digest, so the cache never holds the API tokens themselves.
    return f"accounts:token:v1:{hashlib.blake2b(token_key.encode(), digest_size=16).hexdigest()}"


def user_cache_drop(user_id: Any) -> None:
    """Forget the cached user (by session and by API token), now and on commit."""
    from rest_framework.authtoken.models import Token

    tokens = Token.objects.filter(user_id=user_id).values_list("key", flat=True)
    cache_forget([user_cache_key(user_id), *(token_cache_key(key) for key in tokens)])


def token_cache_drop(token_key: str) -> None:
    cache_forget([token_cache_key(token_key)])


# Per request: the cache entries set in the token's round trip (see ``token_user``).
_written_ahead: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "written_ahead", default=None
)


def written_ahead(key: str) -> float | None:
    """When (``time.monotonic()``) this request set ``key`` in its token's round trip."""
    return (_written_ahead.get() or {}).get(key)


def written_ahead_forget(**kwargs: Any) -> None:
    """Connected to ``request_started``: nothing written for one request counts for another."""
    _written_ahead.set(None)


def token_user(
    token_key: str,
    load: Callable[[str], Any],
    *,
    write_ahead: Callable[[Any], tuple[str, Any, int]] | None = None,
) -> Any:
    """The user of an API token: ``load(token_key)`` (None if unknown), cached like
    ``get_user`` when the cache is shared; dropped when the token or the user changes.

    ``write_ahead(user_id)`` gives a cache entry (key, value, milliseconds) to set in the
    same round trip as reading the token, for a write the request is about to make for
    its member. Which member a token belongs to never changes (a new token is a new key),
    so once this process has seen the token it knows whose entry to set; then the entry
    is set, and ``written_ahead(key)`` says when, if the token still belongs to that
    member. The first time, nothing is set.
    """
    if not settings.CACHE_IS_SHARED:
        return load(token_key)
    key = token_cache_key(token_key)
    owners = caches["session-owners"]
    owner = owners.get(f"{key}:owner") if write_ahead is not None else None
    if owner is None:
        user = cache.get(key)
    else:
        ahead_key, value, milliseconds = write_ahead(owner)  # type: ignore[misc]
        at = time.monotonic()
        user = get_and_set(key, ahead_key, value, milliseconds=milliseconds)
    if user is None:
        user = load(token_key)
        if user is not None:
            cache.set(key, user, USER_CACHE_SECONDS)
    if user is not None and write_ahead is not None:
        if owner is not None and owner == user.pk:
            _written_ahead.set({**(_written_ahead.get() or {}), ahead_key: at})
        else:
            owners.set(f"{key}:owner", user.pk, OWNER_SECONDS)
    return user


# Other apps' per-member cache keys, read in the same round trip as the cached user.
_READ_WITH_USER: list[Callable[[Any], str]] = []


def read_with_user(key_for: Callable[[Any], str]) -> None:
    """Register ``key_for(user_id)``: a per-member cache key that signed-in requests
    read together with the user (``cached_with_user`` gives the value), saving a
    round trip to the cache for something most of the member's pages need."""
    _READ_WITH_USER.append(key_for)


def cached_with_user(user: Any, key: str) -> tuple[bool, Any]:
    """(whether ``key`` was read with the user in this request, its value or None)."""
    found = getattr(user, "_read_with_user", None)
    if found is None or key not in found:
        return False, None
    return True, found[key]


def member_cache_keys(user_id: Any) -> list[str]:
    """The cached member's key, then the keys registered with ``read_with_user``."""
    return [user_cache_key(user_id), *(key_for(user_id) for key_for in _READ_WITH_USER)]


class CachedUserMixin:
    def get_user(self, user_id: Any) -> Any:
        if not settings.CACHE_IS_SHARED:
            return super().get_user(user_id)  # type: ignore[misc]
        from accounts.sessions import read_with_session

        key, *extra = member_cache_keys(user_id)
        found = read_with_session()  # already read with this request's session?
        if found is None or key not in found:
            found = cache.get_many([key, *extra])
        user = found.get(key)
        if user is None:
            user = super().get_user(user_id)  # type: ignore[misc]
            if user is None:
                return None
            cache.set(key, user, USER_CACHE_SECONDS)
            return user
        # ``user_can_authenticate`` (is_active) is checked by the parent on a miss;
        # a cached user was active then, and a deactivation drops the entry.
        user._read_with_user = {extra_key: found.get(extra_key) for extra_key in extra}
        return user


class ModelBackend(CachedUserMixin, DjangoModelBackend):
    """Django's ``ModelBackend`` with the cached ``get_user``."""


class AuthenticationBackend(CachedUserMixin, AllauthBackend):
    """allauth's backend (email login) with the cached ``get_user``."""
