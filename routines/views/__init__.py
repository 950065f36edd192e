"""Member pages, thin: parse the request, call one selector or service, render.

One module per area; the URLconf imports the views from here.
"""

from routines.views.dashboard import dashboard, practice_plan, rest_today
from routines.views.library import favourite, library, routine_detail, safety, series_detail
from routines.views.player import finish, play
from routines.views.sessions import (
    session_delete,
    session_detail,
    session_edit,
    session_export,
    session_list,
    session_new,
)

__all__ = [
    "dashboard",
    "favourite",
    "finish",
    "library",
    "play",
    "practice_plan",
    "rest_today",
    "routine_detail",
    "safety",
    "series_detail",
    "session_delete",
    "session_detail",
    "session_edit",
    "session_export",
    "session_list",
    "session_new",
]
