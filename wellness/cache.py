"""The default cache: Redis, standing in this process's memory while Redis is away.

django-redis's ``IGNORE_EXCEPTIONS`` turns an unreachable Redis into misses and
dropped writes. That is right for sessions (``cached_db`` then reads the database,
the record: the ``sessions`` alias), but not for what counts in the cache: allauth's
rate limits take a lock with ``cache.add`` and answer 429 when they cannot, so login
and signup would refuse everyone during an outage. This backend instead does each
operation Redis cannot answer on a per-process memory cache, and tries Redis again
``RETRY_SECONDS`` later, so during an outage rate limits still count (per process) and
fragments are still reused, and nothing waits on a dead server more than once per
``RETRY_SECONDS``. Only entries that are safe per process may live in this alias:
fragments keyed by what they show, counters. Nothing here decides who is signed in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache

logger = logging.getLogger("kneadful.cache")

# What an unreachable or failing Redis raises through django-redis.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


class RedisOrMemoryCache(RedisCache):
    """django-redis, with this process's memory standing in while Redis is away."""

    RETRY_SECONDS = 2.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {**params.get("OPTIONS", {}), "IGNORE_EXCEPTIONS": False}}
        super().__init__(server, params)
        self._memory = LocMemCache(f"kneadful-standin-{server}", {"OPTIONS": {"MAX_ENTRIES": 2000}})
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _either(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except UNREACHABLE as exc:
                with self._lock:
                    if self._down_until == 0.0:
                        logger.warning("Redis unreachable (%s): caching in memory", exc)
                    self._down_until = time.monotonic() + self.RETRY_SECONDS
            else:
                if self._down_until:
                    with self._lock:
                        if self._down_until:
                            logger.warning("Redis is back: caching there again")
                        self._down_until = 0.0
                return result
        return getattr(self._memory, name)(*args, **kwargs)


def _through_either(name: str) -> Callable[..., Any]:
    def method(self: RedisOrMemoryCache, *args: Any, **kwargs: Any) -> Any:
        return self._either(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "set_many",
    "delete_many",
    "has_key",
    "incr",
    "decr",
    "clear",
):
    setattr(RedisOrMemoryCache, _name, _through_either(_name))
