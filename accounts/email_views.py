"""Pages behind the links in every email: unsubscribe and the preference centre.

The unsubscribe and token preference pages need no login: a signed token names the
member (and, for unsubscribe, the category). A GET never changes anything, so link
scanners in mail filters cannot unsubscribe anyone; the change happens on POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.emails import (
    CATEGORY_PHRASES,
    BadEmailToken,
    preferences_token_make,
    preferences_token_read,
    unsubscribe_token_read,
)
from accounts.forms import EmailPreferencesForm
from accounts.models import User
from accounts.selectors import email_preferences_for, email_suppression_for
from accounts.services import (
    email_preferences_update,
    email_resubscribe,
    email_suppression_resume,
    email_unsubscribe,
)


def _masked(address: str) -> str:
    """m•••@example.com: enough to recognise the address, not to harvest it from a link."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def _token_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The token is in the URL: the site-wide Referrer-Policy "same-origin" already keeps it
    # from other sites. ("no-referrer" would make browsers send "Origin: null" with the
    # form POST, which Django's CSRF origin check rightly refuses.)
    return response


def _bad_token(request: HttpRequest) -> HttpResponse:
    login = f"{reverse('account_login')}?next={reverse('accounts:email_preferences')}"
    return _token_page(request, "accounts/email_token_invalid.html", {"login_url": login}, 400)


def _csrf_rejection(request: HttpRequest) -> HttpResponse | None:
    """The CSRF check this csrf_exempt view still wants for its ordinary form POST."""
    return CsrfViewMiddleware(lambda req: HttpResponse()).process_view(request, None, (), {})


ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _is_one_click(request: HttpRequest) -> bool:
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", form-encoded or as
    # multipart; a client that forgets the content type still sends that exact body.
    if request.content_type in FORM_TYPES:
        return request.POST.get("List-Unsubscribe") == "One-Click"
    return request.body.strip() == ONE_CLICK_BODY


@csrf_exempt  # only for RFC 8058 one-click POSTs: the signed token authorises them
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])  # mail scanners HEAD links: harmless
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        member, category = unsubscribe_token_read(token)
    except BadEmailToken:
        return _bad_token(request)
    phrase = CATEGORY_PHRASES[category]

    if request.method == "POST" and _is_one_click(request):
        email_unsubscribe(user=member, category=category)
        body = (
            "<!doctype html><html lang='en'><meta charset='utf-8'>"
            f"<title>Unsubscribed</title><p>You're unsubscribed from {escape(phrase)}"
            " of Kneadful.</p>"
        )
        return HttpResponse(body, content_type="text/html; charset=utf-8")

    if request.method == "POST":
        if (rejection := _csrf_rejection(request)) is not None:
            return rejection
        if request.POST.get("action") == "resubscribe":
            email_resubscribe(user=member, category=category)
        else:
            email_unsubscribe(user=member, category=category)

    subscribed = email_preferences_for(user=member)[category]
    context = {
        "category": category,
        "category_phrase": phrase,
        "subscribed": subscribed,
        "done": request.method == "POST",
        "address": _masked(member.email),
        "preferences_url": reverse("email:preferences", args=[preferences_token_make(user=member)]),
    }
    return _token_page(request, "accounts/email_unsubscribe.html", context)


def _preferences_form(request: HttpRequest, member: User) -> tuple[EmailPreferencesForm, bool]:
    """The preference centre's form; returns (form, saved)."""
    data = request.POST if request.method == "POST" else None  # all boxes off is a valid POST
    form = EmailPreferencesForm(data, initial=email_preferences_for(user=member))
    if request.method == "POST" and form.is_valid():
        email_preferences_update(user=member, **form.cleaned_data)
        return form, True
    return form, False


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "resume":
        # The member, logged in, says the address works again: lift a bounce or complaint.
        if email_suppression_resume(user=request.user):
            messages.success(request, "We'll send emails to this address again.")
        return redirect("accounts:email_preferences")
    form, saved = _preferences_form(request, request.user)
    if saved:
        messages.success(request, "Your email preferences are saved.")
        return redirect("accounts:email_preferences")
    context = {
        "form": form,
        "address": request.user.email,
        "by_token": False,
        "suppression": email_suppression_for(address=request.user.email),
    }
    return render(request, "accounts/email_preferences.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """The same preference centre, opened from an email without logging in."""
    try:
        member = preferences_token_read(token)
    except BadEmailToken:
        return _bad_token(request)
    form, saved = _preferences_form(request, member)
    if saved:
        messages.success(request, "Your email preferences are saved.")
        return redirect(request.path)
    context = {"form": form, "address": _masked(member.email), "by_token": True}
    return _token_page(request, "accounts/email_preferences.html", context)
