"""/api/v1/me/reminders/: the signed-in member's reminder schedules (own only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from reminders.models import ReminderSchedule
from reminders.selectors import reminder_schedules_for
from reminders.serializers import ReminderScheduleSerializer
from reminders.services import (
    reminder_schedule_create,
    reminder_schedule_delete,
    reminder_schedule_update,
)


def _service_call(fn, **kwargs) -> ReminderSchedule:  # type: ignore[no-untyped-def]
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from None


class ReminderListCreateView(generics.ListCreateAPIView):
    """List the member's reminder schedules, or create one."""

    serializer_class = ReminderScheduleSerializer

    def get_queryset(self) -> QuerySet[ReminderSchedule]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return ReminderSchedule.objects.none()
        return reminder_schedules_for(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> None:
        serializer.instance = _service_call(
            reminder_schedule_create, user=self.request.user, **serializer.validated_data
        )


class ReminderDetailView(generics.RetrieveUpdateDestroyAPIView):
    """Read, change (PATCH) or delete one of the member's schedules; others' ids are 404."""

    serializer_class = ReminderScheduleSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ReminderSchedule]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return ReminderSchedule.objects.none()
        return reminder_schedules_for(user=self.request.user)

    def perform_update(self, serializer: serializers.Serializer) -> None:
        serializer.instance = _service_call(
            reminder_schedule_update, schedule=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: ReminderSchedule) -> None:
        reminder_schedule_delete(schedule=instance)
