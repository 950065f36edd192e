from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from newsletters.models import Campaign


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SubscriberPreferencesForm(forms.Form):
    newsletter = forms.BooleanField(
        required=False,
        label=_("Newsletter"),
        help_text=_("A few letters a month about new routines and series."),
    )
    offers = forms.BooleanField(
        required=False, label=_("Offers"), help_text=_("Discounts and partner offers.")
    )


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["subject", "category", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at"),
        help_text=_("In your time zone."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
