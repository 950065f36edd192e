"""Test settings: Kneadful's own settings, on a throwaway PostgreSQL whenever one can run.

PostgreSQL is started once per test run from the system binaries (tests/servers.py).
Where it is not installed the suite runs on SQLite with a loud warning, except under
``CI=true``, where a missing PostgreSQL fails the run.
"""

import os
import sys
import tempfile

from tests import servers

os.environ.setdefault("KNEADFUL_VAR_DIR", tempfile.mkdtemp(prefix="kneadful-test-var-"))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + live_server

try:
    os.environ["DATABASE_URL"] = servers.shared_service_url("postgres")
    TEST_DATABASE = "postgresql"
except servers.ServiceUnavailable as exc:
    if servers.IN_CI:
        raise
    print(f"\n!!! {exc}\n!!! Running the suite on SQLite instead of PostgreSQL.\n", file=sys.stderr)
    os.environ.pop("DATABASE_URL", None)
    TEST_DATABASE = "sqlite"

os.environ.pop("REDIS_URL", None)

from wellness.settings import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
ACCOUNT_RATE_LIMITS = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "1000/min"}}  # noqa: F405
