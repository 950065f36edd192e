import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import ApiTokenForm, DeleteAccountForm, ProfileForm
from accounts.selectors import api_tokens_for, member_data_export
from accounts.services import (
    api_token_create,
    api_token_revoke,
    user_delete,
    user_profile_update,
)


def _profile_page(
    request: HttpRequest, *, form: ProfileForm | None = None, token_form: ApiTokenForm | None = None
) -> HttpResponse:
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form or ProfileForm.for_user(request.user),
            "token_form": token_form or ApiTokenForm(prefix="token"),
            "tokens": api_tokens_for(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm.for_user(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    return _profile_page(request, form=form)


@login_required
@require_POST
@never_cache
def token_create(request: HttpRequest) -> HttpResponse:
    """Create a named token and show its key in this answer only (never stored, not cached)."""
    token_form = ApiTokenForm(request.POST, prefix="token")
    if not token_form.is_valid():
        return _profile_page(request, token_form=token_form)
    token, key = api_token_create(user=request.user, name=token_form.cleaned_data["name"])
    return render(request, "accounts/api_token_created.html", {"token": token, "key": key})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, _("The token is revoked: it no longer opens your account."))
    else:
        messages.info(request, _("That token was already revoked."))
    return redirect(reverse("accounts:profile") + "#api-tokens")


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        user_delete(user=user)
        messages.info(request, "Your account and all its data have been deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})


@login_required
@require_GET
def export_data(request: HttpRequest) -> HttpResponse:
    payload = member_data_export(user=request.user)
    payload["exported_at"] = timezone.now().isoformat()
    response = HttpResponse(
        json.dumps(payload, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="kneadful-data-{stamp}.json"'
    return response
