from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members and preferences"

    def ready(self) -> None:
        from accounts.selectors import (
            email_export_section,
            register_export_section,
            reminder_export_section,
        )

        register_export_section("email", email_export_section)
        register_export_section("reminders", reminder_export_section)
