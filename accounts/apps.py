from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members and preferences"

    def ready(self) -> None:
        from allauth.account.signals import password_changed, password_reset, password_set

        from accounts import signals  # noqa: F401 (connects the receivers)
        from accounts.receivers import api_tokens_end_with_password
        from accounts.selectors import (
            api_tokens_export_section,
            email_export_section,
            register_export_section,
            reminder_export_section,
        )

        register_export_section("email", email_export_section)
        register_export_section("reminders", reminder_export_section)
        register_export_section("api_tokens", api_tokens_export_section)

        # A password changed through allauth: the member's API tokens go (see the receiver).
        for signal in (password_changed, password_set, password_reset):
            signal.connect(api_tokens_end_with_password, dispatch_uid="accounts.api_tokens_end")
