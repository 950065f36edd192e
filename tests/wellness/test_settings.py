"""Settings come from the environment; mistakes give one clear line, never a traceback.

Each test runs ``manage.py`` in a subprocess with a clean environment, exactly as a
deployer would, so nothing here depends on the test settings module.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pytest

from tests.servers import ROOT

PRINT_SETTINGS = """
import json
from django.conf import settings
from wellness.celery import app
db = settings.DATABASES["default"]
print("SETTINGS=" + json.dumps({
    "engine": db["ENGINE"], "name": db["NAME"], "host": db.get("HOST"), "port": db.get("PORT"),
    "user": db.get("USER"), "conn_max_age": db["CONN_MAX_AGE"],
    "conn_health_checks": db.get("CONN_HEALTH_CHECKS"),
    "debug": settings.DEBUG, "allowed_hosts": settings.ALLOWED_HOSTS,
    "broker": app.conf.broker_url, "cache": settings.CACHES["default"]["BACKEND"],
    "session_cache": settings.CACHES.get(settings.SESSION_CACHE_ALIAS),
    "session_engine": settings.SESSION_ENGINE, "auth_backends": settings.AUTHENTICATION_BACKENDS,
    "email_backend": settings.EMAIL_BACKEND, "email_host": settings.EMAIL_HOST,
    "email_port": settings.EMAIL_PORT, "email_file_path": settings.EMAIL_FILE_PATH,
    "from": settings.DEFAULT_FROM_EMAIL, "heartbeat": settings.HEARTBEAT_SECONDS,
    "csrf_trusted": settings.CSRF_TRUSTED_ORIGINS, "anymail": settings.ANYMAIL,
}))
"""


def run_manage(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KNEADFUL_VAR_DIR": str(tmp_path)}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_from(tmp_path, **env: str) -> dict:
    result = run_manage(tmp_path, "shell", "-c", PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("SETTINGS="))
    return json.loads(line.removeprefix("SETTINGS="))


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "kneadful.example",
        "SITE_URL": "https://kneadful.example",
    }


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Kneadful configuration error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_embedded_default_is_sqlite_filesystem_broker_and_file_mail(tmp_path):
    conf = settings_from(tmp_path)
    assert conf["engine"] == "django.db.backends.sqlite3"
    assert conf["name"] == str(tmp_path / "kneadful.sqlite3")
    assert conf["broker"].startswith("filesystem://")
    assert conf["email_backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert conf["email_file_path"] == str(tmp_path / "mail")
    assert conf["debug"] is True
    assert (tmp_path / "broker" / "queue").is_dir()
    # A per-process cache: sessions are kept in the database only.
    assert conf["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert conf["session_engine"] == "django.contrib.sessions.backends.db"
    # Django's own backend reads the member from the database on every request.
    assert conf["auth_backends"][0] == "django.contrib.auth.backends.ModelBackend"


def test_database_url_postgres_is_parsed(tmp_path):
    conf = settings_from(
        tmp_path,
        DATABASE_URL="postgres://kneader:pw@db.internal:6543/kneadful",
        CONN_MAX_AGE="120",
    )
    assert conf["engine"] == "django.db.backends.postgresql"
    assert (conf["name"], conf["host"], conf["port"], conf["user"]) == (
        "kneadful",
        "db.internal",
        6543,
        "kneader",
    )
    assert conf["conn_max_age"] == 120
    assert conf["conn_health_checks"] is True


def test_redis_url_switches_the_celery_broker_and_cache(tmp_path):
    conf = settings_from(tmp_path, REDIS_URL="redis://127.0.0.1:6390/2")
    assert conf["broker"] == "redis://127.0.0.1:6390/2"
    # While Redis is away, each process's memory stands in for the default cache...
    assert conf["cache"] == "wellness.cache.RedisOrMemoryCache"
    # ...and sessions read the database (an unreachable Redis reads as a miss).
    assert conf["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert conf["session_cache"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert conf["session_cache"]["OPTIONS"]["IGNORE_EXCEPTIONS"] is True


def test_email_url_smtp_gives_host_and_port(tmp_path):
    conf = settings_from(
        tmp_path, EMAIL_URL="smtp://127.0.0.1:1025", DEFAULT_FROM_EMAIL="Team <team@example.org>"
    )
    assert conf["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (conf["email_host"], conf["email_port"]) == ("127.0.0.1", 1025)
    assert conf["from"] == "Team <team@example.org>"


def test_anymail_provider_without_code_changes(tmp_path):
    conf = settings_from(
        tmp_path,
        EMAIL_BACKEND_OVERRIDE="anymail.backends.postmark.EmailBackend",
        ANYMAIL_POSTMARK_SERVER_TOKEN="token-123",
    )
    assert conf["email_backend"] == "anymail.backends.postmark.EmailBackend"
    assert conf["anymail"] == {"POSTMARK_SERVER_TOKEN": "token-123"}


def test_production_allows_the_site_host_by_default(tmp_path):
    env = production_env()
    del env["ALLOWED_HOSTS"]
    conf = settings_from(tmp_path, **env)
    assert conf["debug"] is False
    assert conf["allowed_hosts"] == ["kneadful.example"]
    assert conf["csrf_trusted"] == ["https://kneadful.example"]


@pytest.mark.parametrize(
    "services",
    [
        {},
        {  # as deployed: PostgreSQL (Kneadful's backend) and Redis; check connects to neither
            "DATABASE_URL": "postgres://kneader:pw@db.internal:5432/kneadful",
            "REDIS_URL": "redis://cache.internal:6379/0",
        },
    ],
    ids=["embedded", "postgres-redis"],
)
def test_production_settings_pass_check_deploy_without_warnings(tmp_path, services):
    result = run_manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production_env(), **services
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"DATABASE_URL": "nonsense"}, ["DATABASE_URL", "postgres://"]),
        ({"DATABASE_URL": "mysql://u@h/db"}, ["DATABASE_URL"]),
        ({"DATABASE_URL": "postgres://u:hunter2@db:notaport/x"}, ["DATABASE_URL", "***"]),
        ({"DATABASE_URL": "postgres://db.internal"}, ["names no database"]),
        ({"REDIS_URL": "localhost:6379"}, ["REDIS_URL", "redis://"]),
        ({"REDIS_URL": "redis://127.0.0.1:port/0"}, ["REDIS_URL", "port"]),
        ({"EMAIL_URL": "mail.example.org"}, ["EMAIL_URL", "smtp://"]),
        ({"EMAIL_URL": "smtp://mail.example.org:twentyfive"}, ["EMAIL_URL"]),
        ({"DEBUG": "maybe"}, ["DEBUG", "true or false"]),
        ({"DEBUG": "false"}, ["SECRET_KEY must be set"]),
        ({"CONN_MAX_AGE": "forever"}, ["CONN_MAX_AGE", "whole number"]),
        ({"HEARTBEAT_SECONDS": "1.5"}, ["HEARTBEAT_SECONDS"]),
        ({"SITE_URL": "kneadful.example"}, ["SITE_URL", "https://"]),
        ({"LOG_LEVEL": "loud"}, ["LOG_LEVEL"]),
        ({"WORKER_NICENESS": "25"}, ["WORKER_NICENESS", "0 to 19"]),
        ({"BULK_WORKER_NICENESS": "-1"}, ["BULK_WORKER_NICENESS", "0 to 19"]),
    ],
)
def test_bad_configuration_gives_one_clear_line(tmp_path, env, fragments):
    result = run_manage(tmp_path, "check", **env)
    assert_one_clear_line(result, *fragments)
    assert "hunter2" not in result.stderr


def test_bad_configuration_stops_manage_py_help_too(tmp_path):
    assert_one_clear_line(run_manage(tmp_path, DATABASE_URL="nonsense"), "DATABASE_URL")


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "celery", "-A", "wellness", "worker"],
        ["-m", "celery", "-A", "wellness", "beat"],
        ["-m", "gunicorn", "wellness.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"],
    ],
    ids=["celery-worker", "celery-beat", "gunicorn"],
)
def test_bad_configuration_stops_worker_beat_and_gunicorn_with_one_line(tmp_path, command):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KNEADFUL_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env={**env, "DATABASE_URL": "postgres://u:hunter2@db:x/kneadful"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if "Kneadful configuration error" in line]
    assert len(errors) == 1
    assert "DATABASE_URL" in errors[0]
    assert "hunter2" not in output
