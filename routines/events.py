"""Domain events of the library, for the apps above routines (newsletters, offers...) to
react to without routines importing them: connect a receiver in your ``AppConfig.ready()``.

Each is sent once, after the transaction that made it true has committed.
"""

from django.dispatch import Signal

# A series went live (by hand or by its schedule); not sent again for a series that was
# already published. Keyword arguments: ``series_id`` (int).
series_published = Signal()
