"""Kneadful settings: every deployer-facing value from the environment.

With no environment at all it runs the embedded default (SQLite, a filesystem
Celery broker under ``var/``, email written to ``var/mail/``) in DEBUG mode.
Production is ``DEBUG=false`` plus the variables listed in README; it passes
``manage.py check --deploy``.

The package is read in this order, each module starting from the one before (so a later area
may extend an earlier value, as newsletters do with the rate limits and the beat schedule):
``base`` -> ``storage`` -> ``auth`` -> ``mail`` -> ``api`` -> ``security``.
"""

from wellness.settings.security import *
