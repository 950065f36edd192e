"""Reads of the library and of members' logs."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.backends import cached_with_user
from accounts.models import User
from routines.models import (
    BodyPartActivity,
    DailyActivity,
    Favourite,
    MemberStatsSnapshot,
    PracticePlan,
    RestDay,
    Routine,
    SafetyAcknowledgement,
    Series,
    SessionLog,
    Step,
)
from wellness.cache import local_first_get, local_first_set


def series_visible_to(user: User | AnonymousUser) -> QuerySet[Series]:
    """Published series for everyone; staff also see drafts and scheduled ones."""
    if getattr(user, "is_staff", False):
        return Series.objects.all()
    return Series.objects.published()


def member_practised_on(*, user: User, local_date: dt.date) -> bool:
    """Did the member log at least one session on this local day?"""
    return SessionLog.objects.filter(user=user, local_date=local_date).exists()


def member_local_today(*, user: User, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(user.timezone)).date()


# --- Library ----------------------------------------------------------------------------


def series_search(
    *,
    user: User | AnonymousUser,
    body_part: str | None = None,
    q: str | None = None,
    max_minutes: int | None = None,
) -> QuerySet[Series]:
    """Series the user may see, filtered by body part slug, text and estimated minutes.

    The text matches title, summary, description and routine titles, case-insensitively.
    """
    series = series_visible_to(user)
    if body_part:
        series = series.filter(body_parts__slug=body_part)
    if q and q.strip():
        text = q.strip()
        matching = Q(title__icontains=text) | Q(summary__icontains=text)
        matching |= Q(description__icontains=text)
        matching |= Q(pk__in=Routine.objects.filter(title__icontains=text).values("series_id"))
        series = series.filter(matching)
    if max_minutes is not None:
        series = series.filter(estimated_minutes__lte=max_minutes)
    if body_part:
        series = series.distinct()
    return series.prefetch_related(Prefetch("body_parts", queryset=_body_parts_ordered())).order_by(
        "title", "pk"
    )


def _body_parts_ordered() -> QuerySet:
    from routines.models import BodyPart

    return BodyPart.objects.order_by("position", "name")


def _steps_ordered() -> QuerySet[Step]:
    return Step.objects.order_by("position")


def series_detail_for(*, user: User | AnonymousUser, slug: str) -> Series:
    """One visible series with its routines (in order) and their steps (in order)."""
    series = (
        series_visible_to(user)
        .select_related("next_installment")
        .prefetch_related(
            Prefetch("body_parts", queryset=_body_parts_ordered()),
            Prefetch(
                "routines",
                queryset=Routine.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("steps", queryset=_steps_ordered())
                ),
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if series is None:
        raise Http404("No such series.")
    return series


def routine_for_player(*, user: User | AnonymousUser, routine_id: int) -> Routine:
    """A routine of a visible series, its series selected and its steps in order."""
    routine = (
        Routine.objects.filter(series__in=series_visible_to(user), pk=routine_id)
        .select_related("series")
        .prefetch_related(Prefetch("steps", queryset=_steps_ordered()))
        .first()
    )
    if routine is None:
        raise Http404("No such routine.")
    return routine


ROUTINE_CACHE_SECONDS = 60
ROUTINE_LOCAL_SECONDS = 10  # in each process: how late another process sees an edit
_ROUTINE_FIELDS = ("id", "series_id", "position", "slug", "title", "per_side")


def routine_cache_key(routine_id: int) -> str:
    return f"routines:for-logging:{routine_id}"


def routine_for_logging(*, user: User, routine_id: int, cached: bool = False) -> Routine | None:
    """A visible routine with ``step_count`` annotated (what session_log_create needs).

    ``cached=True`` (the API's POST sessions/, the busiest write) keeps the routine's
    few fields, step count and whether members see its series in this process's
    memory for ``ROUTINE_LOCAL_SECONDS`` and in the shared cache for
    ``ROUTINE_CACHE_SECONDS``; saving or deleting a series, routine or step drops both
    (routines/signals.py), so another process sees an edit at most
    ``ROUTINE_LOCAL_SECONDS`` late (an edit outside the ORM's save: at most a minute).
    The routine's other fields load on access.
    """
    if not cached:
        return (
            Routine.objects.filter(series__in=series_visible_to(user), pk=routine_id)
            .annotate(step_count=Count("steps"))
            .first()
        )
    key = routine_cache_key(routine_id)
    meta = local_first_get(key, local_seconds=ROUTINE_LOCAL_SECONDS)
    if meta is None:
        meta = (
            Routine.objects.filter(pk=routine_id)
            .annotate(
                step_count=Count("steps"),
                public=Exists(Series.objects.published().filter(pk=OuterRef("series_id"))),
            )
            .values_list(*_ROUTINE_FIELDS, "step_count", "public")
            .first()
        )
        if meta is None:
            return None
        local_first_set(
            key, meta, local_seconds=ROUTINE_LOCAL_SECONDS, shared_seconds=ROUTINE_CACHE_SECONDS
        )
    *values, step_count, public = meta
    if not public and not getattr(user, "is_staff", False):
        return None
    routine = Routine.from_db("default", _ROUTINE_FIELDS, values)
    routine.step_count = step_count
    return routine


def routines_for_logging(*, user: User) -> QuerySet[Routine]:
    """Visible routines a member may log, with ``step_count``, ordered for a picker."""
    return (
        Routine.objects.filter(series__in=series_visible_to(user))
        .select_related("series")
        .annotate(step_count=Count("steps"))
        .order_by("series__title", "position", "pk")
    )


# --- Member's own data --------------------------------------------------------------------


def session_logs_for(*, user: User) -> QuerySet[SessionLog]:
    """The member's own logs, newest first, routine and series selected."""
    return (
        SessionLog.objects.filter(user=user)
        .select_related("routine__series")
        .order_by("-started_at", "-id")
    )


def session_log_for(*, user: User, log_id: int) -> SessionLog:
    """One of the member's own logs; another member's id (or a missing one) is a 404."""
    try:
        log_id = int(log_id)
    except (TypeError, ValueError):
        raise Http404("No such session.") from None
    log = session_logs_for(user=user).filter(pk=log_id).first()
    if log is None:
        raise Http404("No such session.")
    return log


def member_has_acknowledged(*, user: User | AnonymousUser, series: Series) -> bool:
    """Has the member confirmed this series' safety checklist (or is there none)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return SafetyAcknowledgement.objects.filter(user=user, series=series).exists()


def favourite_series_ids(*, user: User | AnonymousUser) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Favourite.objects.filter(user=user).values_list("series_id", flat=True))


def practice_plan_for(*, user: User) -> PracticePlan:
    """The member's plan, or an unsaved default one."""
    plan = PracticePlan.objects.filter(user=user).first()
    return plan or PracticePlan(user=user)


# --- Progress -------------------------------------------------------------------------------

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


STATS_GENERATION_CACHE_SECONDS = 60


def stats_generation_cache_key(user_id: int) -> str:
    return f"routines:stats-generation:v1:{user_id}"


# Held in place of a member's cached generation while a write of theirs is in flight.
STATS_GENERATION_PENDING = "pending"
STATS_GENERATION_PENDING_MS = 2000


def stats_generation_pending(user_id: int) -> tuple[str, str, int]:
    """The cache entry a writer sets before a write that bumps the member's generation
    (``routines.services``): while it is there, readers neither trust a cached generation
    nor store one (``cache.add`` does not overwrite it), so none keeps the old one past
    the write's commit; it expires by itself."""
    key = stats_generation_cache_key(user_id)
    return key, STATS_GENERATION_PENDING, STATS_GENERATION_PENDING_MS


def member_stats_key(*, user: User, today: dt.date | None = None) -> str | None:
    """``MemberStats.key`` without reading the figures: it changes on every write (the
    snapshot's generation), each new local day and a zone change. None when the member
    has no snapshot row yet.

    With a shared cache the generation is read from there (every write forgets it, at
    once and on commit, or marks it pending while in flight; ``routines.services``), so a
    page cached under this key costs no database work; otherwise, on a miss and while a
    write is pending, one primary-key read in plain SQL.
    """
    cache_key = stats_generation_cache_key(user.pk)
    generation = None
    if settings.CACHE_IS_SHARED:
        read, generation = cached_with_user(user, cache_key)  # see RoutinesConfig.ready
        if not read:
            generation = cache.get(cache_key)
    if generation is None or generation == STATS_GENERATION_PENDING:
        with connection.cursor() as cursor:
            cursor.execute(_generation_sql(), [user.pk])
            row = cursor.fetchone()
        if row is None:
            return None
        generation = row[0]
        if settings.CACHE_IS_SHARED:
            # add, not set: never overwrite what a writer's forgetting made room for.
            cache.add(cache_key, generation, STATS_GENERATION_CACHE_SECONDS)
    today = today or member_local_today(user=user)
    return _stats_key(user=user, generation=generation, today=today)


@functools.cache
def _generation_sql() -> str:
    table = connection.ops.quote_name(MemberStatsSnapshot._meta.db_table)
    return f"SELECT generation FROM {table} WHERE user_id = %s"  # noqa: S608


def _member_stats_stored(
    *,
    user: User,
    today: dt.date | None,
    with_calendar: bool,
    snapshot: MemberStatsSnapshot | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """(figures, calendar or None, key), from the snapshot or computed and stored.

    Computed from the per-day aggregates (``DailyActivity``, ``BodyPartActivity``),
    never from the logs, with database sums; the result is kept in
    ``MemberStatsSnapshot`` for the rest of the member's day, and the write services
    drop it whenever a log, rest day or plan changes. A cached read is one query.
    """
    today = today or member_local_today(user=user)
    if snapshot is None or with_calendar:
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
    *,
    user: User,
    today: dt.date | None = None,
    heatmap: bool = False,
    snapshot: MemberStatsSnapshot | None = None,
) -> dict[str, Any]:
    """The figures as JSON-able data for the API; with ``heatmap`` the calendar too.

    ``snapshot``: the member's snapshot row if the caller already read it fresh in
    this request (e.g. joined to the API token), saving a query.
    """
    figures, calendar, _ = _member_stats_stored(
        user=user, today=today, with_calendar=heatmap, snapshot=snapshot
    )
    data = {k: v for k, v in figures.items() if k not in STATS_NOT_IN_API}
    if heatmap and calendar is not None:
        stats = MemberStats.from_json(figures, calendar, "")
        data["heatmap"] = [{**d, "date": d["date"].isoformat()} for d in stats.heatmap]
        data["rest_days"] = sorted(d.isoformat() for d in stats.rest_days)
    return data


def member_stats(*, user: User, today: dt.date | None = None) -> MemberStats:
    """The member's progress figures for their local ``today`` (see ``_member_stats_stored``)."""
    figures, calendar, key = _member_stats_stored(user=user, today=today, with_calendar=True)
    return MemberStats.from_json(figures, calendar or {"start": None}, key)


# --- The member's export (registered in RoutinesConfig.ready) -----------------------------


def member_export_session_logs(user: User) -> list[dict[str, Any]]:
    return [
        {
            "client_id": str(log.client_id),
            "series": log.routine.series.slug,
            "routine": log.routine.slug,
            "routine_title": log.routine.title,
            "started_at": log.started_at.isoformat(),
            "ended_at": log.ended_at.isoformat(),
            "duration_seconds": log.duration_seconds,
            "steps_completed": log.steps_completed,
            "steps_total": log.steps_total,
            "sides": log.sides,
            "tension_before": log.tension_before,
            "tension_after": log.tension_after,
            "tension_map": log.tension_map,
            "rating": log.rating,
            "notes": log.notes,
            "local_date": log.local_date.isoformat(),
            "timezone": log.timezone,
            "source": log.source,
        }
        for log in session_logs_for(user=user).iterator(chunk_size=1000)
    ]


def member_export_rest_days(user: User) -> list[str]:
    return [
        day.isoformat()
        for day in RestDay.objects.filter(user=user)
        .order_by("local_date")
        .values_list("local_date", flat=True)
    ]


def member_export_favourites(user: User) -> list[str]:
    return list(
        Favourite.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values_list("series__slug", flat=True)
    )


def member_export_practice_plan(user: User) -> dict[str, Any]:
    plan = practice_plan_for(user=user)
    return {"rest_weekdays": plan.rest_weekdays, "rest_days_per_week": plan.rest_days_per_week}
