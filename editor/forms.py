"""Forms of the editor's pages: they parse what the editor typed and show field messages;
``routines.services`` validates deeper and writes."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routines.fields import StatementsField
from routines.models import BodyPart, Routine, Series, Step
from routines.pictures import regions_for
from routines.validators import validate_cover_image

SLUG_HELP = _("Part of the address. Leave empty to make one from the title.")


class SeriesForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    slug = forms.SlugField(label=_("Slug"), max_length=50, required=False, help_text=SLUG_HELP)
    body_parts = forms.ModelMultipleChoiceField(
        label=_("Body parts"),
        queryset=BodyPart.objects.order_by("position", "name"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one body part.")},
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=240,
        required=False,
        help_text=_("One sentence shown in the library."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    cover = forms.ImageField(
        label=_("Cover image"),
        required=False,
        validators=[validate_cover_image],
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("PNG, JPEG or WebP, up to 2 MB."),
    )
    cover_alt = forms.CharField(
        label=_("Cover description (alt text)"),
        max_length=200,
        required=False,
        help_text=_("What the image shows, for people who cannot see it. Required with a cover."),
    )
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes"), min_value=1, max_value=240, initial=10
    )
    difficulty = forms.ChoiceField(label=_("Difficulty"), choices=Series.Difficulty.choices)
    safety_notes = forms.CharField(
        label=_("Safety notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    contraindications = StatementsField(label=_("Contraindications checklist"))
    next_installment = forms.ModelChoiceField(
        label=_("Next installment"),
        queryset=Series.objects.none(),
        required=False,
        empty_label=_("None"),
    )

    def __init__(self, *args: Any, series: Series | None = None, **kwargs: Any) -> None:
        if series is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(series)
        super().__init__(*args, **kwargs)
        self.series = series
        others = Series.objects.order_by("title", "pk")
        if series is not None:
            others = others.exclude(pk=series.pk)
            if series.published_at is not None:
                self.fields["slug"].disabled = True
                self.fields["slug"].help_text = _(
                    "The address stays the same once the series has been published."
                )
        self.fields["next_installment"].queryset = others

    @staticmethod
    def initial_for(series: Series) -> dict[str, Any]:
        return {
            "title": series.title,
            "slug": series.slug,
            "body_parts": list(series.body_parts.all()),
            "summary": series.summary,
            "description": series.description,
            "cover": series.cover or None,
            "cover_alt": series.cover_alt,
            "estimated_minutes": series.estimated_minutes,
            "difficulty": series.difficulty,
            "safety_notes": series.safety_notes,
            "contraindications": series.contraindications,
            "next_installment": series.next_installment,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cover = cleaned.get("cover")
        has_cover = bool(cover) if cover is not False else False
        if has_cover and not (cleaned.get("cover_alt") or "").strip():
            self.add_error("cover_alt", _("Describe the cover image for people who cannot see it."))
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments of ``series_create`` / ``series_update``."""
        data = dict(self.cleaned_data)
        cover = data.pop("cover", None)
        if isinstance(cover, UploadedFile):
            data["cover"] = cover  # a new image
        elif cover is False:
            data["cover"] = None  # "Clear" was ticked
        if self.fields["slug"].disabled or not data.get("slug"):
            data.pop("slug", None)
        return data


class RoutineForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    slug = forms.SlugField(label=_("Slug"), max_length=50, required=False, help_text=SLUG_HELP)
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    equipment = forms.CharField(
        label=_("Equipment"),
        max_length=200,
        required=False,
        help_text=_("e.g. hand cream (optional)"),
    )
    per_side = forms.BooleanField(
        label=_("Played once for each side (right, then left)"), required=False
    )
    rest_after = forms.CharField(label=_("Rest after"), max_length=200, required=False)

    @staticmethod
    def initial_for(routine: Routine) -> dict[str, Any]:
        return {name: getattr(routine, name) for name in RoutineForm.base_fields}


class StepForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    instruction = forms.CharField(label=_("Instruction"), widget=forms.Textarea(attrs={"rows": 4}))
    technique = forms.CharField(
        label=_("Technique"),
        max_length=80,
        required=False,
        help_text=_("e.g. Effleurage (stroking)"),
    )
    duration_seconds = forms.IntegerField(
        label=_("Duration (seconds)"),
        min_value=1,
        max_value=3600,
        initial=30,
        error_messages={
            "min_value": _("A step lasts at least 1 second."),
            "max_value": _("A step lasts at most 1 hour (3600 seconds)."),
        },
    )
    repetitions = forms.IntegerField(label=_("Repetitions"), min_value=1, max_value=100, initial=1)
    per_finger = forms.BooleanField(
        label=_("Repeated on each finger (or toe, on the feet)"), required=False
    )
    area = forms.SlugField(
        label=_("Area of the body-part picture"),
        max_length=40,
        required=False,
        help_text=_("The named region of the outline this step works on (optional)."),
    )

    def __init__(self, *args: Any, regions: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["area"] = forms.ChoiceField(
                label=self.fields["area"].label,
                required=False,
                choices=[("", _("No particular area")), *regions],
                help_text=self.fields["area"].help_text,
            )

    @staticmethod
    def initial_for(step: Step) -> dict[str, Any]:
        return {name: getattr(step, name) for name in StepForm.base_fields}


def step_regions(series: Series) -> list[tuple[str, str]] | None:
    """The picture regions of the series' body parts (``routines.pictures.regions_for``),
    as (slug, label) choices; None when none of its body parts has an outline (a slug is
    typed then)."""
    choices: dict[str, str] = {}
    for part in series.body_parts.all():
        for slug, label in regions_for(part.slug):
            choices.setdefault(slug, label)
    return list(choices.items()) or None


class ScheduleForm(forms.Form):
    """A date and a time on the editor's own clock (their profile's time zone)."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["time"].help_text = _("Your time zone: %(zone)s.") % {"zone": zone.key}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        day, at = cleaned.get("date"), cleaned.get("time")
        if day is None or at is None:
            return cleaned
        try:
            cleaned["publish_at"] = local_instant(day, at, self.zone)
        except ValueError:
            self.add_error(
                "time",
                _(
                    "%(time)s does not exist on %(date)s in %(zone)s: the clocks go forward "
                    "then. Choose another time."
                )
                % {"time": at.strftime("%H:%M"), "date": day.isoformat(), "zone": self.zone.key},
            )
            return cleaned
        if cleaned["publish_at"] <= timezone.now():
            self.add_error("date", _("Choose a time in the future, or publish the series now."))
        return cleaned


def local_instant(day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The aware instant of a wall-clock date and time in ``zone``.

    A time skipped when the clocks go forward raises ValueError; a time that happens
    twice when they go back is the first one.
    """
    local = dt.datetime.combine(day, at, tzinfo=zone)
    back = local.astimezone(dt.UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(f"{local.replace(tzinfo=None)} does not exist in {zone.key}.")
    return local


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])

    def offset(self) -> int:
        return -1 if self.cleaned_data["direction"] == "up" else 1


class OrderForm(forms.Form):
    """The new order of a list, as the ids in order (``order`` repeated, or comma-separated)."""

    def clean(self) -> dict[str, Any]:
        raw = self.data.getlist("order") if hasattr(self.data, "getlist") else []
        values = [part for item in raw for part in str(item).split(",") if part.strip()]
        try:
            self.cleaned_data["order"] = [int(value) for value in values]
        except ValueError:
            raise ValidationError(_("The new order is not a list of ids.")) from None
        return self.cleaned_data
