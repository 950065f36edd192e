from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from accounts.hooks import member_timezone_changed
        from accounts.selectors import register_export_section
        from reminders import receivers
        from reminders.selectors import reminder_export_section

        register_export_section("reminders", reminder_export_section)
        member_timezone_changed.connect(
            receivers.member_timezone_changed, dispatch_uid="reminders.follow_member_timezone"
        )
