"""Library tasks.

``series_publish_due`` runs from ONE Celery beat entry every minute
(``CELERY_BEAT_SCHEDULE["series-publish-due"]``): it reads the scheduled series whose
time has come from the database; no task is queued per series, and a run that finds
nothing does nothing. A late or repeated run is harmless: publishing is idempotent.
"""

from __future__ import annotations

from celery import shared_task

from routines.services import series_publish_due as publish_due


@shared_task(name="routines.tasks.series_publish_due", ignore_result=True)
def series_publish_due() -> list[int]:
    """Publish the scheduled series that are due; return their ids."""
    return publish_due()
