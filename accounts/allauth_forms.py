"""allauth's forms in Kneadful's words: sentence case, no placeholders standing in for
labels. Named in ``ACCOUNT_FORMS``
(https://docs.allauth.org/en/latest/account/forms.html); the behaviour is allauth's own.

Kept apart from ``accounts.forms``, which allauth's signup form inherits from
(``ACCOUNT_SIGNUP_FORM_CLASS``): importing allauth's forms there would be circular.
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account import forms as allauth_forms
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

LABELS = {
    "login": _("Email address"),
    "email": _("Email address"),
    "password": _("Password"),
    "remember": _("Keep me logged in on this device"),
    "oldpassword": _("Current password"),
}
# The new password's two fields read differently where there is a current one.
NEW_PASSWORD_LABELS = {"password1": _("New password"), "password2": _("New password, again")}
PASSWORD_LABELS = {"password1": _("Password"), "password2": _("Password, again")}


class KneadfulLabels:
    """Relabels allauth's fields and drops their placeholders (a label that vanishes as
    soon as one types)."""

    labels: dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = self.labels.get(name) or LABELS.get(name)
            if label is not None:
                field.label = label
            field.widget.attrs.pop("placeholder", None)


class LoginForm(KneadfulLabels, allauth_forms.LoginForm):
    pass


class SignupForm(KneadfulLabels, allauth_forms.SignupForm):
    labels = PASSWORD_LABELS

    def try_save(self, request: HttpRequest) -> tuple[Any, HttpResponse | None]:
        """A signup with a known address creates nothing (``ACCOUNT_PREVENT_ENUMERATION``:
        the same answer, and the owner is told by email), so it would answer without
        hashing a password, ten times faster than a new signup. It hashes one here, so both
        paths do the same work whatever happens next, including when allauth holds back the
        "account already exists" email (one per address per few minutes,
        ``ACCOUNT_RATE_LIMITS["confirm_email"]``): the answer time does not tell whether the
        address is known (as Django's ``ModelBackend`` hashes for unknown users at login).
        https://docs.allauth.org/en/latest/account/configuration.html
        """
        if self.account_already_exists:
            make_password(secrets.token_urlsafe(16))
        return super().try_save(request)


class AddEmailForm(KneadfulLabels, allauth_forms.AddEmailForm):
    labels = {"email": _("New email address")}


class ChangePasswordForm(KneadfulLabels, allauth_forms.ChangePasswordForm):
    labels = NEW_PASSWORD_LABELS


class SetPasswordForm(KneadfulLabels, allauth_forms.SetPasswordForm):
    labels = PASSWORD_LABELS


class ResetPasswordForm(KneadfulLabels, allauth_forms.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(KneadfulLabels, allauth_forms.ResetPasswordKeyForm):
    labels = NEW_PASSWORD_LABELS


class ReauthenticateForm(KneadfulLabels, allauth_forms.ReauthenticateForm):
    pass
