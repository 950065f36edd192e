"""Library pages: browse and search series, a series, a routine, favourites, safety gate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from routines import player as plan
from routines.forms import LibraryFilterForm, SafetyForm
from routines.models import BodyPart
from routines.selectors import (
    favourite_series_ids,
    member_has_acknowledged,
    routine_for_player,
    series_detail_for,
    series_search,
)
from routines.services import favourite_toggle, safety_acknowledge


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    form = LibraryFilterForm(request.GET)
    filters = form.filters()
    favourite_ids = favourite_series_ids(user=request.user)
    series_list = series_search(user=request.user, **filters)
    if form.only_favourites():
        series_list = series_list.filter(pk__in=favourite_ids)
    chips = [{"name": _("All"), "slug": None}]
    chips += [
        {"name": part.name, "slug": part.slug}
        for part in BodyPart.objects.order_by("position", "name")
    ]
    return render(
        request,
        "routines/library.html",
        {
            "form": form,
            "filters": filters,
            "filtering": form.only_favourites() or any(v is not None for v in filters.values()),
            "series_list": series_list,
            "chips": chips,
            "favourite_ids": favourite_ids,
        },
    )


@require_GET
def series_detail(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_detail_for(user=request.user, slug=slug)
    noun = plan.side_noun(series)
    return render(
        request,
        "routines/series.html",
        {
            "series": series,
            "is_favourite": series.pk in favourite_series_ids(user=request.user),
            "side_noun": noun,
            "digit": plan.digits_for(noun)[0],
        },
    )


@login_required
@require_POST
def favourite(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_detail_for(user=request.user, slug=slug)
    if favourite_toggle(user=request.user, series=series):
        messages.success(request, f"“{series.title}” is now in your favourites.")
    else:
        messages.success(request, f"“{series.title}” was removed from your favourites.")
    return redirect(_safe_next(request, series.get_absolute_url()))


@require_GET
def routine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    routine = routine_for_player(user=request.user, routine_id=pk)
    noun = plan.side_noun(routine.series)
    return render(
        request,
        "routines/routine.html",
        {
            "routine": routine,
            "series": routine.series,
            "steps": list(routine.steps.all()),
            "body_parts": list(routine.series.body_parts.all()),
            "side_noun": noun,
            "digit": plan.digits_for(noun)[0],
            "total_seconds": sum(s.duration_seconds for s in routine.steps.all())
            * len(plan.sides_for(routine)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def safety(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_detail_for(user=request.user, slug=slug)
    fallback = series.get_absolute_url()
    if not series.contraindications or member_has_acknowledged(user=request.user, series=series):
        return redirect(_safe_next(request, fallback))
    form = SafetyForm(request.POST or None, statements=series.contraindications)
    if request.method == "POST" and form.is_valid():
        safety_acknowledge(user=request.user, series=series)
        messages.success(request, "Thank you. Enjoy your session, and go gently.")
        return redirect(_safe_next(request, fallback))
    return render(
        request,
        "routines/safety.html",
        {"series": series, "form": form, "next": _safe_next(request, "")},
        status=400 if form.is_bound else 200,
    )
