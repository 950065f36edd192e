"""Settings for bench/members.py only: the product's settings plus the bench's app.

The ``bench`` app adds ``/bench/ceiling`` and the floors (``bench.views``,
``bench.members_urls``) and the write floor's table (``bench.models``, created by the
bench). Gunicorn serves plain HTTP on loopback here, so the HTTPS redirect, HSTS and
secure cookies are off; everything else is production's (DEBUG=false, middleware,
authentication, sessions, cache), with persistent connections.

``BENCH_SEEDING=1`` is set only in the bench's own process, which signs the members in
(allauth's login form) and asks for their API tokens (``POST /api/v1/auth/token/``), about
150 times in a minute or two from one address: there, and only there, allauth's rate limits
(``ACCOUNT_RATE_LIMITS = False``) and DRF's throttles are off. The gunicorn under
measurement never sees it.
"""

import os

from wellness.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.members_urls"
DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405

if os.environ.get("BENCH_SEEDING") == "1":
    ACCOUNT_RATE_LIMITS = False
    # A scope whose rate is None is not throttled.
    _scopes = REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})  # noqa: F405
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(_scopes)}  # noqa: F405
