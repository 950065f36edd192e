"""The progress dashboard, "rest today" and the practice plan."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from routines import charts
from routines.forms import PracticePlanForm, apply_errors
from routines.selectors import MemberStats, member_local_today, member_stats, member_stats_key
from routines.services import RestLimitReached, practice_plan_update, rest_day_mark
from wellness.pagecache import member_page


def _charts(stats: MemberStats) -> dict[str, Any]:
    parts = stats.by_body_part
    max_part = max([p["minutes"] for p in parts] + [1])
    return {
        "weekly": charts.weekly_bars(stats.weekly_minutes),
        "heatmap": charts.heatmap(stats.heatmap),
        "months": charts.months_summary(stats.heatmap),
        "by_body_part": [{**p, "percent": round(100 * p["minutes"] / max_part)} for p in parts],
    }


def _dashboard_context(
    request: HttpRequest,
    plan_form: PracticePlanForm | None = None,
    stats: MemberStats | None = None,
) -> dict[str, Any]:
    stats = stats or member_stats(user=request.user)
    # The plan comes with the figures (any plan change drops the cached figures).
    practice_plan = {
        "rest_weekdays": stats.rest_weekdays,
        "rest_days_per_week": stats.rest_days_per_week,
    }
    return {
        "stats": stats,
        "charts": _charts(stats) if stats.sessions_total else None,
        "plan_form": plan_form or PracticePlanForm(initial=practice_plan),
        "plan": practice_plan,
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The whole page is cached per ``MemberStats.key`` (changes on every write, each
    new local day and a zone change); a visit without changes is one small query."""
    stats = None
    key = member_stats_key(user=request.user)
    if key is None:  # the member's first figures: computed (and stored) now
        stats = member_stats(user=request.user)
        key = stats.key
    return member_page(
        request,
        key=f"dashboard:{key}",
        template_name="routines/dashboard.html",
        context=lambda: _dashboard_context(request, stats=stats),
    )


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
