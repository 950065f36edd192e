from django.contrib import admin

from offers.models import Offer, Redemption


class ReadOnlyAdmin(admin.ModelAdmin):
    """Offers are written through the staff pages (/staff/offers/) and the API, which go
    through ``offers.services``; the admin only shows them."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["title", "audience", "starts_at", "ends_at", "redemption_count"]
    list_filter = ["audience"]
    search_fields = ["title"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["offer", "user", "redeemed_at"]
    list_select_related = ["offer", "user"]
    search_fields = ["offer__title", "user__email"]
