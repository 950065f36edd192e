"""The database and the cache (Redis when REDIS_URL is set, else memory)."""

from wellness import config
from wellness.settings.base import *

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": config.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kneadful.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = config.integer("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif config.flag("DATABASE_PREPARED_STATEMENTS", default=True):
    # PostgreSQL: bind parameters on the server and let psycopg prepare a statement
    # after its 5th run on a connection, so the busy queries are parsed and planned once
    # per connection instead of once per request. Turn off behind a pooler that cannot
    # keep prepared statements (PgBouncer in transaction mode before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------
# Redis is a cache and the broker, never the record: every page and API operation keeps
# working (on the database) while it cannot be reached, and uses it again as soon as it
# is back, without a restart. Two aliases on the same Redis:
# - "default" (fragments, rate-limit counters): while Redis is away, each process's
#   memory stands in (wellness/cache.py), so rate limits still count;
# - "sessions" (cached_db sessions): an unreachable Redis reads as a miss, so a session is
#   read from the database, never from one process's memory that a logout elsewhere
#   could not reach.
# Short socket timeouts keep an outage from stalling requests. Without REDIS_URL: one
# memory cache per process and database sessions.
REDIS_URL = config.redis_url("REDIS_URL")
_redis_options = {
    "SOCKET_CONNECT_TIMEOUT": config.number("REDIS_CONNECT_TIMEOUT", 0.25),
    "SOCKET_TIMEOUT": config.number("REDIS_TIMEOUT", 0.5),
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "wellness.cache.RedisOrMemoryCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": _redis_options,
        },
        "sessions": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sessions",
            "OPTIONS": {**_redis_options, "IGNORE_EXCEPTIONS": True},
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# What the "sessions" alias could not do while Redis is away is logged, not raised.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "kneadful.cache"
