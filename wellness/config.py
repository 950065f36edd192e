"""Reading Kneadful's configuration from the environment, with clear messages.

django-environ does the parsing; this module turns its exceptions into one
``ConfigError`` that names the variable and what a valid value looks like, so
``manage.py`` and the WSGI entry point can print a sentence instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def string_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default="")
    if not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database(name: str, default: str) -> dict[str, Any]:
    url = env.str(name, default="") or default
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_DB_SCHEMES:
        raise ConfigError(
            f"{name}={url!r} is not a database URL Kneadful understands; "
            "use postgres://user:password@host:5432/dbname or sqlite:////absolute/path.sqlite3."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ConfigError(f"{name}={url!r} could not be parsed: {exc}") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ConfigError(f"{name}={url!r} names no database (the path after the host).")
    return config


def email(name: str, default: str, file_dir: Path) -> dict[str, Any]:
    url = env.str(name, default="") or default
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_EMAIL_SCHEMES:
        raise ConfigError(
            f"{name}={url!r} is not an email URL Kneadful understands; use smtp://host:port, "
            "smtps://user:password@host:465, consolemail:// or filemail:///absolute/folder."
        )
    try:
        config = environ.Env.email_url_config(url)
    except Exception as exc:
        raise ConfigError(f"{name}={url!r} could not be parsed: {exc}") from None
    if scheme == "filemail":
        # django-environ drops the leading slash of the path; keep it absolute.
        config["EMAIL_FILE_PATH"] = urlsplit(url).path or str(file_dir)
    return config


def path(name: str, default: Path) -> Path:
    raw = env.str(name, default="")
    return Path(raw).resolve() if raw else default
