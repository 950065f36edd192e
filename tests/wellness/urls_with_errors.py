"""Kneadful's URLs plus views that fail (a bug, a lost database), for the error page tests."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from wellness.urls import *  # noqa: F403 (handler404/500 too, if the project sets them)
from wellness.urls import urlpatterns as site_urlpatterns


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def database_down(request: HttpRequest) -> HttpResponse:
    raise OperationalError("terminating connection due to administrator command")


class DatabaseDownAPI(APIView):
    permission_classes = [AllowAny]

    def get(self, request):  # type: ignore[no-untyped-def]
        raise OperationalError("terminating connection due to administrator command")


urlpatterns = [
    path("broken/", broken),
    path("database-down/", database_down),
    path("api/v1/database-down/", DatabaseDownAPI.as_view()),
    path("api/v1/database-down-outside-drf/", database_down),
    *site_urlpatterns,
]
