from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members and preferences"

    def ready(self) -> None:
        from allauth.account.signals import password_changed, password_reset, password_set
        from anymail.signals import tracking

        from accounts.emails import anymail_tracking_received, email_hooks_install
        from accounts.receivers import api_tokens_end_with_password
        from accounts.selectors import (
            api_tokens_export_section,
            email_export_section,
            register_export_section,
        )

        register_export_section("email", email_export_section)
        # wellness.emails builds and sends; what a member agreed to receive is ours.
        email_hooks_install()
        # Bounces and complaints reported by an email provider's webhooks (django-anymail)
        # feed the suppression list; see accounts.emails.anymail_tracking_received.
        tracking.connect(anymail_tracking_received, dispatch_uid="kneadful.email.tracking")
        register_export_section("api_tokens", api_tokens_export_section)

        # A password changed through allauth: the member's API tokens go (see the receiver).
        for signal in (password_changed, password_set, password_reset):
            signal.connect(api_tokens_end_with_password, dispatch_uid="accounts.api_tokens_end")
