from __future__ import annotations

from typing import Any

from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from offers.models import (
    MSG_MAX_AT_LEAST_ONE,
    MSG_STREAK_DAYS_NEEDED,
    Offer,
    offer_rule_errors,
)

DATETIME_HELP = _(
    "ISO 8601. Without an offset it is read in your account's time zone. The start is "
    "inclusive, the end exclusive."
)


class OfferSerializer(serializers.ModelSerializer):
    """An offer as a member sees it: ``code`` is null until they redeemed it."""

    code = serializers.SerializerMethodField(
        help_text=_(
            "The code, once you redeemed the offer (empty for an offer without one); "
            "null until then."
        )
    )
    image = serializers.SerializerMethodField()
    redeemed = serializers.SerializerMethodField()
    redeemed_at = serializers.SerializerMethodField()
    remaining = serializers.SerializerMethodField(
        help_text=_("Redemptions left for everyone; null without a limit.")
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "title",
            "description",
            "image",
            "image_alt",
            "starts_at",
            "ends_at",
            "audience",
            "min_streak_days",
            "max_redemptions",
            "remaining",
            "redeemed",
            "redeemed_at",
            "code",
        ]
        read_only_fields = fields

    def _redeemed_at(self, offer: Offer) -> Any:
        return getattr(offer, "redeemed_at", None)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_code(self, offer: Offer) -> str | None:
        return offer.code if self._redeemed_at(offer) is not None else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, offer: Offer) -> str | None:
        if not offer.image:
            return None
        request = self.context.get("request")
        url = offer.image.url
        return request.build_absolute_uri(url) if request is not None else url

    def get_redeemed(self, offer: Offer) -> bool:
        return self._redeemed_at(offer) is not None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_redeemed_at(self, offer: Offer) -> str | None:
        value = self._redeemed_at(offer)
        return serializers.DateTimeField().to_representation(value) if value else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_remaining(self, offer: Offer) -> int | None:
        return offer.remaining


class RedemptionResultSerializer(serializers.Serializer):
    offer = serializers.IntegerField()
    code = serializers.CharField(help_text=_("The offer's code (empty if it has none)."))
    redeemed_at = serializers.DateTimeField()
    created = serializers.BooleanField(help_text=_("True the first time, false after."))
    detail = serializers.CharField()


class OfferUnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("Why, in words a person understands."))
    code = serializers.ChoiceField(choices=["not_started", "ended", "sold_out", "not_eligible"])


class OfferStaffSerializer(serializers.ModelSerializer):
    """What editors write (``POST`` / ``PATCH``) and read back."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "title",
            "description",
            "code",
            "starts_at",
            "ends_at",
            "audience",
            "min_streak_days",
            "max_redemptions",
            "redemption_count",
            "status",
            "announcement",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["redemption_count", "announcement", "created_at", "updated_at"]
        extra_kwargs = {
            "starts_at": {"help_text": DATETIME_HELP},
            "ends_at": {"help_text": DATETIME_HELP},
            "code": {"allow_blank": True, "required": False},
            "max_redemptions": {"error_messages": {"min_value": MSG_MAX_AT_LEAST_ONE}},
            "min_streak_days": {"error_messages": {"min_value": MSG_STREAK_DAYS_NEEDED}},
        }

    @extend_schema_field(serializers.ChoiceField(choices=["scheduled", "live", "ended"]))
    def get_status(self, offer: Offer) -> str:
        return offer.status_at(tz.now())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model's rules, with the same messages as the staff pages."""
        current = self.instance

        def value(name: str) -> Any:
            if name in attrs:
                return attrs[name]
            return getattr(current, name) if current is not None else None

        errors = offer_rule_errors(
            starts_at=value("starts_at"),
            ends_at=value("ends_at"),
            audience=value("audience") or Offer.Audience.MEMBERS,
            min_streak_days=value("min_streak_days"),
            max_redemptions=value("max_redemptions"),
            redemption_count=current.redemption_count if current is not None else 0,
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
