from django.apps import AppConfig


class WellnessConfig(AppConfig):
    name = "wellness"
    verbose_name = "Kneadful site"

    def ready(self) -> None:
        # Bounces and complaints reported by an email provider's webhooks (django-anymail)
        # feed the suppression list; see wellness.emails.anymail_tracking_received.
        from anymail.signals import tracking

        from wellness.emails import anymail_tracking_received

        tracking.connect(anymail_tracking_received, dispatch_uid="kneadful.email.tracking")
