"""The progress dashboard, "rest today" and the practice plan."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_POST

from routines import charts
from routines.forms import PracticePlanForm, apply_errors
from routines.selectors import (
    MemberStats,
    member_local_today,
    member_stats,
    member_stats_figures,
)
from routines.services import RestLimitReached, practice_plan_update, rest_day_mark


class _Charts:
    """The charts' geometry, built only when the template asks for it.

    The template caches the rendered charts per ``stats.key`` (which changes on every
    write, each new local day and a zone change), so a cache hit skips all of this.
    """

    def __init__(self, stats: MemberStats, user: Any) -> None:
        self.stats = stats
        self.user = user

    @cached_property
    def calendar(self) -> list[dict[str, Any]]:
        """The 12-month calendar, read only now (the page's figures come without it)."""
        return member_stats(user=self.user, today=self.stats.today).heatmap

    @cached_property
    def weekly(self) -> dict[str, Any]:
        return charts.weekly_bars(self.stats.weekly_minutes)

    @cached_property
    def heatmap(self) -> dict[str, Any]:
        return charts.heatmap(self.calendar)

    @cached_property
    def months(self) -> list[dict[str, Any]]:
        return charts.months_summary(self.calendar)

    @cached_property
    def by_body_part(self) -> list[dict[str, Any]]:
        parts = self.stats.by_body_part
        max_part = max([p["minutes"] for p in parts] + [1])
        return [{**p, "percent": round(100 * p["minutes"] / max_part)} for p in parts]


def _dashboard(request: HttpRequest, plan_form: PracticePlanForm | None = None) -> HttpResponse:
    stats = member_stats_figures(user=request.user)
    # The plan comes with the figures (any plan change drops the cached figures).
    practice_plan = {
        "rest_weekdays": stats.rest_weekdays,
        "rest_days_per_week": stats.rest_days_per_week,
    }
    if plan_form is None:
        plan_form = PracticePlanForm(initial=practice_plan)
    return render(
        request,
        "routines/dashboard.html",
        {
            "stats": stats,
            "charts": _Charts(stats, request.user),
            "plan_form": plan_form,
            "plan": practice_plan,
        },
        status=400 if plan_form.is_bound else 200,
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request)


@login_required
@require_POST
def rest_today(request: HttpRequest) -> HttpResponse:
    today = member_local_today(user=request.user)
    try:
        _, created = rest_day_mark(user=request.user, local_date=today)
    except RestLimitReached as exc:
        messages.error(
            request,
            f"{exc} Rest days reset on Monday; you can change how many you allow below.",
        )
    else:
        if created:
            messages.success(request, "Today is a rest day: your streak is safe. Rest well.")
        else:
            messages.info(request, "Today was already marked as a rest day.")
    return redirect("routines:dashboard")


@login_required
@require_POST
def practice_plan(request: HttpRequest) -> HttpResponse:
    form = PracticePlanForm(request.POST)
    if form.is_valid():
        try:
            practice_plan_update(
                user=request.user,
                rest_weekdays=form.cleaned_data["rest_weekdays"],
                rest_days_per_week=form.cleaned_data["rest_days_per_week"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, "Practice plan saved.")
            return redirect("routines:dashboard")
    return _dashboard(request, plan_form=form)
