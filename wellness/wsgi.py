import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellness.settings")

from django.core.wsgi import get_wsgi_application

from wellness.config import ConfigError

try:
    application = get_wsgi_application()
except ConfigError as exc:
    sys.exit(f"Kneadful configuration error: {exc}")
