import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import DeleteAccountForm, ProfileForm
from accounts.selectors import member_data_export
from accounts.services import user_delete, user_profile_update


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
    return render(request, "accounts/profile.html", {"form": form})


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
