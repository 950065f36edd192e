"""Sessions: Django's ``cached_db``, reading the signed-in member in the same round trip.

A signed-in request reads its session, then the member whose id is inside it: two round
trips to the cache, one after the other. Which member a session key belongs to never
changes (Django makes a new key at login and deletes the session at logout), so each
process remembers it after the first read; from then on the session, the cached member
and the keys registered with ``accounts.backends.read_with_user`` come in one ``MGET``.
The session's own member id is still checked against the remembered one, and Django's
authentication (the backend path, the session's password hash) runs unchanged on the
member read here (``accounts.backends.CachedUserMixin.get_user``).

Used as ``SESSION_ENGINE`` when the cache is shared by every process (Redis).
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.core.cache import caches

from accounts.backends import OWNER_SECONDS, member_cache_keys

# The cache entries read with this request's session (key -> value or None).
_read_with_session: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "read_with_session", default=None
)


def read_with_session() -> dict[str, Any] | None:
    return _read_with_session.get()


def read_with_session_forget(**kwargs: Any) -> None:
    """Connected to ``request_started``: nothing read for one request serves another."""
    _read_with_session.set(None)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        _read_with_session.set(None)
        owner_key = f"accounts:session-owner:{self.session_key}"
        owners = caches["session-owners"]
        owner = owners.get(owner_key) if self.session_key else None
        if owner is not None:
            extra = member_cache_keys(owner)
            try:
                found = self._cache.get_many([self.cache_key, *extra])
            except Exception:  # as cached_db: a cache error reads the database instead
                found = {}
            data = found.get(self.cache_key)
            if data is not None and str(data.get(SESSION_KEY)) == str(owner):
                _read_with_session.set({key: found.get(key) for key in extra})
                return data
        data = super().load()
        if self.session_key and data.get(SESSION_KEY) is not None:
            owners.set(owner_key, data[SESSION_KEY], OWNER_SECONDS)
        return data
