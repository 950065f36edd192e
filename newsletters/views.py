"""Public pages: the sign-up form, the double opt-in link, and the subscriber's own links.

None needs a login: a signed token names the subscriber. A GET never changes anything
(mail scanners follow links); the change happens on POST. One-click unsubscribe
(RFC 8058) is a POST without CSRF token, authorised by the token, as for members.
"""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.email_views import _csrf_rejection, _is_one_click, _masked
from accounts.emails import CATEGORY_PHRASES, preferences_url
from newsletters.forms import SubscribeForm, SubscriberPreferencesForm
from newsletters.links import (
    BadSubscriberToken,
    confirm_token_read,
    manage_token_make,
    manage_token_read,
    unsubscribe_token_read,
)
from newsletters.selectors import subscriber_by_id
from newsletters.services import (
    subscriber_category_set,
    subscriber_confirmed,
    subscriber_preferences_update,
    subscription_confirm,
    subscription_request,
)


def _token_page(request: HttpRequest, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _token_page(request, "newsletters/link_invalid.html", {}, 400)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The same answer for every well-formed address, known or not (no enumeration)."""
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not ratelimit.consume(request, action="newsletter_subscribe"):
            return render(request, "429.html", status=429)
        if form.is_valid():
            subscription_request(email=form.cleaned_data["email"])
            return redirect("newsletters:subscribe_done")
    return render(request, "newsletters/subscribe.html", {"form": form})


@require_GET
def subscribe_done(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletters/subscribe_done.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = confirm_token_read(token)
    except BadSubscriberToken:
        return _bad_link(request)
    subscriber = subscriber_by_id(pk=data["s"])
    if subscriber is None or subscriber.address.lower() != data["e"]:
        return _bad_link(request)
    if request.method == "POST":
        subscription_confirm(token=token)
    context = {
        "done": request.method == "POST"
        or subscriber_confirmed(subscriber=subscriber, category=data["c"]),
        "category_phrase": CATEGORY_PHRASES[data["c"]],
        "address": _masked(subscriber.address),
        "manage_url": _manage_link(subscriber),
    }
    return _token_page(request, "newsletters/confirm.html", context)


def _manage_link(subscriber) -> str:
    from django.urls import reverse

    if subscriber.user_id:  # a member's choices live in their preference centre
        return preferences_url(user=subscriber.user)
    return reverse("newsletters:manage", args=[manage_token_make(subscriber=subscriber)])


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriber_by_id(pk=manage_token_read(token))
    except BadSubscriberToken:
        return _bad_link(request)
    if subscriber is None:
        return _bad_link(request)
    if subscriber.user_id:
        return redirect(preferences_url(user=subscriber.user))
    initial = {c: subscriber.confirmed_at(c) is not None for c in ("newsletter", "offers")}
    form = SubscriberPreferencesForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST":
        if request.POST.get("action") == "leave":
            subscriber_preferences_update(subscriber=subscriber, newsletter=False, offers=False)
            messages.success(request, _("You're unsubscribed from everything. We won't email you."))
            return redirect(request.path)
        if form.is_valid():
            subscriber_preferences_update(subscriber=subscriber, **form.cleaned_data)
            messages.success(request, _("Your choices are saved."))
            return redirect(request.path)
    context = {"form": form, "address": _masked(subscriber.address)}
    return _token_page(request, "newsletters/manage.html", context)


@csrf_exempt  # only for RFC 8058 one-click POSTs: the signed token authorises them
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pk, category = unsubscribe_token_read(token)
    except BadSubscriberToken:
        return _bad_link(request)
    subscriber = subscriber_by_id(pk=pk)
    if subscriber is None or category not in ("newsletter", "offers"):
        return _bad_link(request)
    phrase = CATEGORY_PHRASES[category]
    if request.method == "POST" and _is_one_click(request):
        subscriber_category_set(subscriber=subscriber, category=category, enabled=False)
        body = (
            "<!doctype html><html lang='en'><meta charset='utf-8'>"
            f"<title>{escape(_('Unsubscribed'))}</title><p>"
            + escape(_("You're unsubscribed from %(phrase)s of Kneadful.") % {"phrase": phrase})
            + "</p>"
        )
        return HttpResponse(body, content_type="text/html; charset=utf-8")
    if request.method == "POST":
        if (rejection := _csrf_rejection(request)) is not None:
            return rejection
        enabled = request.POST.get("action") == "resubscribe"
        subscriber_category_set(subscriber=subscriber, category=category, enabled=enabled)
    context = {
        "category_phrase": phrase,
        "subscribed": subscriber_confirmed(subscriber=subscriber, category=category),
        "done": request.method == "POST",
        "address": _masked(subscriber.address),
        "manage_url": _manage_link(subscriber),
    }
    return _token_page(request, "newsletters/unsubscribe.html", context)
