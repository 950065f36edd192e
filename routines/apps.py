from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "routines"
    verbose_name = "Routine library and session logs"

    def ready(self) -> None:
        from accounts.backends import read_with_user
        from accounts.selectors import register_export_section
        from routines.selectors import (
            member_export_favourites,
            member_export_practice_plan,
            member_export_rest_days,
            member_export_session_logs,
            stats_generation_cache_key,
        )

        register_export_section("session_logs", member_export_session_logs)
        register_export_section("rest_days", member_export_rest_days)
        register_export_section("favourites", member_export_favourites)
        register_export_section("practice_plan", member_export_practice_plan)
        # The dashboard's figures version comes with the signed-in member (one round trip).
        read_with_user(stats_generation_cache_key)

        from django.db.models.signals import post_delete, post_save, pre_delete

        from routines import signals
        from routines.models import Routine, Series, Step

        for signal in (post_save, pre_delete):
            signal.connect(signals.series_changed, sender=Series, dispatch_uid="routines-series")
        for signal in (post_save, post_delete):
            signal.connect(signals.routine_changed, sender=Routine, dispatch_uid="routines-routine")
            signal.connect(signals.step_changed, sender=Step, dispatch_uid="routines-step")
