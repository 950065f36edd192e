import logging
import sys

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellness.db import DB_CONNECTION_ERRORS
from wellness.selectors import site_health

logger = logging.getLogger("kneadful.errors")

# What a client is told to wait before trying again while the database is away (a restart
# or a failover takes seconds; Django opens a fresh connection on the next request).
DATABASE_RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE_DETAIL = "The service is briefly unavailable. Please try again shortly."


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers: 200 when database and broker answer, else 503."""
    report = site_health()
    return JsonResponse(report, status=200 if report["ok"] else 503)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: JSON under /api/ (an API client never gets an HTML page), the
    site's 404 page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def database_unavailable(
    request: HttpRequest, exc: BaseException, response: HttpResponseBase | None = None
) -> HttpResponseBase:
    """The answer while the database connection is lost: 503 with ``Retry-After``, JSON
    (``response``, the API's own) under /api/, the site's 503 page elsewhere.

    An outage, not a bug: logged once as a warning, without the traceback. The page is
    rendered without a request or context (no member, no database: they are what failed).
    """
    if response is None:
        if _is_api(request):
            response = JsonResponse({"detail": DATABASE_UNAVAILABLE_DETAIL}, status=503)
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    logger.warning(
        "Database unavailable, answered 503 to %s %s: %s: %s",
        request.method,
        request.path,
        type(exc).__name__,
        exc,
    )
    # Django's request logger would log this 503 again, as an error with the traceback.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: JSON under /api/, the site's 500 page elsewhere; 503 when the
    error is a lost database connection (raised by a view or a middleware)."""
    exc = sys.exc_info()[1]  # Django calls this handler while handling the exception
    if isinstance(exc, DB_CONNECTION_ERRORS):
        return database_unavailable(request, exc)  # type: ignore[return-value]
    if _is_api(request):
        return JsonResponse(
            {"detail": "Something went wrong on our side. Please try again later."}, status=500
        )
    return defaults.server_error(request)
