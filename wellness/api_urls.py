"""Everything under /api/v1/: each app contributes its routes here."""

from django.urls import include, path

urlpatterns = [
    # The staff editor first: it extends the library's series/ and series/<slug>/ with
    # POST and PATCH for editors (GET stays the library's own, public view).
    path("", include("editor.api_urls")),
    # Routines first: the busiest endpoints (sessions/, me/stats/) are there. No path
    # is in both apps, so the order changes nothing else.
    path("", include("routines.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("reminders.api_urls")),
    path("", include("newsletters.api_urls")),
    path("", include("offers.api_urls")),
]
