"""Reads of the library: what a visitor or member may see, play and log."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from routines.models import BodyPart, Routine, Series, SessionLog, Step
from routines.roles import can_edit_library


def series_visible_to(user: User | AnonymousUser) -> QuerySet[Series]:
    """Published series for members and visitors; editors (``routines.roles.EDIT_LIBRARY``)
    also see drafts, scheduled and unpublished ones. ``is_staff`` alone shows nothing more."""
    if can_edit_library(user):
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


def _body_parts_ordered() -> QuerySet[BodyPart]:
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
    """A routine of a visible series, its series selected with its body parts, and its
    steps in order (three queries, however often the page reads them)."""
    routine = (
        Routine.objects.filter(series__in=series_visible_to(user), pk=routine_id)
        .select_related("series")
        .prefetch_related(Prefetch("steps", queryset=_steps_ordered()), "series__body_parts")
        .first()
    )
    if routine is None:
        raise Http404("No such routine.")
    return routine


def routines_for_logging(*, user: User) -> QuerySet[Routine]:
    """The routines anyone may log: those of published series (an editor previewing a
    draft practises nothing to count), with ``step_count``, ordered for a picker."""
    return (
        Routine.objects.filter(series__in=Series.objects.published())
        .select_related("series")
        .annotate(step_count=Count("steps"))
        .order_by("series__title", "position", "pk")
    )


def routine_for_logging(*, user: User, routine_id: int) -> Routine | None:
    """A routine the member may log now (its series published), with
    ``step_count`` annotated (what ``session_log_create`` needs); None otherwise.

    The one rule every way of logging goes through: the player, the API, the form
    and the reminder email's "I did it".
    """
    return routines_for_logging(user=user).filter(pk=routine_id).first()


def routines_for_log_edit(*, user: User, log: SessionLog) -> QuerySet[Routine]:
    """The routines an existing log may be moved to: those the member may log, plus
    the log's own routine even if its series was unpublished since."""
    return (
        Routine.objects.filter(
            Q(pk__in=routines_for_logging(user=user).values("pk")) | Q(pk=log.routine_id)
        )
        .select_related("series")
        .annotate(step_count=Count("steps"))
        .order_by("series__title", "position", "pk")
    )
