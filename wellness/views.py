from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellness.selectors import site_health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    from routines.selectors import series_visible_to

    featured = series_visible_to(request.user).prefetch_related("body_parts").order_by("title")[:6]
    return render(request, "home.html", {"featured": featured})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers: 200 when database and broker answer, else 503."""
    report = site_health()
    return JsonResponse(report, status=200 if report["ok"] else 503)
