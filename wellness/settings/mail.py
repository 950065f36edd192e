"""Email (SMTP, files or a provider through django-anymail) and Celery with its beat."""

from wellness import config
from wellness.config import env
from wellness.settings.auth import *

# --- Email ----------------------------------------------------------------------
_email = config.email("EMAIL_URL", "filemail://", file_dir=VAR_DIR / "mail")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
EMAIL_TIMEOUT = config.integer("EMAIL_TIMEOUT", 10)
# A provider through django-anymail replaces the backend without code changes, e.g.
# EMAIL_BACKEND_OVERRIDE=anymail.backends.postmark.EmailBackend and ANYMAIL_POSTMARK_SERVER_TOKEN.
EMAIL_BACKEND = env.str("EMAIL_BACKEND_OVERRIDE", default="") or EMAIL_BACKEND


def _anymail_value(name: str, raw: str) -> object:
    """ANYMAIL_* env values: true/false become booleans, JSON objects/lists are parsed
    (ANYMAIL_SEND_DEFAULTS='{"track_clicks": false}'), everything else stays a string."""
    import json

    lowered = raw.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if raw.strip()[:1] in {"{", "["}:
        try:
            return json.loads(raw)
        except ValueError:
            raise ConfigError(f"{name} starts like JSON but is not valid JSON.") from None
    return raw


ANYMAIL = {
    key.removeprefix("ANYMAIL_"): _anymail_value(key, value)
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}
# Optional second List-Unsubscribe target (RFC 2369), e.g. unsubscribe@kneadful.example;
# the https one-click link is always there.
EMAIL_UNSUBSCRIBE_MAILTO = env.str("EMAIL_UNSUBSCRIBE_MAILTO", default="")
# First retry delay (seconds) of email tasks after a transient failure; doubles each time
# (with jitter), capped at 30 minutes, 8 retries.
EMAIL_RETRY_BACKOFF = config.integer("EMAIL_RETRY_BACKOFF", 30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kneadful <hello@kneadful.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------
# Embedded default: kombu's filesystem transport (one host, no server). With
# REDIS_URL set, Redis is the broker. Results are not stored: tasks write to the database.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"  # the host is ignored; naming it quiets kombu
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Celery worker lowers its own CPU priority to a nice value as it starts (0 to 19; 0
# leaves it as started): on a machine shared with gunicorn, members' pages get the CPU
# first, reminders (the "celery" queue: due at a member's chosen minute) next, campaigns
# (only the "bulk" queue) what is left (wellness.celery; docs/benchmarks.md, "Mixed load").
WORKER_NICENESS = config.niceness("WORKER_NICENESS", 10)
BULK_WORKER_NICENESS = config.niceness("BULK_WORKER_NICENESS", 15)
CELERY_TASK_ALWAYS_EAGER = config.flag("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
HEARTBEAT_SECONDS = config.integer("HEARTBEAT_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "wellness.tasks.heartbeat", "schedule": HEARTBEAT_SECONDS},
    # Reminders: the ONE dispatch entry (it reads next_run_at; no per-member tasks) and the
    # sweep that re-queues rows a crashed worker left unsent, every minute: together they
    # bound a crash's delay (reminders.services.dispatch: REMINDER_DISPATCH_EVERY and
    # REMINDER_SWEEP_EVERY must match these). Expiry drops a stale cycle.
    "reminders-dispatch": {
        "task": "reminders.tasks.reminders_dispatch",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "reminders-sweep": {
        "task": "reminders.tasks.reminders_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Scheduled series: the ONE entry that publishes every series whose time has come.
    "series-publish-due": {
        "task": "routines.tasks.series_publish_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}
