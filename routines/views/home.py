"""The home page: the site's introduction with a few published series from the library.

The featured series are the public showcase, so they are published ones for everyone, editors
included: drafts are reviewed in the editor and the library, not on the front page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from routines.models import Series


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    featured = Series.objects.published().prefetch_related("body_parts").order_by("title")[:6]
    return render(request, "home.html", {"featured": featured})
