from django.contrib import admin

from newsletters.models import Campaign, Delivery, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "user",
        "newsletter_confirmed_at",
        "offers_confirmed_at",
        "created_at",
    ]
    search_fields = ["email", "user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["requested_at", "confirmation_sent_at", "created_at", "updated_at"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Read-mostly: campaigns are written and sent from the staff pages (/staff/campaigns/)."""

    list_display = ["subject", "category", "status", "sent_count", "failed_count", "created_at"]
    list_filter = ["status", "category"]
    readonly_fields = [
        "status",
        "max_subscriber_id",
        "cursor",
        "recipients",
        "sent_count",
        "failed_count",
        "skipped_count",
        "consecutive_failures",
        "pause_reason",
        "started_at",
        "finished_at",
    ]
    raw_id_fields = ["series", "created_by"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["campaign", "subscriber", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    raw_id_fields = ["campaign", "subscriber"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
