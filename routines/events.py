"""Domain events of the library, for the apps above routines (newsletters, offers...) to
react to without routines importing them: connect a receiver in your ``AppConfig.ready()``.

Each is sent once, after the transaction that made it true has committed.
"""

from django.dispatch import Signal

# A series went live for the first time (by hand, through the API or by its schedule):
# sent by ``routines.services.series_publish`` only, once per series; not sent again for a
# series already published, nor when an unpublished series is published again.
# Keyword arguments: ``series_id`` (int).
series_published = Signal()
