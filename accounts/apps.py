from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members and preferences"

    def ready(self) -> None:
        from anymail.signals import tracking

        from accounts import signals  # noqa: F401 (connects the receivers)
        from accounts.emails import anymail_tracking_received, email_hooks_install
        from accounts.selectors import email_export_section, register_export_section

        register_export_section("email", email_export_section)
        # wellness.emails builds and sends; what a member agreed to receive is ours.
        email_hooks_install()
        # Bounces and complaints reported by an email provider's webhooks (django-anymail)
        # feed the suppression list; see accounts.emails.anymail_tracking_received.
        tracking.connect(anymail_tracking_received, dispatch_uid="kneadful.email.tracking")
