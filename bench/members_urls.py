"""The real URLs plus ``/bench/ceiling``: a constant JSON answer, the ceiling of Django here."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from wellness.urls import urlpatterns as product_urlpatterns


def ceiling(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "service": "kneadful"})


urlpatterns = [path("bench/ceiling", ceiling), *product_urlpatterns]
