import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from rest_framework import serializers

from accounts.models import User
from accounts.validators import validate_timezone
from routines.models import Routine, Series


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            self.context["request"], username=attrs["email"], password=attrs["password"]
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                "Unable to log in with that email and password.", code="authorization"
            )
        if not EmailAddress.objects.filter(user=user, verified=True).exists():
            raise serializers.ValidationError(
                "Confirm your email address first: follow the link we sent you.",
                code="unverified",
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class MeSerializer(serializers.ModelSerializer):
    timezone = serializers.CharField(max_length=64, validators=[validate_timezone])

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "timezone", "date_joined"]
        read_only_fields = ["id", "email", "date_joined"]


class ReminderScheduleSerializer(serializers.Serializer):
    """A reminder schedule over the API; ``next_run_at`` is computed (ISO 8601, UTC)."""

    id = serializers.IntegerField(read_only=True)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        allow_empty=False,
        max_length=7,
        help_text="Days it fires, 0 (Monday) to 6 (Sunday).",
    )
    local_time = serializers.TimeField(
        format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], help_text='Local time, "HH:MM".'
    )
    timezone = serializers.CharField(
        max_length=64,
        validators=[validate_timezone],
        required=False,
        help_text="IANA zone name; defaults to the member's profile zone.",
    )
    routine = serializers.PrimaryKeyRelatedField(
        queryset=Routine.objects.filter(series__status=Series.Status.PUBLISHED),
        allow_null=True,
        required=False,
        help_text="Id of a published routine to suggest, or null.",
    )
    active = serializers.BooleanField(required=False, default=True)
    skip_if_practised = serializers.BooleanField(required=False, default=False)
    next_run_at = serializers.DateTimeField(read_only=True, default_timezone=dt.UTC)

    def validate_weekdays(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each day can be listed once.")
        return sorted(value)
