"""Kneadful's URLs plus one view that fails, for the error page tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from wellness.urls import *  # noqa: F403 (handler404/500 too, if the project sets them)
from wellness.urls import urlpatterns as site_urlpatterns


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken), *site_urlpatterns]
