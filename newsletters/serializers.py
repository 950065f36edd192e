from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from newsletters.models import Campaign
from newsletters.selectors import campaign_progress


class CampaignProgressSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text=_("Suppressed, unsubscribed or not allowed."))
    done = serializers.IntegerField()
    percent = serializers.FloatField()
    pause_reason = serializers.CharField()


class CampaignSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "subject",
            "body",
            "category",
            "status",
            "send_at",
            "series",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
        ]
        read_only_fields = [
            "status",
            "send_at",
            "series",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, campaign: Campaign) -> CampaignProgressSerializer:  # type: ignore[override]
        data = campaign_progress(campaign=campaign)
        return {key: data[key] for key in CampaignProgressSerializer().fields}


# drf-spectacular reads the method's return annotation as a serializer class.
CampaignSerializer.get_progress.__annotations__["return"] = CampaignProgressSerializer


class CampaignSendSerializer(serializers.Serializer):
    send_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("When to send (ISO 8601). Omitted, null or past: at once."),
    )
