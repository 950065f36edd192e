from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from accounts.forms import TimezoneField
from routines.models import Routine, Series


class ReminderScheduleForm(forms.Form):
    """Add or edit a reminder schedule; the service validates again and computes next run."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=list(WEEKDAYS.items()),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day.")},
    )
    local_time = forms.TimeField(
        label=_("Time"),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time such as 07:30 or 18:00.")},
    )
    timezone = TimezoneField(
        label=_("Time zone"),
        help_text=_("The reminder follows this zone. Your profile's zone is the default."),
    )
    routine = forms.ModelChoiceField(
        label=_("Routine to suggest"),
        queryset=None,
        required=False,
        empty_label=_("Let Kneadful suggest one"),
    )
    skip_if_practised = forms.BooleanField(
        label=_("Skip the reminder on days I have already practised"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget.attrs.pop("data-detect-timezone", None)
        self.fields["routine"].queryset = (
            Routine.objects.filter(series__in=Series.objects.published())
            .select_related("series")
            .order_by("series__title", "position", "id")
        )
        self.fields["routine"].label_from_instance = lambda r: f"{r.series.title}: {r.title}"
