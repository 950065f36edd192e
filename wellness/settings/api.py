"""The REST API and the apps' own settings: newsletters and offers."""

from wellness import config
from wellness.config import env
from wellness.settings.mail import *

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
