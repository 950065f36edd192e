"""The Celery application: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import os
import sys

from celery import Celery

from wellness.config import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellness.settings")

if os.environ["DJANGO_SETTINGS_MODULE"] not in sys.modules:
    # Started as `celery -A wellness ...`: read the settings now, so a configuration
    # mistake is one clear line instead of a traceback from deep inside Celery.
    # (When Django itself is importing the settings module, it reports errors itself.)
    from django.conf import settings

    with exit_on_config_error():
        settings.INSTALLED_APPS  # noqa: B018

app = Celery("wellness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
