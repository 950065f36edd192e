"""The navigation's offers links (``TEMPLATES`` context processor, listed in settings).

Members see "Offers" when at least one offer is open to them; editors see "Manage
offers". Evaluated only when a template reads ``offers_nav`` (the header does), once per
request: ``offers_eligible_for`` (one plain query while no offer is live).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from offers.selectors import offers_nav_visible


def _links(request: HttpRequest) -> list[dict[str, Any]]:
    cached = getattr(request, "_offers_nav", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    links: list[dict[str, Any]] = []
    if user is not None and user.is_authenticated:
        match = getattr(request, "resolver_match", None)
        view_name = match.view_name if match else ""
        if offers_nav_visible(user=user):
            links.append(
                {
                    "url": reverse("offers:list"),
                    "label": _("Offers"),
                    "current": view_name == "offers:list",
                }
            )
        if user.has_perm("offers.view_offer"):
            links.append(
                {
                    "url": reverse("offers:staff_list"),
                    "label": _("Manage offers"),
                    "current": view_name.startswith("offers:staff"),
                }
            )
    request._offers_nav = links  # type: ignore[attr-defined]
    return links


def offers_navigation(request: HttpRequest) -> dict[str, Any]:
    return {"offers_nav": SimpleLazyObject(lambda: _links(request))}
