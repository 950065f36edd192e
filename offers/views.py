"""Members' offers page and its redeem button (a POST form: works without JavaScript)."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from offers.models import Offer
from offers.selectors import offers_eligible_for
from offers.services import OfferUnavailable, RedeemResult, offer_redeem

# allauth's rate limiter counts redemptions per member, for the page and the API alike
# (ACCOUNT_RATE_LIMITS["offer_redeem"], from OFFERS_REDEEM_RATE).
REDEEM_RATE_ACTION = "offer_redeem"


def redeem_allowed(request: HttpRequest) -> bool:
    return ratelimit.consume(request, action=REDEEM_RATE_ACTION)


def unavailable_status(exc: OfferUnavailable) -> int:
    """403 when the member is not in the audience; 409 when the offer is closed or run out."""
    return 403 if exc.reason == "not_eligible" else 409


def redeemed_message(result: RedeemResult) -> str:
    if not result.created:
        return _("You already redeemed this offer.")
    if result.code:
        return _("Offer redeemed. Your code is %(code)s.") % {"code": result.code}
    return _("Offer redeemed. Enjoy!")


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"offers": offers_eligible_for(user=request.user), "error": error}
    return render(request, "offers/list.html", context, status=status)


@login_required
@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def offer_redeem_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not redeem_allowed(request):
        return _page(
            request, error=_("Too many attempts. Wait a minute and try again."), status=429
        )
    try:
        result = offer_redeem(offer_id=pk, user=request.user)
    except Offer.DoesNotExist:
        raise Http404(_("No offer for you here.")) from None
    except OfferUnavailable as exc:
        return _page(request, error=str(exc), status=unavailable_status(exc))
    messages.success(request, redeemed_message(result))
    return redirect(reverse("offers:list") + f"#offer-{pk}")
