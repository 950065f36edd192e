from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User
from accounts.validators import timezone_names, validate_timezone


@cache
def _timezone_options() -> str:
    return format_html_join("", '<option value="{}">', ((n,) for n in sorted(timezone_names())))


class TimezoneInput(forms.TextInput):
    """A text input with its own ``<datalist>`` of IANA zone names (works on every form)."""

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = f"{widget_attrs.get('id') or name}-zones"
        return context

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        list_id = f"{(attrs or {}).get('id') or self.attrs.get('id') or name}-zones"
        html = super().render(name, value, attrs, renderer)
        return html + format_html('<datalist id="{}">{}</datalist>', list_id, _timezone_options())


class TimezoneField(forms.CharField):
    """An IANA zone name, typed or picked from a datalist.

    With ``detect=True`` (sign-up only) site.js fills in the browser's own zone. Elsewhere the
    member's saved zone must never be replaced behind their back, so there is no detection.
    """

    default_validators = [validate_timezone]

    def __init__(self, *, detect: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault("initial", "UTC")
        attrs = {"autocomplete": "off", "spellcheck": "false"}
        if detect:
            attrs["data-detect-timezone"] = ""
        kwargs.setdefault("widget", TimezoneInput(attrs=attrs))
        kwargs.setdefault("help_text", "For example Europe/London. Days and reminders follow it.")
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return (super().to_python(value) or "").strip()


class SignupForm(forms.Form):
    """Extra signup fields; allauth's signup form inherits ``ACCOUNT_SIGNUP_FORM_CLASS``."""

    display_name = forms.CharField(
        max_length=80, required=False, help_text="What we call you. Optional."
    )
    timezone = TimezoneField(detect=True)
    # Consent is asked, never assumed: unticked unless the member ticks it.
    newsletter = forms.BooleanField(
        required=False,
        initial=False,
        label=_("Send me the Kneadful newsletter"),
        help_text=_("A few letters a month about new routines and series. Optional."),
    )

    def signup(self, request: HttpRequest, user: User) -> None:  # allauth hook
        from accounts.services import email_category_set

        user.display_name = self.cleaned_data.get("display_name", "")
        user.timezone = self.cleaned_data["timezone"]
        user.save(update_fields=["display_name", "timezone"])
        if self.cleaned_data.get("newsletter"):
            email_category_set(user=user, category="newsletter", enabled=True)


class ProfileForm(forms.Form):
    """Profile fields. A plain form, so a rejected value never touches ``request.user``."""

    display_name = forms.CharField(
        max_length=80, required=False, help_text="What we call you. Optional."
    )
    timezone = TimezoneField()

    @classmethod
    def for_user(cls, user: User, data: Any = None) -> ProfileForm:
        return cls(data, initial={"display_name": user.display_name, "timezone": user.timezone})


class ApiTokenForm(forms.Form):
    """Name a new API token (the account page); the key is shown once, on the next page."""

    name = forms.CharField(
        label=_("Name"),
        max_length=ApiToken.NAME_MAX_LENGTH,
        help_text=_("Something to recognise it by, such as the app or device that will use it."),
    )


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
        help_text="At most a few letters a month about new routines and series. "
        "Off unless you turn it on.",
    )
    offers = forms.BooleanField(
        required=False,
        label="Offers",
        help_text="Discounts and partner offers. Off unless you turn it on.",
    )
