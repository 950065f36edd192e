from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.validators import validate_timezone
from routines.models import Routine, Series


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "07:30",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time without a UTC offset: OpenAPI's ``format: time`` is RFC 3339's
    ``full-time``, which needs one, so the schema states the pattern instead."""


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 6},
        "minItems": 1,
        "maxItems": 7,
        "uniqueItems": True,
    }
)
class WeekdaysField(serializers.ListField):
    """Weekdays, each once (the schema says so: DRF's list field documents neither the
    least length nor the uniqueness)."""


class ReminderScheduleSerializer(serializers.Serializer):
    """A reminder schedule over the API; ``next_run_at`` is computed (ISO 8601, UTC)."""

    id = serializers.IntegerField(read_only=True)
    weekdays = WeekdaysField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        allow_empty=False,
        max_length=7,
        help_text=_("Days it fires, 0 (Monday) to 6 (Sunday)."),
    )
    local_time = LocalTimeField(
        format="%H:%M",
        input_formats=["%H:%M", "%H:%M:%S"],
        help_text=_('Local time, "HH:MM" ("HH:MM:SS" is accepted too).'),
    )
    timezone = serializers.CharField(
        max_length=64,
        validators=[validate_timezone],
        required=False,
        help_text=_("IANA zone name; defaults to the member's profile zone."),
    )
    routine = serializers.PrimaryKeyRelatedField(
        queryset=Routine.objects.filter(series__status=Series.Status.PUBLISHED),
        allow_null=True,
        required=False,
        help_text=_("Id of a published routine to suggest, or null."),
    )
    active = serializers.BooleanField(required=False, default=True)
    skip_if_practised = serializers.BooleanField(required=False, default=False)
    next_run_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        default_timezone=dt.UTC,
        help_text=_("When it fires next; null while the schedule is not active."),
    )

    def validate_weekdays(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Each day can be listed once."))
        return sorted(value)
