"""Kneadful settings: one module, every deployer-facing value from the environment.

With no environment at all it runs the embedded default (SQLite, a filesystem
Celery broker under ``var/``, email written to ``var/mail/``) in DEBUG mode.
Production is ``DEBUG=false`` plus the variables listed in README; it passes
``manage.py check --deploy``.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.core.management.utils import get_random_secret_key

from wellness import config
from wellness.config import ConfigError, env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = config.path("KNEADFUL_VAR_DIR", BASE_DIR / "var")

DEBUG = config.flag("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError("SECRET_KEY must be set when DEBUG is false (50+ random characters).")
    # Development only: a fresh key per process start is fine for the embedded default,
    # but sessions would not survive a restart, so keep one under var/.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key())
    SECRET_KEY = key_file.read_text().strip()
# Old keys, comma-separated, still accepted when checking signatures after a rotation: the
# unsubscribe links in emails already sent are signed and must keep working.
SECRET_KEY_FALLBACKS = config.string_list("SECRET_KEY_FALLBACKS", [])

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")) or not urlsplit(SITE_URL).hostname:
    raise ConfigError(f"SITE_URL={SITE_URL!r} must look like https://kneadful.example.")
# In production the public host of SITE_URL is allowed unless ALLOWED_HOSTS says otherwise.
ALLOWED_HOSTS = config.string_list(
    "ALLOWED_HOSTS",
    ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [urlsplit(SITE_URL).hostname],
)
CSRF_TRUSTED_ORIGINS = config.string_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "allauth.account",
    "anymail",
    "wellness",
    "accounts",
    "routines",
    "reminders",
    "newsletters",
    "offers",
    "editor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.MemberTimezoneMiddleware",
]

ROOT_URLCONF = "wellness.urls"
WSGI_APPLICATION = "wellness.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wellness.context_processors.site",
            ],
        },
    },
]

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

# --- Accounts -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's own (the signed-in member is read from the database on every request, so
    # deactivation and password changes act at once) and allauth's (login by email).
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "routines:dashboard"
LOGIN_URL = "account_login"

# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kneadful] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_FORMS = {  # allauth's forms with Kneadful's labels
    name: f"accounts.allauth_forms.{form}"
    for name, form in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "add_email": "AddEmailForm",
        "change_password": "ChangePasswordForm",
        "set_password": "SetPasswordForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
        "reauthenticate": "ReauthenticateForm",
    }.items()
}
# allauth's defaults already throttle failed logins per account and per IP.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = config.path("STATIC_ROOT", VAR_DIR / "staticfiles")
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = config.path("MEDIA_ROOT", VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

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

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers missing or bad credentials with the first class's challenge,
    # so API clients get 401 and `WWW-Authenticate: Token` (session first would give 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "wellness.api.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only in production (people read /api/docs/); the browsable API while developing.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_PAGINATION_CLASS": "wellness.pagination.Pagination",  # page_size checked, 1-200
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
    "EXCEPTION_HANDLER": "wellness.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kneadful API",
    "DESCRIPTION": "Routines, session logs, progress and reminders for Kneadful members.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No deep-link anchor inside each operation's toggle button: a link within a button
    # is "nested-interactive" for screen readers and keyboards (axe, issue 14).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "wellness.api.document_error_responses",
    ],
}

# --- Newsletters ---------------------------------------------------------------
# Publishing a series creates its announcement campaign: sent at once (true) or left as
# a draft for an editor (false, the default).
NEWSLETTER_AUTO_SEND = config.flag("NEWSLETTER_AUTO_SEND", default=False)
# The fan-out: recipients per chunk task (one SMTP connection each), chunks of one
# campaign in flight at once, and a global cap in messages per second (0: none).
NEWSLETTER_CHUNK_SIZE = config.integer("NEWSLETTER_CHUNK_SIZE", 500)
NEWSLETTER_PARALLEL_CHUNKS = config.integer("NEWSLETTER_PARALLEL_CHUNKS", 4)
NEWSLETTER_SEND_RATE = config.number("NEWSLETTER_SEND_RATE", 0)
# A campaign pauses itself after this many failed sends in a row (and says why).
NEWSLETTER_MAX_CONSECUTIVE_FAILURES = config.integer("NEWSLETTER_MAX_CONSECUTIVE_FAILURES", 50)
# Temporary SMTP failures (4xx, refused or reset connections, timeouts) never count as
# failures: the chunk stops and is retried with a backoff. Only when the server has
# accepted nothing for this many seconds does the campaign pause itself (and say why).
NEWSLETTER_TRANSIENT_PAUSE_AFTER = config.integer("NEWSLETTER_TRANSIENT_PAUSE_AFTER", 30 * 60)
# Double opt-in: at most one confirmation email per address per interval (seconds); the
# link in it works for NEWSLETTER_CONFIRM_MAX_AGE seconds.
NEWSLETTER_CONFIRM_INTERVAL = config.integer("NEWSLETTER_CONFIRM_INTERVAL", 3600)
NEWSLETTER_CONFIRM_MAX_AGE = config.integer("NEWSLETTER_CONFIRM_MAX_AGE", 7 * 24 * 3600)
# Sign-ups per IP (allauth's rate-limit syntax), counted in the shared cache.
NEWSLETTER_SUBSCRIBE_RATE = env.str("NEWSLETTER_SUBSCRIBE_RATE", default="5/m/ip,30/h/ip")
if ACCOUNT_RATE_LIMITS is not False:
    ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "newsletter_subscribe": NEWSLETTER_SUBSCRIBE_RATE}
# Bulk mail has its own queue and workers (Procfile: worker-bulk), so reminders and
# account emails never wait behind a campaign.
CELERY_TASK_ROUTES = {
    "newsletters.tasks.campaign_advance_task": {"queue": "bulk"},
    "newsletters.tasks.campaign_chunk_send_task": {"queue": "bulk"},
}
# Two models now have a "status" enum in the API: both named, so the series' keeps the
# name it always had (StatusEnum) and the schema stays stable for its clients.
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "ENUM_NAME_OVERRIDES": {
        **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
        "StatusEnum": "routines.models.Series.Status",
        "CampaignStatusEnum": "newsletters.models.CampaignStatus",
    },
}
CELERY_BEAT_SCHEDULE["newsletters-tick"] = {
    "task": "newsletters.tasks.newsletters_tick",
    "schedule": 60.0,
    "options": {"expires": 55},
}

# --- Offers ----------------------------------------------------------------------
# Redemptions per member (allauth's rate-limit syntax), for the redeem button and the API.
OFFERS_REDEEM_RATE = env.str("OFFERS_REDEEM_RATE", default="10/m/user")
if ACCOUNT_RATE_LIMITS is not False:
    ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "offer_redeem": OFFERS_REDEEM_RATE}
# The largest offer picture an editor may upload, in bytes.
OFFERS_IMAGE_MAX_BYTES = config.integer("OFFERS_IMAGE_MAX_BYTES", 2 * 1024 * 1024)
# The navigation's "Offers" link (members with an offer open to them) and "Manage offers".
TEMPLATES[0]["OPTIONS"]["context_processors"].append("offers.context_processors.offers_navigation")

# --- Security -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the player's fetch() reads it to post logs
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own files (no inline script
# anywhere, the API docs included: they load their set-up script as a file), no plugins,
# no framing. Inline styles stay allowed: the API docs' Swagger UI sets them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy (django-permissions-policy): none of these browser features is used.
# The player keeps the screen awake (Screen Wake Lock) and vibrates (no policy needed).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = config.flag("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = config.integer("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = config.flag("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.log_level("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
