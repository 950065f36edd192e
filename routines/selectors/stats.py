"""The member's progress figures: streaks, totals, charts, read from the per-day
aggregates and kept in ``MemberStatsSnapshot`` for the rest of the member's day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import User
from routines.models import (
    BodyPartActivity,
    DailyActivity,
    MemberStatsSnapshot,
    PracticePlan,
    RestDay,
)
from routines.selectors.library import member_local_today

STATS_WEEKS = 12
STATS_NOT_IN_API = frozenset({"version", "rest_days_per_week"})  # the API has practice-plan/
STATS_VERSION = 3  # bump when MemberStats changes shape: cached snapshots are recomputed


@dataclass(frozen=True)
class MemberStats:
    """The dashboard figures. Minutes are rounded from summed seconds.

    ``key`` changes whenever the figures may change (a write, a new local day, a zone
    change): use it to cache anything rendered from them, e.g. the heatmap's markup.
    """

    today: dt.date
    current_streak: int
    longest_streak: int
    sessions_this_week: int
    minutes_this_week: int
    sessions_this_month: int
    minutes_this_month: int
    sessions_total: int
    minutes_total: int
    by_body_part: list[dict[str, Any]]
    weekly_minutes: list[dict[str, Any]]
    heatmap: list[dict[str, Any]]
    average_relief: float | None
    rest_days: set[dt.date] = field(default_factory=set)
    practised_today: bool = False
    rested_today: bool = False
    rest_weekdays: list[int] = field(default_factory=list)
    rest_days_per_week: int = 1  # the plan's, so the dashboard needs no plan query
    key: str = ""

    def figures_json(self) -> dict[str, Any]:
        """Everything but the calendar (heatmap, rest_days), JSON-able."""
        return {
            "version": STATS_VERSION,
            "today": self.today.isoformat(),
            "current_streak": self.current_streak,
            "longest_streak": self.longest_streak,
            "sessions_this_week": self.sessions_this_week,
            "minutes_this_week": self.minutes_this_week,
            "sessions_this_month": self.sessions_this_month,
            "minutes_this_month": self.minutes_this_month,
            "sessions_total": self.sessions_total,
            "minutes_total": self.minutes_total,
            "by_body_part": self.by_body_part,
            "weekly_minutes": [
                {**w, "week_start": w["week_start"].isoformat()} for w in self.weekly_minutes
            ],
            "average_relief": self.average_relief,
            "practised_today": self.practised_today,
            "rested_today": self.rested_today,
            "rest_weekdays": self.rest_weekdays,
            "rest_days_per_week": self.rest_days_per_week,
        }

    def calendar_json(self) -> dict[str, Any]:
        """The heatmap, compactly: one number per day from ``start``."""
        return {
            "start": self.heatmap[0]["date"].isoformat() if self.heatmap else None,
            "minutes": [d["minutes"] for d in self.heatmap],
            "sessions": [d["sessions"] for d in self.heatmap],
            "rest": [index for index, d in enumerate(self.heatmap) if d["rest"]],
        }

    @classmethod
    def from_json(cls, figures: dict[str, Any], calendar: dict[str, Any], key: str) -> MemberStats:
        values = {k: v for k, v in figures.items() if k != "version"}
        values["today"] = dt.date.fromisoformat(figures["today"])
        values["weekly_minutes"] = [
            {**w, "week_start": dt.date.fromisoformat(w["week_start"])}
            for w in figures["weekly_minutes"]
        ]
        heatmap = []
        if calendar["start"]:
            start = dt.date.fromisoformat(calendar["start"])
            rest = set(calendar["rest"])
            heatmap = [
                {
                    "date": start + dt.timedelta(days=index),
                    "minutes": minutes,
                    "sessions": sessions,
                    "rest": index in rest,
                }
                for index, (minutes, sessions) in enumerate(
                    zip(calendar["minutes"], calendar["sessions"], strict=True)
                )
            ]
        values["heatmap"] = heatmap
        values["rest_days"] = {d["date"] for d in heatmap if d["rest"]}
        values["key"] = key
        return cls(**values)


def _minutes(seconds: int | None) -> int:
    return round((seconds or 0) / 60)


def _year_ago(today: dt.date) -> dt.date:
    """The first day of the 12-month window ending today (inclusive)."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + dt.timedelta(days=1)


def streaks(
    *,
    practice_days: list[dt.date],
    rest_days: set[dt.date],
    rest_weekdays: set[int],
    today: dt.date,
) -> tuple[int, int]:
    """(current, longest) streak in practice days.

    The rule, as in habit trackers such as Streaks and Loop: a streak counts the local
    days with at least one session. A day without a session is *neutral* when it is a
    rest day the member marked or one of their planned rest weekdays: it neither adds
    to the streak nor breaks it. Any other day without a session breaks it, except
    today, which is not over yet. So the current streak is alive when the last practice
    day is today or yesterday, or only neutral days lie between it and today.
    Planned rest weekdays apply to the whole history (the plan as it is now). A session
    on a rest day counts as a practice day.
    """
    if not practice_days:
        return 0, 0
    days = sorted(set(practice_days))

    def bridged(after: dt.date, before: dt.date) -> bool:
        """Are all days strictly between ``after`` and ``before`` neutral?"""
        day = after + dt.timedelta(days=1)
        while day < before:
            if day not in rest_days and day.weekday() not in rest_weekdays:
                return False
            day += dt.timedelta(days=1)
        return True

    longest = run = 0
    previous: dt.date | None = None
    for day in days:
        if day > today:  # a log dated in the member's future (zone change): not yet
            break
        run = run + 1 if previous is not None and bridged(previous, day) else 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and bridged(previous, today) else 0
    return current, longest


def _compute_member_stats(*, user: User, today: dt.date) -> MemberStats:
    week_start = today - dt.timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    window_start = _year_ago(today)
    first_week = week_start - dt.timedelta(weeks=STATS_WEEKS - 1)
    days = DailyActivity.objects.filter(user=user, sessions__gt=0)

    totals = days.aggregate(
        sessions_total=Sum("sessions"),
        seconds_total=Sum("seconds"),
        relief_sum=Sum("relief_sum"),
        relief_count=Sum("relief_count"),
        sessions_week=Sum("sessions", filter=Q(local_date__gte=week_start, local_date__lte=today)),
        seconds_week=Sum("seconds", filter=Q(local_date__gte=week_start, local_date__lte=today)),
        sessions_month=Sum(
            "sessions", filter=Q(local_date__gte=month_start, local_date__lte=today)
        ),
        seconds_month=Sum("seconds", filter=Q(local_date__gte=month_start, local_date__lte=today)),
    )
    # Every practice date (one small row per active day) for the streaks; the last
    # 12 months of them also carry the minutes for the heatmap and weekly chart.
    practice_days: list[dt.date] = []
    per_day: dict[dt.date, tuple[int, int]] = {}
    for local_date, sessions, seconds in days.order_by("local_date").values_list(
        "local_date", "sessions", "seconds"
    ):
        practice_days.append(local_date)
        if window_start <= local_date <= today or first_week <= local_date <= today:
            per_day[local_date] = (sessions, seconds)

    plan = PracticePlan.objects.filter(user=user).first()
    rest_weekdays = {int(d) for d in (plan.rest_weekdays if plan else []) if 0 <= int(d) <= 6}
    marked_rest = set(
        RestDay.objects.filter(user=user, local_date__lte=today).values_list(
            "local_date", flat=True
        )
    )
    current, longest = streaks(
        practice_days=practice_days,
        rest_days=marked_rest,
        rest_weekdays=rest_weekdays,
        today=today,
    )

    heatmap = []
    rest_used: set[dt.date] = set()
    day = window_start
    while day <= today:
        sessions, seconds = per_day.get(day, (0, 0))
        rest = sessions == 0 and (day in marked_rest or day.weekday() in rest_weekdays)
        if rest:
            rest_used.add(day)
        heatmap.append(
            {"date": day, "minutes": _minutes(seconds), "sessions": sessions, "rest": rest}
        )
        day += dt.timedelta(days=1)

    weekly = []
    for index in range(STATS_WEEKS):
        start = first_week + dt.timedelta(weeks=index)
        week_days = [per_day.get(start + dt.timedelta(days=n), (0, 0)) for n in range(7)]
        weekly.append(
            {
                "week_start": start,
                "minutes": _minutes(sum(s for _, s in week_days)),
                "sessions": sum(n for n, _ in week_days),
            }
        )

    by_body_part = [
        {"slug": slug, "name": name, "sessions": sessions, "minutes": _minutes(seconds)}
        for slug, name, sessions, seconds in BodyPartActivity.objects.filter(
            user=user, sessions__gt=0
        )
        .order_by("-sessions", "body_part__position", "body_part__name")
        .values_list("body_part__slug", "body_part__name", "sessions", "seconds")
    ]
    relief_count = totals["relief_count"] or 0
    return MemberStats(
        today=today,
        current_streak=current,
        longest_streak=longest,
        sessions_this_week=totals["sessions_week"] or 0,
        minutes_this_week=_minutes(totals["seconds_week"]),
        sessions_this_month=totals["sessions_month"] or 0,
        minutes_this_month=_minutes(totals["seconds_month"]),
        sessions_total=totals["sessions_total"] or 0,
        minutes_total=_minutes(totals["seconds_total"]),
        by_body_part=by_body_part,
        weekly_minutes=weekly,
        heatmap=heatmap,
        average_relief=(
            round((totals["relief_sum"] or 0) / relief_count, 1) if relief_count else None
        ),
        rest_days=rest_used,
        practised_today=today in per_day,
        rested_today=today in marked_rest,
        rest_weekdays=sorted(rest_weekdays),
        rest_days_per_week=(plan or PracticePlan(user=user)).rest_days_per_week,
    )


def _stats_key(*, user: User, generation: int, today: dt.date) -> str:
    return f"{user.pk}-{generation}-{today.isoformat()}-{user.timezone}"


def _member_stats_stored(
    *, user: User, today: dt.date | None, with_calendar: bool
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """(figures, calendar or None, key), from the snapshot or computed and stored.

    Computed from the per-day aggregates (``DailyActivity``, ``BodyPartActivity``),
    never from the logs, with database sums; the result is kept in
    ``MemberStatsSnapshot`` for the rest of the member's day, and the write services
    drop it whenever a log, rest day or plan changes. A stored read is one query.
    """
    today = today or member_local_today(user=user)
    snapshots = MemberStatsSnapshot.objects.filter(user=user)
    if not with_calendar:
        snapshots = snapshots.defer("calendar")
    snapshot = snapshots.first()
    if snapshot is None:
        snapshot, _ = MemberStatsSnapshot.objects.get_or_create(user=user)
    key = _stats_key(user=user, generation=snapshot.generation, today=today)
    if (
        snapshot.data is not None
        and snapshot.computed_for == today
        and snapshot.timezone == user.timezone
        and snapshot.data.get("version") == STATS_VERSION
    ):
        return snapshot.data, (snapshot.calendar if with_calendar else None), key
    stats = _compute_member_stats(user=user, today=today)
    figures, calendar = stats.figures_json(), stats.calendar_json()
    # Store only if no write happened since the snapshot was read (see the model).
    MemberStatsSnapshot.objects.filter(user=user, generation=snapshot.generation).update(
        computed_for=today,
        timezone=user.timezone,
        data=figures,
        calendar=calendar,
        updated_at=timezone.now(),
    )
    return figures, calendar, key


def member_stats_json(
    *, user: User, today: dt.date | None = None, heatmap: bool = False
) -> dict[str, Any]:
    """The figures as JSON-able data for the API; with ``heatmap`` the calendar too."""
    figures, calendar, _ = _member_stats_stored(user=user, today=today, with_calendar=heatmap)
    data = {k: v for k, v in figures.items() if k not in STATS_NOT_IN_API}
    if heatmap and calendar is not None:
        stats = MemberStats.from_json(figures, calendar, "")
        data["heatmap"] = [{**d, "date": d["date"].isoformat()} for d in stats.heatmap]
        data["rest_days"] = sorted(d.isoformat() for d in stats.rest_days)
    return data


def member_stats(
    *, user: User, today: dt.date | None = None, with_calendar: bool = True
) -> MemberStats:
    """The member's progress figures for their local ``today`` (see ``_member_stats_stored``).

    Without the calendar, ``heatmap`` and ``rest_days`` are empty: for pages that show
    the charts from a fragment cached under ``MemberStats.key``.
    """
    figures, calendar, key = _member_stats_stored(
        user=user, today=today, with_calendar=with_calendar
    )
    return MemberStats.from_json(figures, calendar or {"start": None}, key)
