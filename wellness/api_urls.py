"""Everything under /api/v1/: each app contributes its routes here."""

from django.urls import include, path

urlpatterns = [
    # Routines first: the busiest endpoints (sessions/, me/stats/) are there. No path
    # is in both apps, so the order changes nothing else.
    path("", include("routines.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("reminders.api_urls")),
    path("", include("newsletters.api_urls")),
    path("", include("offers.api_urls")),
]
