"""The cache: Django's Redis backend with one client per pool, and forgetting on commit.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
call; its constructor fills a table of ~170 response callbacks each time, which costs
more CPU than the round trip to Redis. A ``redis.Redis`` is safe to share (each
command borrows a connection from the pool), so this client builds one per pool and
reuses it. Everything else is Django's backend, unchanged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends import redis as django_redis
from django.db import connection, transaction


def cache_forget(keys: list[str]) -> None:
    """Delete cache entries a database write makes stale: at once, and again when the
    write's transaction commits (a reader in between may have stored the old value).
    Outside a transaction the write has already committed, so once is enough."""
    cache.delete_many(keys)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))


def get_and_set(key: str, set_key: str, value: Any, *, milliseconds: int) -> Any:
    """``cache.get(key)``, and ``cache.set(set_key, value)`` for ``milliseconds``: in one
    round trip on Redis (``RedisCache.get_and_set``), one after the other elsewhere."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.get_and_set(key, set_key, value, milliseconds)
    backend.set(set_key, value, milliseconds / 1000)
    return backend.get(key)


def local_first_get(key: str, *, local_seconds: int) -> Any:
    """From this process's memory (the "local" cache), else from the shared cache (then
    kept in memory for ``local_seconds``). Only for entries whose key says exactly what
    they hold, or that may be ``local_seconds`` late in other processes."""
    local = caches["local"]
    value = local.get(key)
    if value is None and settings.CACHE_IS_SHARED:
        value = cache.get(key)
        if value is not None:
            local.set(key, value, local_seconds)
    return value


def local_first_set(key: str, value: Any, *, local_seconds: int, shared_seconds: int) -> None:
    caches["local"].set(key, value, local_seconds)
    if settings.CACHE_IS_SHARED:
        cache.set(key, value, shared_seconds)


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def get_and_set(self, key: str, set_key: str, value: Any, milliseconds: int) -> Any:
        """``get(key)``, and ``set(set_key, value)`` for ``milliseconds``, in one round trip
        (a pipeline, not a transaction: the two are independent)."""
        client = self._cache.get_client(write=True)
        serializer = self._cache._serializer
        pipeline = client.pipeline(transaction=False)
        pipeline.get(self.make_and_validate_key(key))
        pipeline.set(self.make_and_validate_key(set_key), serializer.dumps(value), px=milliseconds)
        raw, _ = pipeline.execute()
        return None if raw is None else serializer.loads(raw)
