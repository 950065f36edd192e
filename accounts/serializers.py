from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers

from accounts.models import ApiToken, User
from accounts.validators import validate_timezone


class LoginRateLimited(exceptions.Throttled):
    """429: allauth's failed-login limit for this account or address has been reached."""

    default_code = "too_many_login_attempts"


class TokenRequestSerializer(serializers.Serializer):
    """Email and password of a verified account, checked as the login form checks them.

    Through the allauth adapter's ``authenticate()``, so every failure counts against the
    same per-account and per-IP limits (``ACCOUNT_RATE_LIMITS["login_failed"]``) as the
    login form, and a locked account is locked here too.
    """

    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        max_length=ApiToken.NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text=_(
            "A name to recognise the token by in your list; "
            'by default "Created from the API on <date>".'
        ),
    )

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]._request  # allauth reads the Django request
        try:
            user = get_adapter(request).authenticate(
                request, email=attrs["email"], password=attrs["password"]
            )
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) == "too_many_login_attempts":
                raise LoginRateLimited(detail=exc.messages[0]) from None
            raise
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                _("Unable to log in with that email and password."), code="authorization"
            )
        if not EmailAddress.objects.filter(user=user, verified=True).exists():
            raise serializers.ValidationError(
                _("Confirm your email address first: follow the link we sent you."),
                code="unverified",
            )
        attrs["user"] = user
        return attrs


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as the member's list shows it: never the key, only its first characters."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiTokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True,
        help_text=_(
            "The key: send it as `Authorization: Token <key>`. It is shown in this answer only."
        ),
    )
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class MeSerializer(serializers.ModelSerializer):
    timezone = serializers.CharField(
        max_length=64, trim_whitespace=False, validators=[validate_timezone]
    )

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "timezone", "date_joined"]
        read_only_fields = ["id", "email", "date_joined"]
