"""WSGI entry point for gunicorn: ``gunicorn wellness.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from wellness.config import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellness.settings")

# A configuration mistake stops gunicorn with one clear line (see exit_on_config_error).
with exit_on_config_error():
    application = get_wsgi_application()
