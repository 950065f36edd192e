"""Reading Kneadful's configuration from the environment, with clear messages.

django-environ does the parsing; this module turns its exceptions into one
``ConfigError`` that names the variable and what a valid value looks like, so
``manage.py`` and the WSGI entry point can print a sentence instead of a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

SUPPORTED_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "postgis"}
SUPPORTED_EMAIL_SCHEMES = {
    "smtp",
    "smtps",
    "smtp+tls",
    "smtp+ssl",
    "consolemail",
    "filemail",
    "memorymail",
    "dummymail",
}


class ConfigError(ImproperlyConfigured):
    """A deployer-facing configuration mistake."""


env = environ.Env()

LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def redact(url: str) -> str:
    """The URL with any password replaced, so an error message never prints a secret."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparseable URL>"


def flag(name: str, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use true or false.")


def integer(name: str, default: int) -> int:
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None


def niceness(name: str, default: int) -> int:
    """A nice value: a whole number from 0 (as started) to 19 (the lowest priority)."""
    value = integer(name, default)
    if not 0 <= value <= 19:
        raise ConfigError(f"{name}={value} must be from 0 to 19 (a nice value).")
    return value


def number(name: str, default: float) -> float:
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number (seconds, e.g. 0.5).") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be more than 0.")
    return value


def string_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default="")
    if not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def database(name: str, default: str) -> dict[str, Any]:
    url = env.str(name, default="") or default
    scheme = _scheme(url)
    if scheme not in SUPPORTED_DB_SCHEMES:
        raise ConfigError(
            f"{name}={redact(url)!r} is not a database URL Kneadful understands; "
            "use postgres://user:password@host:5432/dbname or sqlite:////absolute/path.sqlite3."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ConfigError(f"{name}={redact(url)!r} could not be parsed: {exc}") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ConfigError(f"{name}={redact(url)!r} names no database (the path after the host).")
    return config


def email(name: str, default: str, file_dir: Path) -> dict[str, Any]:
    url = env.str(name, default="") or default
    scheme = _scheme(url)
    if scheme not in SUPPORTED_EMAIL_SCHEMES:
        raise ConfigError(
            f"{name}={redact(url)!r} is not an email URL Kneadful understands; "
            "use smtp://host:port, smtps://user:password@host:465, consolemail:// or filemail:///absolute/folder."
        )
    try:
        config = environ.Env.email_url_config(url)
    except Exception as exc:
        raise ConfigError(f"{name}={redact(url)!r} could not be parsed: {exc}") from None
    if scheme.startswith("smtp"):
        try:
            urlsplit(url).port  # noqa: B018  (raises on a non-numeric port)
        except ValueError:
            raise ConfigError(f"{name}={redact(url)!r} has a port that is not a number.") from None
    if scheme == "filemail":
        # django-environ drops the leading slash of the path; keep it absolute.
        config["EMAIL_FILE_PATH"] = urlsplit(url).path or str(file_dir)
    return config


def path(name: str, default: Path) -> Path:
    raw = env.str(name, default="")
    return Path(raw).resolve() if raw else default


def redis_url(name: str) -> str:
    url = env.str(name, default="").strip()
    if not url:
        return ""
    if _scheme(url) not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"{name}={redact(url)!r} must look like redis://host:6379/0.")
    try:
        urlsplit(url).port  # noqa: B018  (raises on a non-numeric port)
    except ValueError:
        raise ConfigError(f"{name}={redact(url)!r} has a port that is not a number.") from None
    return url


def log_level(name: str, default: str) -> str:
    raw = env.str(name, default="").strip().upper() or default
    if raw not in LOG_LEVELS:
        levels = ", ".join(sorted(LOG_LEVELS))
        raise ConfigError(f"{name}={raw!r} is not a log level; use one of {levels}.")
    return raw


@contextmanager
def exit_on_config_error(*, code: int = 4) -> Iterator[None]:
    """Turn a ``ConfigError`` into one line on stderr and an exit, for process entry points.

    The default code 4 is gunicorn's "App failed to load": its master then stops instead
    of restarting workers that can never boot. Anything else only needs a non-zero code.
    """
    try:
        yield
    except ConfigError as exc:
        print(f"Kneadful configuration error: {exc}", file=sys.stderr, flush=True)
        sys.exit(code)
