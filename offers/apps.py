from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = _("Offers")

    def ready(self) -> None:
        from accounts.selectors import register_export_section
        from offers.selectors import member_export_redemptions, streak_offer_notices
        from routines.dashboard_notices import register_dashboard_notice

        # The member's data download includes the offers they redeemed.
        register_export_section("offer_redemptions", member_export_redemptions)
        # "Your streak unlocked an offer" on the dashboard (routines offers the hook).
        register_dashboard_notice(streak_offer_notices)
