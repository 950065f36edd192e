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
# The product checks a reused connection before a request's first query unless it
# served a request cleanly in the last 0.5 s (wellness/db/postgresql); under load that
# is never; ``bench/members.py --no-health-checks`` turns checking off, for comparison.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = (  # noqa: F405
    os.environ.get("BENCH_CONN_HEALTH_CHECKS", "true") == "true"
)
