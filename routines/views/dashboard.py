"""The progress dashboard, "rest today" and the practice plan."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from routines import charts
from routines.forms import PracticePlanForm, apply_errors
from routines.selectors import member_local_today, member_stats, practice_plan_for
from routines.services import RestLimitReached, practice_plan_update, rest_day_mark


def _dashboard(request: HttpRequest, plan_form: PracticePlanForm | None = None) -> HttpResponse:
    stats = member_stats(user=request.user)
    practice_plan = practice_plan_for(user=request.user)
    if plan_form is None:
        plan_form = PracticePlanForm(
            initial={
                "rest_weekdays": practice_plan.rest_weekdays,
                "rest_days_per_week": practice_plan.rest_days_per_week,
            }
        )
    max_part = max([p["minutes"] for p in stats.by_body_part] + [1])
    return render(
        request,
        "routines/dashboard.html",
        {
            "stats": stats,
            "weekly": charts.weekly_bars(stats.weekly_minutes),
            "heatmap": charts.heatmap(stats.heatmap),
            "months": charts.months_summary(stats.heatmap),
            "by_body_part": [
                {**p, "percent": round(100 * p["minutes"] / max_part)} for p in stats.by_body_part
            ],
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
