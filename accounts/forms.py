from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from accounts.models import User
from accounts.validators import timezone_names, validate_timezone


class TimezoneField(forms.CharField):
    """An IANA zone name, typed or picked from a datalist; the browser pre-fills its own zone."""

    default_validators = [validate_timezone]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("initial", "UTC")
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"list": "timezone-names", "autocomplete": "off", "data-detect-timezone": ""}
            ),
        )
        kwargs.setdefault("help_text", "For example Europe/London. Days and reminders follow it.")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return (super().to_python(value) or "").strip()


class SignupForm(forms.Form):
    """Extra signup fields; allauth's signup form inherits ``ACCOUNT_SIGNUP_FORM_CLASS``."""

    display_name = forms.CharField(
        max_length=80, required=False, help_text="What we call you. Optional."
    )
    timezone = TimezoneField()

    def signup(self, request: HttpRequest, user: User) -> None:  # allauth hook
        user.display_name = self.cleaned_data.get("display_name", "")
        user.timezone = self.cleaned_data["timezone"]
        user.save(update_fields=["display_name", "timezone"])


class ProfileForm(forms.ModelForm):
    timezone = TimezoneField()

    class Meta:
        model = User
        fields = ["display_name", "timezone"]


class DeleteAccountForm(forms.Form):
    confirm_email = forms.EmailField(
        label="Type your email address to confirm",
        help_text="This deletes your account, logs and reminders for good.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_confirm_email(self) -> str:
        value = self.cleaned_data["confirm_email"]
        if value.strip().lower() != self.user.email.lower():
            raise forms.ValidationError("That is not the email address of this account.")
        return value


def timezone_choices() -> list[str]:
    return sorted(timezone_names())


class EmailPreferencesForm(forms.Form):
    """The preference centre: one checkbox per non-transactional category."""

    reminders = forms.BooleanField(
        required=False,
        label="Practice reminders",
        help_text="An email at the times you set in your reminder schedules.",
    )
    newsletter = forms.BooleanField(
        required=False,
        label="Newsletter",
        help_text="At most a few letters a month about new routines and series.",
    )
    offers = forms.BooleanField(
        required=False,
        label="Offers",
        help_text="Discounts and partner offers. Off unless you turn it on.",
    )
