"""Every write to the library and to members' logs, by topic:

- ``library``: body parts and whole series loaded from code (the starter content);
- ``editing``, ``content``: editors' changes to a series, its routines and steps;
- ``publishing``: a series' status (schedule, publish, unpublish) and the due publications;
- ``audit``: the editors' audit log those services write;
- ``logs``: session logs and, in the same transaction, the aggregates (``activity``);
- ``practice``: practice plan, rest days, favourites, safety checklists.
"""

from routines.services.activity import member_activity_rebuild, member_stats_invalidate
from routines.services.content import (
    routine_create,
    routine_delete,
    routine_move,
    routine_update,
    routines_reorder,
    step_create,
    step_delete,
    step_move,
    step_update,
    steps_reorder,
)
from routines.services.editing import (
    RoutineFields,
    SeriesFields,
    StepFields,
    editors_group_ensure,
    series_create,
    series_update,
)
from routines.services.library import (
    RoutineSpec,
    StepSpec,
    body_part_ensure,
    routine_save,
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
from routines.services.publishing import (
    series_publish,
    series_publish_at,
    series_publish_due,
    series_schedule,
    series_unpublish,
    series_unschedule,
)

__all__ = [
    "REST_DAY_WINDOW_DAYS",
    "SESSION_LOG_EDITABLE",
    "RestLimitReached",
    "RoutineFields",
    "RoutineSpec",
    "SeriesFields",
    "StepFields",
    "StepSpec",
    "body_part_ensure",
    "editors_group_ensure",
    "favourite_set",
    "favourite_toggle",
    "member_activity_rebuild",
    "member_stats_invalidate",
    "practice_plan_update",
    "rest_day_mark",
    "routine_create",
    "routine_delete",
    "routine_move",
    "routine_save",
    "routine_update",
    "routines_reorder",
    "safety_acknowledge",
    "series_create",
    "series_publish",
    "series_publish_at",
    "series_publish_due",
    "series_save",
    "series_schedule",
    "series_unpublish",
    "series_unschedule",
    "series_update",
    "session_log_create",
    "session_log_delete",
    "session_log_update",
    "step_create",
    "step_delete",
    "step_move",
    "step_update",
    "steps_reorder",
]
