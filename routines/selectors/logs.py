"""Reads of a member's own data: logs, favourites, safety checklists, plan, export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from routines.models import (
    Favourite,
    PracticePlan,
    RestDay,
    SafetyAcknowledgement,
    Series,
    SessionLog,
)


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
