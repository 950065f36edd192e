"""Every non-trivial read of the library and of members' data, by topic:

- ``library``: what a visitor or member may see, play and log;
- ``editing``: every series for editors, what a series lacks to go live, its history;
- ``logs``: a member's own logs, favourites, plan and their data export;
- ``stats``: the member's progress figures.
"""

from routines.selectors.editing import (
    routine_for_editing,
    series_empty_routines,
    series_for_editing,
    series_history,
    series_publication_problems,
    series_search_for_editors,
    step_for_editing,
)
from routines.selectors.library import (
    member_local_today,
    member_practised_on,
    routine_for_logging,
    routine_for_player,
    routines_for_log_edit,
    routines_for_logging,
    series_detail_for,
    series_search,
    series_visible_to,
)
from routines.selectors.logs import (
    favourite_series_ids,
    member_export_favourites,
    member_export_practice_plan,
    member_export_rest_days,
    member_export_session_logs,
    member_has_acknowledged,
    practice_plan_for,
    session_log_for,
    session_logs_for,
)
from routines.selectors.stats import (
    STATS_NOT_IN_API,
    STATS_VERSION,
    STATS_WEEKS,
    MemberStats,
    member_stats,
    member_stats_json,
    streaks,
)

__all__ = [
    "STATS_NOT_IN_API",
    "STATS_VERSION",
    "STATS_WEEKS",
    "MemberStats",
    "favourite_series_ids",
    "member_export_favourites",
    "member_export_practice_plan",
    "member_export_rest_days",
    "member_export_session_logs",
    "member_has_acknowledged",
    "member_local_today",
    "member_practised_on",
    "member_stats",
    "member_stats_json",
    "practice_plan_for",
    "routine_for_editing",
    "routine_for_logging",
    "routine_for_player",
    "routines_for_log_edit",
    "routines_for_logging",
    "series_detail_for",
    "series_empty_routines",
    "series_for_editing",
    "series_history",
    "series_publication_problems",
    "series_search",
    "series_search_for_editors",
    "series_visible_to",
    "session_log_for",
    "session_logs_for",
    "step_for_editing",
    "streaks",
]
