"""The progress dashboard, "rest today" and the practice plan."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from routines import charts as chart_svg
from routines.forms import PracticePlanForm, apply_errors
from routines.selectors import member_local_today, member_stats
from routines.services import RestLimitReached, practice_plan_update, rest_day_mark

# The charts of one stats version: their key changes with every write, each new local
# day and a zone change, so an entry is never stale, only unused; this bounds how long.
CHARTS_CACHE_SECONDS = 60 * 60 * 24
# Bumped when the charts' markup changes, so a deploy never serves the previous markup.
CHARTS_MARKUP_VERSION = 2


def _charts_html(user: User) -> str:
    """The charts (weekly bars, the year's calendar, body parts) as markup."""
    stats = member_stats(user=user)
    parts = stats.by_body_part
    max_part = max([p["minutes"] for p in parts] + [1])
    charts = {
        "weekly": chart_svg.weekly_bars(stats.weekly_minutes),
        "heatmap": chart_svg.heatmap(stats.heatmap),
        "months": chart_svg.months_summary(stats.heatmap),
        "by_body_part": [{**p, "percent": round(100 * p["minutes"] / max_part)} for p in parts],
    }
    return render_to_string("routines/includes/dashboard_charts.html", {"charts": charts})


def _dashboard_context(
    request: HttpRequest, plan_form: PracticePlanForm | None = None
) -> dict[str, Any]:
    """The figures (one read of the member's stored snapshot) and the charts, rendered
    once per stats version and then read from the cache (``MemberStats.key``)."""
    stats = member_stats(user=request.user, with_calendar=False)
    charts_html = ""
    if stats.sessions_total:
        charts_html = cache.get_or_set(
            f"dashboard:charts:v{CHARTS_MARKUP_VERSION}:{stats.key}",
            functools.partial(_charts_html, request.user),
            CHARTS_CACHE_SECONDS,
        )
    # The plan comes with the figures (any plan change drops the stored figures).
    practice_plan = {
        "rest_weekdays": stats.rest_weekdays,
        "rest_days_per_week": stats.rest_days_per_week,
    }
    return {
        "stats": stats,
        "charts_html": mark_safe(charts_html),  # noqa: S308 - rendered by our own template
        "plan_form": plan_form or PracticePlanForm(initial=practice_plan),
        "plan": practice_plan,
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "routines/dashboard.html", _dashboard_context(request))


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
    return render(request, "routines/dashboard.html", _dashboard_context(request, form), status=400)
