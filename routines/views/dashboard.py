"""The progress dashboard, "rest today" and the practice plan."""

from __future__ import annotations

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
from routines.dashboard_notices import dashboard_notices
from routines.forms import PracticePlanForm, apply_errors
from routines.selectors import MemberStats, member_local_today, member_stats
from routines.services import RestLimitReached, practice_plan_update, rest_day_mark

# One entry per member: the fragments with the stats version they show (which every write,
# each new local day and a zone change moves), replaced when the version moves, so the
# cache holds at most one copy per member however often they log; unvisited for this
# long, it goes.
FRAGMENTS_CACHE_SECONDS = 60 * 60 * 24
# Bumped when the fragments' markup changes, so a deploy never serves the previous markup.
FRAGMENTS_MARKUP_VERSION = 2


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


def _plan_fields_html(plan_form: PracticePlanForm) -> str:
    return render_to_string("routines/includes/plan_fields.html", {"plan_form": plan_form})


def _fragments(user: User, stats: MemberStats, plan_form: PracticePlanForm) -> dict[str, str]:
    """The parts of the page that only the figures decide: the charts and the plan's
    fields (the plan comes with the figures: any plan change moves the stats version)."""
    return {
        "charts": _charts_html(user) if stats.sessions_total else "",
        "plan_fields": _plan_fields_html(plan_form),
    }


def _dashboard_context(
    request: HttpRequest, plan_form: PracticePlanForm | None = None
) -> dict[str, Any]:
    """The figures (one read of the member's stored snapshot) and the fragments, rendered
    once per stats version (``MemberStats.key``) and then read from the member's one
    cache entry. A plan form sent back with errors is rendered for this request only."""
    stats = member_stats(user=request.user, with_calendar=False)
    practice_plan = {
        "rest_weekdays": stats.rest_weekdays,
        "rest_days_per_week": stats.rest_days_per_week,
    }
    unbound = PracticePlanForm(initial=practice_plan)
    cache_key = f"dashboard:v{FRAGMENTS_MARKUP_VERSION}:{request.user.pk}"
    shown_key, fragments = cache.get(cache_key) or (None, None)
    if shown_key != stats.key:
        fragments = _fragments(request.user, stats, unbound)
        cache.set(cache_key, (stats.key, fragments), FRAGMENTS_CACHE_SECONDS)
    plan_fields = fragments["plan_fields"] if plan_form is None else _plan_fields_html(plan_form)
    # Rendered by our own templates, escaped there.
    return {
        "stats": stats,
        # What other apps have to say (e.g. an offer the streak unlocked): a registry.
        "notices": dashboard_notices(user=request.user, stats=stats),
        "charts_html": mark_safe(fragments["charts"]),  # noqa: S308
        "plan_fields_html": mark_safe(plan_fields),  # noqa: S308
        "plan_form": plan_form or unbound,
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
