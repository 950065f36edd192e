"""JSON shapes of the library, the member's logs and their progress (REST API v1)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from routines.models import (
    NOTES_MAX_LENGTH,
    BodyPart,
    PracticePlan,
    RestDay,
    Routine,
    Series,
    SessionLog,
    Step,
)
from routines.selectors import routine_for_logging, routines_for_logging

# --- Library -----------------------------------------------------------------------------


class BodyPartSerializer(serializers.ModelSerializer):
    class Meta:
        model = BodyPart
        fields = ["slug", "name"]


def step_area_field() -> serializers.CharField:
    """A step's ``area`` as read back: a slug, or empty for a step without one (the
    model's blank slug, which a slug pattern in the schema would refuse)."""
    return serializers.CharField(read_only=True, help_text=Step._meta.get_field("area").help_text)


class StepSerializer(serializers.ModelSerializer):
    area = step_area_field()

    class Meta:
        model = Step
        fields = [
            "position",
            "title",
            "instruction",
            "technique",
            "duration_seconds",
            "repetitions",
            "per_finger",
            "area",
        ]


class RoutineSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = Routine
        fields = [
            "id",
            "slug",
            "title",
            "position",
            "intro",
            "equipment",
            "per_side",
            "rest_after",
            "steps",
        ]


class SeriesRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Series
        fields = ["slug", "title"]


class SeriesSerializer(serializers.ModelSerializer):
    """A series in the library list."""

    body_parts = BodyPartSerializer(many=True, read_only=True)
    cover = serializers.ImageField(read_only=True, use_url=True)
    is_favourite = serializers.SerializerMethodField()

    class Meta:
        model = Series
        fields = [
            "slug",
            "title",
            "summary",
            "body_parts",
            "estimated_minutes",
            "difficulty",
            "cover",
            "cover_alt",
            "status",
            "is_favourite",
        ]

    def get_is_favourite(self, series: Series) -> bool:
        return series.pk in self.context.get("favourite_ids", ())


class SeriesDetailSerializer(SeriesSerializer):
    """A series with its routines and their steps, in order."""

    routines = RoutineSerializer(many=True, read_only=True)
    next_installment = SeriesRefSerializer(read_only=True, allow_null=True)
    safety_acknowledged = serializers.SerializerMethodField()

    class Meta(SeriesSerializer.Meta):
        fields = [
            *SeriesSerializer.Meta.fields,
            "description",
            "safety_notes",
            "contraindications",
            "safety_acknowledged",
            "next_installment",
            "routines",
        ]

    def get_safety_acknowledged(self, series: Series) -> bool:
        return bool(self.context.get("acknowledged", False))


class RoutineDetailSerializer(RoutineSerializer):
    series = SeriesRefSerializer(read_only=True)

    class Meta(RoutineSerializer.Meta):
        fields = [*RoutineSerializer.Meta.fields, "series"]


# --- Session logs ----------------------------------------------------------------------------


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset; a naive time is refused rather than guessed."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-03-10T09:00:00+01:00 or ...Z.",
    }

    def enforce_timezone(self, value: Any) -> Any:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as text (DRF would also turn a bare integer into a UUID)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.INT)
class VisibleRoutineField(serializers.PrimaryKeyRelatedField):
    """A routine of a series the member can see (others read as 'does not exist')."""

    def get_queryset(self) -> Any:
        return routines_for_logging(user=self.context["request"].user)

    def to_internal_value(self, data: Any) -> Routine:
        if isinstance(data, bool | float | dict | list):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            routine_id = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        routine = None
        if 0 < routine_id < 2**63:
            routine = routine_for_logging(user=self.context["request"].user, routine_id=routine_id)
        if routine is None:
            self.fail("does_not_exist", pk_value=data)
        return routine


class TensionMapField(serializers.DictField):
    """Per body part slug: {"before": 0-10, "after": 0-10}, both optional."""

    child = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=10))

    def to_internal_value(self, data: Any) -> dict:
        value = super().to_internal_value(data)
        if len(value) > 20:
            raise serializers.ValidationError("At most 20 body parts.")
        for slug, entry in value.items():
            if len(slug) > 50 or set(entry) - {"before", "after"}:
                raise serializers.ValidationError(
                    'Each body part maps to {"before": 0-10, "after": 0-10}.'
                )
        return value


class SessionLogSerializer(serializers.Serializer):
    """A member's session; ``client_id`` makes a repeated POST return the same log.

    The ranges repeat the model's validators, for field messages before any database
    work; ``session_log_create`` runs ``SessionLog.clean`` for the rules that span fields.
    """

    id = serializers.IntegerField(read_only=True)
    client_id = StrictUUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A UUID the client makes per session: a repeat POST returns the stored log.",
    )
    routine = VisibleRoutineField(help_text="The routine's id.")
    routine_title = serializers.CharField(source="routine.title", read_only=True)
    started_at = OffsetDateTimeField()
    ended_at = OffsetDateTimeField()
    duration_seconds = serializers.IntegerField(read_only=True)
    steps_completed = serializers.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        allow_null=True,
        default=None,
        help_text="Steps done; all of them when left out.",
    )
    steps_total = serializers.IntegerField(read_only=True)
    sides = serializers.ChoiceField(
        choices=SessionLog.Sides.choices, required=False, allow_blank=True, default=""
    )
    tension_before = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True, default=None
    )
    tension_after = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True, default=None
    )
    tension_map = TensionMapField(required=False)
    rating = serializers.IntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(
        max_length=NOTES_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
    )
    local_date = serializers.DateField(read_only=True)
    timezone = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(
        choices=[
            (SessionLog.Source.PLAYER, SessionLog.Source.PLAYER.label),
            (SessionLog.Source.API, SessionLog.Source.API.label),
        ],
        required=False,
        default=SessionLog.Source.API,
        help_text=(
            "Where the session was done: `player` for a guided session of Kneadful's own "
            "player, `api` (the default) for any other client. Logs read back may also say "
            "`manual` (logged by hand) or `email` (from a reminder)."
        ),
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class SessionLogUpdateSerializer(SessionLogSerializer):
    """PATCH: any editable field; ``client_id`` and ``source`` stay what they were."""

    client_id = serializers.UUIDField(read_only=True)
    source = serializers.CharField(read_only=True)


# --- Progress ----------------------------------------------------------------------------------


class BodyPartStatSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    sessions = serializers.IntegerField()
    minutes = serializers.IntegerField()


class WeekStatSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    minutes = serializers.IntegerField()
    sessions = serializers.IntegerField()


class DayStatSerializer(serializers.Serializer):
    date = serializers.DateField()
    minutes = serializers.IntegerField()
    sessions = serializers.IntegerField()
    rest = serializers.BooleanField()


class MemberStatsSerializer(serializers.Serializer):
    """The dashboard figures; days are the member's local days (weeks start on Monday)."""

    today = serializers.DateField()
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    sessions_this_week = serializers.IntegerField()
    minutes_this_week = serializers.IntegerField()
    sessions_this_month = serializers.IntegerField()
    minutes_this_month = serializers.IntegerField()
    sessions_total = serializers.IntegerField()
    minutes_total = serializers.IntegerField()
    by_body_part = BodyPartStatSerializer(many=True)
    weekly_minutes = WeekStatSerializer(many=True)
    heatmap = DayStatSerializer(
        many=True, required=False, help_text="Only with ?include=heatmap: the last 12 months."
    )
    average_relief = serializers.FloatField(allow_null=True)
    rest_days = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        help_text="Only with ?include=heatmap: days kept as rest in the last 12 months.",
    )
    practised_today = serializers.BooleanField()
    rested_today = serializers.BooleanField()
    rest_weekdays = serializers.ListField(child=serializers.IntegerField())


class StatsQuerySerializer(serializers.Serializer):
    """``GET me/stats/``'s query: ``include`` names extra figures (an empty value adds none)."""

    INCLUDES = ["heatmap"]

    include = serializers.MultipleChoiceField(
        choices=INCLUDES,
        required=False,
        error_messages={
            "invalid_choice": _('"{input}" is not a value of include: choose from heatmap.')
        },
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        values = [value for value in data.getlist("include") if value != ""]
        try:
            include = self.fields["include"].run_validation(values) if values else set()
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"include": exc.detail}) from None
        return {"include": include}


class RestDaySerializer(serializers.ModelSerializer):
    local_date = serializers.DateField(
        required=False, help_text="The member's local day; today when left out."
    )

    class Meta:
        model = RestDay
        fields = ["local_date", "created_at"]
        read_only_fields = ["created_at"]


class PracticePlanSerializer(serializers.ModelSerializer):
    rest_weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        max_length=6,
        help_text="Planned rest weekdays, Monday is 0.",
    )
    rest_days_per_week = serializers.IntegerField(min_value=0, max_value=7)

    class Meta:
        model = PracticePlan
        fields = ["rest_weekdays", "rest_days_per_week"]


class FavouriteRequestSerializer(serializers.Serializer):
    series = serializers.SlugField(help_text="The series' slug.")
