from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from rest_framework import serializers

from accounts.models import User
from accounts.validators import validate_timezone


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
