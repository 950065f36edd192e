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

from wellness.cache import Sent, cache_forget, set_without_waiting

USER_CACHE_SECONDS = 300
# How long a process remembers which member a session key or an API token belongs to.
OWNER_SECONDS = 15 * 60


def user_cache_key(user_id: Any) -> str:
    return f"accounts:user:v1:{user_id}"


def token_cache_key(token_key: str) -> str:
    # A digest, so the cache never holds the API tokens themselves.
    return f"accounts:token:v1:{hashlib.blake2b(token_key.encode(), digest_size=16).hexdigest()}"


def user_cache_drop(user_id: Any) -> None:
    """Forget the cached user, now and on commit. (DRF's token table, whose keys were
    cached here too, is gone: ``accounts.ApiToken`` keys are never cached.)"""
    cache_forget([user_cache_key(user_id)])


def token_cache_drop(token_key: str) -> None:
    cache_forget([token_cache_key(token_key)])


def token_user(token_key: str, load: Callable[[str], Any]) -> Any:
    """The user of an API token: ``load(token_key)`` (None if unknown), cached like
    ``get_user`` when the cache is shared; dropped when the token or the user changes."""
    if not settings.CACHE_IS_SHARED:
        return load(token_key)
    key = token_cache_key(token_key)
    user = cache.get(key)
    if user is None:
        user = load(token_key)
        if user is not None:
            cache.set(key, user, USER_CACHE_SECONDS)
    return user


# --- The token's member as this process last read it (for writes that check it) ----------


def _member_key(token_key: str) -> str:
    return f"{token_cache_key(token_key)}:member"


def remember_token_member(token_key: str, user: Any) -> None:
    """Keep ``user``, as just read for this API token, in this process for OWNER_SECONDS."""
    if settings.CACHE_IS_SHARED:
        caches["session-owners"].set(_member_key(token_key), user, OWNER_SECONDS)


def remembered_token_member(token_key: str) -> Any:
    """The member this process last read for the token, as they were then, or None.

    Not a proof of anything: the token may have been deleted and the member changed
    since. Only for a write that checks, in its own statement, that the token still
    belongs to this member with the same attributes (``routines.services``), and that
    calls ``forget_token_member`` when it does not."""
    if not settings.CACHE_IS_SHARED:
        return None
    return caches["session-owners"].get(_member_key(token_key))


def forget_token_member(token_key: str) -> None:
    caches["session-owners"].delete(_member_key(token_key))


# --- Cache entries a request sets ahead of its write -------------------------------------

# Per request: key -> (when it was sent, its pending confirmation).
_written_ahead: contextvars.ContextVar[dict[str, tuple[float, Sent]] | None] = (
    contextvars.ContextVar("written_ahead", default=None)
)


def write_ahead(key: str, value: Any, milliseconds: int) -> None:
    """Set a cache entry for a write this request is about to make, without waiting for
    the cache's answer (``written_ahead`` reads it)."""
    sent = set_without_waiting(key, value, milliseconds=milliseconds)
    _written_ahead.set({**(_written_ahead.get() or {}), key: (time.monotonic(), sent)})


def written_ahead(key: str) -> float | None:
    """When (``time.monotonic()``) this request set ``key`` with ``write_ahead``, once
    the cache confirmed it; None if it did not or the request never set it."""
    at, sent = (_written_ahead.get() or {}).get(key, (None, None))
    if sent is None or not sent.settle():
        return None
    return at


def written_ahead_forget(**kwargs: Any) -> None:
    """Connected to ``request_started`` and ``request_finished``: settles what the
    request sent (its connections go back to the pool), and nothing written for one
    request counts for another."""
    for _, sent in (_written_ahead.get() or {}).values():
        sent.settle()
    _written_ahead.set(None)


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
