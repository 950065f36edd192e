"""The cache: Django's Redis backend with one client per pool, and forgetting on commit.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
call; its constructor fills a table of ~170 response callbacks each time, which costs
more CPU than the round trip to Redis. A ``redis.Redis`` is safe to share (each
command borrows a connection from the pool), so this client builds one per pool and
reuses it. It can also send a ``SET`` without waiting for the reply
(``set_without_waiting``). Everything else is Django's backend, unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends import redis as django_redis
from django.db import connection, transaction

logger = logging.getLogger(__name__)


def cache_forget(keys: list[str]) -> None:
    """Delete cache entries a database write makes stale: at once, and again when the
    write's transaction commits (a reader in between may have stored the old value).
    Outside a transaction the write has already committed, so once is enough."""
    cache.delete_many(keys)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))


def set_without_waiting(key: str, value: Any, *, milliseconds: int) -> Sent:
    """``cache.set(key, value)`` for ``milliseconds``, sent now and confirmed later
    (``Sent.settle``), so the caller goes on with its work while Redis answers instead
    of sleeping until it does. On other backends, set at once."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.set_without_waiting(key, value, milliseconds)
    backend.set(key, value, milliseconds / 1000)
    return Sent(None, None, ok=True)


class Sent:
    """A command sent to Redis on a connection kept out of the pool until its reply is
    read: ``settle()`` reads it (by then usually waiting in the socket), puts the
    connection back and says whether the command succeeded. Settle every one."""

    def __init__(self, pool: Any, connection: Any, *, ok: bool = False) -> None:
        self._pool = pool
        self._connection = connection
        self._ok = ok

    def settle(self) -> bool:
        if self._connection is None:
            return self._ok
        connection, self._connection = self._connection, None
        try:
            connection.read_response()
            self._ok = True
        except redis.ResponseError:
            logger.warning("Redis refused a command sent without waiting", exc_info=True)
            self._ok = False
        except Exception:  # lost with the connection: the command may not have run
            logger.warning("Redis did not confirm a command sent without waiting", exc_info=True)
            connection.disconnect()
            self._ok = False
        finally:
            self._pool.release(connection)
        return self._ok


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

    def set_without_waiting(self, key: str, value: Any, milliseconds: int) -> Sent:
        """``set(key, value)`` for ``milliseconds``, sent without waiting for the reply
        (``wellness.cache.set_without_waiting``)."""
        key = self.make_and_validate_key(key)
        value = self._cache._serializer.dumps(value)
        pool = self._cache.get_client(write=True).connection_pool
        connection = pool.get_connection()
        try:
            try:
                connection.send_command("SET", key, value, "PX", milliseconds)
            except redis.ConnectionError:  # e.g. Redis restarted since: reconnect once
                connection.disconnect()
                connection.send_command("SET", key, value, "PX", milliseconds)
        except BaseException:
            pool.release(connection)
            raise
        return Sent(pool, connection)
