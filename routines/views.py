from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from routines.selectors import series_visible_to


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    series = series_visible_to(request.user).prefetch_related("body_parts").order_by("title")
    return render(request, "routines/library.html", {"series_list": series})


@require_GET
def series_detail(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(
        series_visible_to(request.user).prefetch_related("routines__steps", "body_parts"),
        slug=slug,
    )
    return render(request, "routines/series.html", {"series": series})


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "routines/dashboard.html", {})
