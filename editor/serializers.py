"""JSON shapes of the staff API: what editors send (``*Input``, parsed here and checked
again by ``routines.services``) and what they get back (the series as editors see it)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from editor.forms import local_instant
from routines.fields import STATEMENT_MAX_LENGTH, STATEMENTS_MAX
from routines.models import AuditEntry, BodyPart, Routine, Series, Step
from routines.selectors import series_publication_problems
from routines.serializers import step_area_field
from routines.validators import validate_cover_image

# --- What editors send ----------------------------------------------------------------


class SeriesInputSerializer(serializers.Serializer):
    """A new series (``title`` and ``body_parts`` required) or, with PATCH, the fields to
    change. ``slug`` is made from the title when absent; it cannot change once published."""

    title = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=50, required=False, allow_blank=True)
    body_parts = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=BodyPart.objects.all(), allow_empty=False
    )
    summary = serializers.CharField(max_length=240, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    cover = serializers.ImageField(
        required=False,
        allow_null=True,
        validators=[validate_cover_image],
        help_text=_("PNG, JPEG or WebP up to 2 MB (multipart/form-data); null removes it."),
    )
    cover_alt = serializers.CharField(max_length=200, required=False, allow_blank=True)
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=240, required=False)
    difficulty = serializers.ChoiceField(choices=Series.Difficulty.choices, required=False)
    safety_notes = serializers.CharField(required=False, allow_blank=True)
    contraindications = serializers.ListField(
        child=serializers.CharField(max_length=STATEMENT_MAX_LENGTH),
        max_length=STATEMENTS_MAX,
        required=False,
        help_text=_("Short statements members confirm before their first session."),
    )
    next_installment = serializers.SlugRelatedField(
        slug_field="slug", queryset=Series.objects.all(), required=False, allow_null=True
    )


class RoutineInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=50, required=False, allow_blank=True)
    intro = serializers.CharField(required=False, allow_blank=True)
    equipment = serializers.CharField(max_length=200, required=False, allow_blank=True)
    per_side = serializers.BooleanField(required=False)
    rest_after = serializers.CharField(max_length=200, required=False, allow_blank=True)


class StepInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    instruction = serializers.CharField()
    technique = serializers.CharField(max_length=80, required=False, allow_blank=True)
    duration_seconds = serializers.IntegerField(min_value=1, max_value=3600, required=False)
    repetitions = serializers.IntegerField(min_value=1, max_value=100, required=False)
    per_finger = serializers.BooleanField(required=False)
    area = serializers.SlugField(max_length=40, required=False, allow_blank=True)


class OrderInputSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        help_text=_("Every id of the list once, in the new order."),
    )


class EditorClockDateTimeField(serializers.DateTimeField):
    """ISO 8601; a time without an offset is read on the editor's own clock (their
    profile's zone), as on the editor's pages: a time skipped when the clocks go forward
    is refused, a time that happens twice is the first one."""

    default_error_messages = {
        "skipped": _(
            "This time does not exist in {zone}: the clocks go forward then. Choose another time."
        )
    }
    zone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo("UTC")

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if timezone.is_aware(value):
            return value
        try:
            return local_instant(value.date(), value.time(), self.zone)
        except ValueError:
            self.fail("skipped", zone=self.zone.key)


class PublishInputSerializer(serializers.Serializer):
    publish_at = EditorClockDateTimeField(
        required=False,
        allow_null=True,
        help_text=_(
            "ISO 8601. Absent or past: published now. Future: scheduled for then. "
            "Without an offset it is read in your profile's time zone."
        ),
    )

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if zone is not None:
            self.fields["publish_at"].zone = zone


# --- What editors get back -------------------------------------------------------------


class StaffStepSerializer(serializers.ModelSerializer):
    area = step_area_field()

    class Meta:
        model = Step
        fields = [
            "id",
            "position",
            "title",
            "instruction",
            "technique",
            "duration_seconds",
            "repetitions",
            "per_finger",
            "area",
        ]
        read_only_fields = fields


class StaffRoutineSerializer(serializers.ModelSerializer):
    steps = StaffStepSerializer(many=True, read_only=True)

    class Meta:
        model = Routine
        fields = [
            "id",
            "position",
            "slug",
            "title",
            "intro",
            "equipment",
            "per_side",
            "rest_after",
            "steps",
        ]
        read_only_fields = fields


class StaffSeriesSerializer(serializers.ModelSerializer):
    """A series as editors see it: status, schedule, what is missing, routines and steps."""

    body_parts = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    next_installment = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    cover = serializers.ImageField(read_only=True, use_url=True)
    routines = StaffRoutineSerializer(many=True, read_only=True)
    publication_problems = serializers.SerializerMethodField(
        help_text=_("What keeps the series from being published, in words; empty when ready.")
    )

    class Meta:
        model = Series
        fields = [
            "slug",
            "title",
            "status",
            "publish_at",
            "published_at",
            "summary",
            "description",
            "body_parts",
            "cover",
            "cover_alt",
            "estimated_minutes",
            "difficulty",
            "safety_notes",
            "contraindications",
            "next_installment",
            "publication_problems",
            "routines",
            "updated_at",
        ]
        read_only_fields = fields

    def get_publication_problems(self, series: Series) -> list[str]:
        return series_publication_problems(series=series)


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "created_at",
            "actor",
            "action",
            "target",
            "target_id",
            "target_label",
            "changes",
        ]
        read_only_fields = fields
