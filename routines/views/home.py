"""The home page: the site's introduction with a few published series from the library."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from routines.selectors import series_visible_to


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    featured = series_visible_to(request.user).prefetch_related("body_parts").order_by("title")[:6]
    return render(request, "home.html", {"featured": featured})
