"""Staff pages: create, edit, schedule and end offers, follow their redemptions, export
them as CSV, and announce an offer to the offers subscribers.

Every page needs a staff account with the model permission (the "Editors" group has
them: migration 0002): ``view_offer`` to read, ``add_offer`` / ``change_offer`` to write,
``view_redemption`` for the CSV (it names members). Anonymous visitors go to the login
page, everyone else without the permission gets 403.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone as tz
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from newsletters.services import CampaignStateError
from offers.charts import daily_bars
from offers.forms import AnnounceForm, OfferForm
from offers.models import Offer, Redemption
from offers.selectors import offer_redemptions_by_day, offers_for_staff, redemptions_for_export
from offers.services import (
    OfferStateError,
    offer_announce,
    offer_create,
    offer_end,
    offer_update,
)


def staff_permission(*perms: str) -> Callable:
    """Anonymous visitors go to the login page; others need ``perms`` (the Editors group
    has them; staff status alone gives nothing, as for the editor's pages)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            user = request.user
            if not user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def _apply_errors(form: OfferForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@staff_permission("offers.view_offer")
@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    context = {"offers": offers_for_staff(), "now": tz.now()}
    return render(request, "offers/staff/list.html", context)


@staff_permission("offers.add_offer")
@require_http_methods(["GET", "POST"])
def offer_new(request: HttpRequest) -> HttpResponse:
    form = OfferForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            offer = offer_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Offer saved."))
            return redirect("offers:staff_detail", pk=offer.pk)
    status = 400 if form.errors else 200
    return render(request, "offers/staff/form.html", {"form": form, "offer": None}, status=status)


@staff_permission("offers.change_offer")
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(Offer, pk=pk)
    form = OfferForm(request.POST or None, request.FILES or None, instance=offer)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            offer_update(offer=offer, **changed)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("offers:staff_detail", pk=offer.pk)
    status = 400 if form.errors else 200
    return render(request, "offers/staff/form.html", {"form": form, "offer": offer}, status=status)


@staff_permission("offers.view_offer")
@require_GET
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(offers_for_staff(), pk=pk)
    now = tz.now()
    days = offer_redemptions_by_day(offer=offer, zone=request.user.zone, now=now)
    context = {
        "offer": offer,
        "status": offer.status_at(now),
        "chart": daily_bars(days),
        "days": days,
        "announce_form": AnnounceForm(),
    }
    return render(request, "offers/staff/detail.html", context)


@staff_permission("offers.change_offer")
@require_POST
def offer_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(Offer, pk=pk)
    try:
        offer_end(offer=offer)
    except OfferStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The offer has ended. Codes already given stay valid."))
    return redirect("offers:staff_detail", pk=offer.pk)


@staff_permission("offers.change_offer", "newsletters.add_campaign")
@require_POST
def offer_announce_view(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(Offer, pk=pk)
    form = AnnounceForm(request.POST)
    send = form.is_valid() and form.cleaned_data["send_now"]
    if send and not request.user.has_perm("newsletters.change_campaign"):
        raise PermissionDenied
    try:
        campaign = offer_announce(offer=offer, created_by=request.user, send=send)
    except (OfferStateError, CampaignStateError) as exc:
        messages.error(request, str(exc))
        return redirect("offers:staff_detail", pk=offer.pk)
    if send:
        messages.success(request, _("The announcement is on its way to the offers subscribers."))
    else:
        messages.success(
            request, _("The announcement is a draft: preview it, send a test, then send it.")
        )
    return redirect("newsletters:campaign_detail", pk=campaign.pk)


# --- CSV --------------------------------------------------------------------------------------

CSV_HEADER = ["redeemed_at_utc", "member_id", "email", "display_name", "offer_id", "offer"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(offer: Offer, redemptions: Iterable[Redemption]) -> Iterator[list[object]]:
    yield CSV_HEADER
    for redemption in redemptions:
        yield [
            csv_cell(value)
            for value in (
                redemption.redeemed_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                redemption.user_id,
                redemption.user.email,
                redemption.user.display_name,
                offer.pk,
                offer.title,
            )
        ]


@staff_permission("offers.view_offer", "offers.view_redemption")
@require_GET
def offer_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    offer = get_object_or_404(Offer, pk=pk)
    writer = csv.writer(_Echo())
    rows = redemptions_for_export(offer=offer).iterator(chunk_size=2000)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _csv_rows(offer, rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="kneadful-offer-{offer.pk}.csv"'
    response["Cache-Control"] = "no-store"
    return response
