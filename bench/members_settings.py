"""Settings for bench/members.py only: the product's settings plus a bare ceiling endpoint.

Gunicorn serves plain HTTP on loopback here, so the HTTPS redirect and secure cookies
are off; everything else (DEBUG=false, persistent connections, middleware) is production's.
"""

import os

from wellness.settings import *  # noqa: F403

ROOT_URLCONF = "bench.members_urls"
DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
# The product checks a reused connection once per request (one extra round trip);
# ``bench/members.py --no-health-checks`` measures without it, for comparison.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = (  # noqa: F405
    os.environ.get("BENCH_CONN_HEALTH_CHECKS", "true") == "true"
)
