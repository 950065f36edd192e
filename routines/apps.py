from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "routines"
    verbose_name = "Routine library and session logs"

    def ready(self) -> None:
        from accounts.selectors import register_export_section
        from routines.selectors import (
            member_export_favourites,
            member_export_practice_plan,
            member_export_rest_days,
            member_export_session_logs,
        )

        register_export_section("session_logs", member_export_session_logs)
        register_export_section("rest_days", member_export_rest_days)
        register_export_section("favourites", member_export_favourites)
        register_export_section("practice_plan", member_export_practice_plan)
