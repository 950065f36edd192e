"""Forms of the member pages: they parse and give field messages; services do the work."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from routines.models import (
    NOTES_MAX_LENGTH,
    SESSION_CLOCK_SKEW,
    SESSION_EARLIEST,
    SESSION_TOO_EARLY_MESSAGE,
    Routine,
    SessionLog,
)

MINUTE_CHOICES = [("", "Any length"), ("5", "5 minutes or less"), ("10", "10 minutes or less")]
MINUTE_CHOICES += [("15", "15 minutes or less"), ("20", "20 minutes or less")]
MINUTE_CHOICES += [("30", "30 minutes or less")]


TENSION_HELP = "0 = no tension at all, 10 = the most you can imagine."


# The longest search and body-part slug the library takes: the page's form and the API's
# filters (routines.filters) both refuse longer ones.
SEARCH_MAX_LENGTH = 100
BODY_PART_MAX_LENGTH = 50


class LibraryFilterForm(forms.Form):
    """The library's GET form. Unknown values are ignored rather than refused."""

    q = forms.CharField(label="Search", required=False, max_length=SEARCH_MAX_LENGTH)
    body_part = forms.CharField(label="Body part", required=False, max_length=BODY_PART_MAX_LENGTH)
    max_minutes = forms.TypedChoiceField(
        label="Length", choices=MINUTE_CHOICES, required=False, coerce=int, empty_value=None
    )
    favourites = forms.BooleanField(label="Only my favourites", required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"placeholder": _("e.g. wrist")})
        self.fields["q"].widget.input_type = "search"

    def filters(self) -> dict[str, object]:
        if not self.is_valid():
            return {"q": None, "body_part": None, "max_minutes": None}
        return {
            "q": self.cleaned_data["q"] or None,
            "body_part": self.cleaned_data["body_part"] or None,
            "max_minutes": self.cleaned_data["max_minutes"],
        }

    def only_favourites(self) -> bool:
        return self.is_valid() and self.cleaned_data["favourites"]


class SafetyForm(forms.Form):
    """One required checkbox per contraindication statement of a series."""

    def __init__(self, *args: object, statements: Iterable[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for index, statement in enumerate(statements):
            self.fields[f"confirm_{index}"] = forms.BooleanField(
                label=statement,
                required=True,
                error_messages={"required": "Please confirm this statement to continue."},
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            raise ValidationError(
                "Please confirm every statement before your first session. If one is not true "
                "for you, please don't start this series and ask a clinician first."
            )
        return cleaned


class _TensionFields(forms.Form):
    tension_before = forms.IntegerField(
        label="Tension before (0-10)",
        required=False,
        min_value=0,
        max_value=10,
        help_text=TENSION_HELP,
    )
    tension_after = forms.IntegerField(
        label="Tension after (0-10)", required=False, min_value=0, max_value=10
    )
    rating = forms.TypedChoiceField(
        label="How was it? (1-5)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "No rating"), *[(str(n), f"{n} / 5") for n in range(1, 6)]],
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Optional, up to {NOTES_MAX_LENGTH} characters.",
    )


class FinishForm(_TensionFields):
    """What the player posts at the end (or on 'End early') of a guided session."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    started_at = forms.DateTimeField(widget=forms.HiddenInput)
    ended_at = forms.DateTimeField(widget=forms.HiddenInput)
    steps_completed = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    sides = forms.ChoiceField(
        widget=forms.HiddenInput, choices=SessionLog.Sides.choices, required=False
    )

    def __init__(self, *args: object, body_parts: Iterable = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.body_parts = list(body_parts)
        for part in self.body_parts:
            for moment in ("before", "after"):
                self.fields[f"map_{part.slug}_{moment}"] = forms.IntegerField(
                    label=f"{part.name}, {moment}",
                    required=False,
                    min_value=0,
                    max_value=10,
                )

    def map_fields(self) -> list[tuple[object, forms.BoundField, forms.BoundField]]:
        return [
            (part, self[f"map_{part.slug}_before"], self[f"map_{part.slug}_after"])
            for part in self.body_parts
        ]

    def tension_map(self) -> dict[str, dict[str, int]]:
        result = {}
        for part in self.body_parts:
            entry = {
                moment: self.cleaned_data.get(f"map_{part.slug}_{moment}")
                for moment in ("before", "after")
            }
            entry = {k: v for k, v in entry.items() if v is not None}
            if entry:
                result[part.slug] = entry
        return result

    def log_fields(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "client_id": data["client_id"],
            "started_at": data["started_at"],
            "ended_at": data["ended_at"],
            "steps_completed": data["steps_completed"],
            "sides": data["sides"] or "",
            "tension_before": data["tension_before"],
            "tension_after": data["tension_after"],
            "tension_map": self.tension_map(),
            "rating": data["rating"],
            "notes": data["notes"],
        }

    @staticmethod
    def fresh_initial(**values: object) -> dict[str, object]:
        return {"client_id": uuid.uuid4(), **values}


class SessionLogForm(_TensionFields):
    """A session done away from the site, or the edit of any own log.

    Date and time are the member's local wall-clock time in their profile zone.
    """

    routine = forms.ModelChoiceField(queryset=Routine.objects.none(), label="Routine")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label="Start time", widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=1,
        max_value=240,
        error_messages={
            "min_value": "A session lasts at least 1 minute.",
            "max_value": "A session lasts at most 4 hours (240 minutes).",
        },
    )
    sides = forms.ChoiceField(
        label="Sides", choices=SessionLog.Sides.choices, required=False, initial=""
    )
    field_order = ["routine", "date", "time", "duration_minutes", "sides"]

    def __init__(self, *args: object, user: User, routines: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["routine"].queryset = routines
        self.fields["routine"].label_from_instance = lambda r: f"{r.series.title} — {r.title}"
        self.fields["time"].help_text = f"Your local time ({user.timezone})."
        # The browser's date picker offers only the days a log may have.
        today = timezone.now().astimezone(user.zone).date()
        self.fields["date"].widget.attrs.update(
            {"min": SESSION_EARLIEST.date().isoformat(), "max": today.isoformat()}
        )
        self.fields["date"].help_text = _("From 1 January 2000 to today.")

    @classmethod
    def initial_for(cls, log: SessionLog) -> dict[str, object]:
        local = log.started_at.astimezone(log.user.zone)
        return {
            "routine": log.routine_id,
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "duration_minutes": max(1, round(log.duration_seconds / 60)),
            "sides": log.sides,
            "tension_before": log.tension_before,
            "tension_after": log.tension_after,
            "rating": log.rating,
            "notes": log.notes,
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        day, at, minutes = cleaned.get("date"), cleaned.get("time"), cleaned.get("duration_minutes")
        if day is None or at is None:
            return cleaned
        if day < SESSION_EARLIEST.date():
            self.add_error("date", SESSION_TOO_EARLY_MESSAGE)
            return cleaned
        started = dt.datetime.combine(day, at, tzinfo=self.user.zone)
        if started > timezone.now() + SESSION_CLOCK_SKEW:
            self.add_error("date", "The session cannot start in the future.")
            return cleaned
        cleaned["started_at"] = started
        if minutes is not None:
            ended = started + dt.timedelta(minutes=minutes)
            if ended > timezone.now() + SESSION_CLOCK_SKEW:
                self.add_error(
                    "duration_minutes", "With this duration the session would end in the future."
                )
            cleaned["ended_at"] = ended
        return cleaned

    def log_fields(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "routine": data["routine"],
            "started_at": data["started_at"],
            "ended_at": data["ended_at"],
            "sides": data["sides"] or "",
            "tension_before": data["tension_before"],
            "tension_after": data["tension_after"],
            "rating": data["rating"],
            "notes": data["notes"],
        }


class PracticePlanForm(forms.Form):
    rest_weekdays = forms.TypedMultipleChoiceField(
        label="Planned rest days",
        choices=list(WEEKDAYS.items()),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days you don't plan to practise: they never break your streak.",
    )
    rest_days_per_week = forms.IntegerField(
        label="Extra 'rest today' days per week",
        min_value=0,
        max_value=7,
        help_text="How many unplanned rest days a week keep your streak alive.",
    )

    def clean_rest_weekdays(self) -> list[int]:
        days = self.cleaned_data["rest_weekdays"]
        if len(days) > 6:
            raise ValidationError("Keep at least one practice day a week.")
        return days


# Service error keys -> the form field that shows them.
FINISH_ERROR_FIELDS = {"started_at": None, "ended_at": None, "steps_completed": None}
LOG_ERROR_FIELDS = {"started_at": "date", "ended_at": "duration_minutes", "steps_completed": None}


def apply_errors(form: forms.Form, exc: ValidationError, mapping: dict[str, str | None]) -> None:
    """Put a service's ValidationError on the form fields the member can fix."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        target = mapping.get(name, name)
        if target is not None and target not in form.fields:
            target = None
        for message in errors:
            form.add_error(target, message)
