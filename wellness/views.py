from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellness.selectors import site_health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers: 200 when database and broker answer, else 503."""
    report = site_health()
    return JsonResponse(report, status=200 if report["ok"] else 503)
