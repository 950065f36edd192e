from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from offers.models import Offer
from offers.validators import image_max_bytes

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class OfferForm(forms.ModelForm):
    """The staff form. Dates are read in the editor's own zone (the member time-zone
    middleware activates it); the model's ``clean()`` gives the messages."""

    class Meta:
        model = Offer
        fields = [
            "title",
            "description",
            "code",
            "starts_at",
            "ends_at",
            "audience",
            "min_streak_days",
            "max_redemptions",
            "image",
            "image_alt",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "audience": forms.RadioSelect,
            "starts_at": DATETIME_INPUT,
            "ends_at": DATETIME_INPUT,
            "image": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = DATETIME_FORMATS
        self.fields["audience"].choices = Offer.Audience.choices  # no empty choice
        self.fields["image"].help_text = _("JPEG, PNG or WebP, at most %(size)s. Optional.") % {
            "size": filesizeformat(image_max_bytes())
        }


class AnnounceForm(forms.Form):
    send_now = forms.BooleanField(
        required=False,
        label=_("Send it now"),
        help_text=_("Otherwise it waits as a draft: preview, test and send it from its page."),
    )
