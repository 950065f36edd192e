"""The core: secrets, hosts, apps, middleware, templates, languages, static and media files.

Read first; every other settings module of this package starts from it (see ``__init__``).
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.core.management.utils import get_random_secret_key

from wellness import config
from wellness.config import ConfigError, env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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
