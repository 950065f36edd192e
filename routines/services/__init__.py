"""Every write to the library and to members' logs, by topic:

- ``library``: body parts, series, routines and steps;
- ``logs``: session logs and, in the same transaction, the aggregates (``activity``);
- ``practice``: practice plan, rest days, favourites, safety checklists.
"""

from routines.services.activity import member_activity_rebuild, member_stats_invalidate
from routines.services.library import (
    RoutineSpec,
    StepSpec,
    body_part_ensure,
    routine_save,
    series_publish,
    series_save,
)
from routines.services.logs import (
    SESSION_LOG_EDITABLE,
    session_log_create,
    session_log_delete,
    session_log_update,
)
from routines.services.practice import (
    REST_DAY_WINDOW_DAYS,
    RestLimitReached,
    favourite_set,
    favourite_toggle,
    practice_plan_update,
    rest_day_mark,
    safety_acknowledge,
)

__all__ = [
    "REST_DAY_WINDOW_DAYS",
    "SESSION_LOG_EDITABLE",
    "RestLimitReached",
    "RoutineSpec",
    "StepSpec",
    "body_part_ensure",
    "favourite_set",
    "favourite_toggle",
    "member_activity_rebuild",
    "member_stats_invalidate",
    "practice_plan_update",
    "rest_day_mark",
    "routine_save",
    "safety_acknowledge",
    "series_publish",
    "series_save",
    "session_log_create",
    "session_log_delete",
    "session_log_update",
]
