"""Reads of the editors' side of the library: every series whatever its status, what is
missing before one can go live, and its audit history."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from routines.models import AuditEntry, BodyPart, Routine, Series, Step


def series_for_editing(*, slug: str) -> Series:
    """One series of any status with its body parts, routines and their steps, in order."""
    series = (
        Series.objects.select_related("next_installment")
        .prefetch_related(
            Prefetch("body_parts", queryset=BodyPart.objects.order_by("position", "name")),
            Prefetch(
                "routines",
                queryset=Routine.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("steps", queryset=Step.objects.order_by("position"))
                ),
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if series is None:
        raise Http404("No such series.")
    return series


def routine_for_editing(*, series: Series, routine_id: int) -> Routine:
    """A routine of this series (another series' routine is a 404), its steps in order."""
    routine = (
        Routine.objects.filter(series=series, pk=routine_id)
        .select_related("series")
        .prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("position")))
        .first()
    )
    if routine is None:
        raise Http404("No such routine.")
    return routine


def step_for_editing(*, routine: Routine, step_id: int) -> Step:
    step = Step.objects.filter(routine=routine, pk=step_id).select_related("routine").first()
    if step is None:
        raise Http404("No such step.")
    return step


def series_publication_problems(*, series: Series) -> list[str]:
    """What keeps the series from going live, in words for the editor; empty when it may.

    A series needs at least one routine with at least one step.
    """
    routines = list(
        Routine.objects.filter(series=series)
        .annotate(step_count=Count("steps"))
        .order_by("position", "pk")
        .values_list("title", "step_count")
    )
    if not routines:
        return [_("Add at least one routine with at least one step: this series has none yet.")]
    if not any(count for _title, count in routines):
        return [
            _("Add at least one step to “%(title)s”: no routine of this series has a step yet.")
            % {"title": routines[0][0]}
        ]
    return []


def series_empty_routines(*, series: Series) -> list[str]:
    """Titles of the series' routines without a step (members would find them empty)."""
    return list(
        Routine.objects.filter(series=series)
        .annotate(step_count=Count("steps"))
        .filter(step_count=0)
        .order_by("position", "pk")
        .values_list("title", flat=True)
    )


def series_history(*, series: Series) -> QuerySet[AuditEntry]:
    """The series' audit entries, newest first, who acted selected."""
    return (
        AuditEntry.objects.filter(series=series)
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


def series_is_live(series: Series) -> bool:
    """Scheduled or published: it must stay publishable (never left without a step)."""
    return series.status in {Series.Status.SCHEDULED, Series.Status.PUBLISHED}


def series_search_for_editors(
    *, q: str | None = None, status: str | None = None
) -> QuerySet[Series]:
    """Every series for the editor's list, newest change first, with its routine count;
    filtered by text (title or slug) and status."""
    series = Series.objects.annotate(routine_count=Count("routines")).order_by("-updated_at", "-pk")
    if q and q.strip():
        series = series.filter(Q(title__icontains=q.strip()) | Q(slug__icontains=q.strip()))
    if status:
        series = series.filter(status=status)
    return series
