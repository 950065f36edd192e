from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewslettersConfig(AppConfig):
    name = "newsletters"
    verbose_name = _("Newsletters")

    def ready(self) -> None:
        from newsletters.services import series_published_received
        from routines.events import series_published

        # One announcement campaign per published series (routines offers the event).
        series_published.connect(
            series_published_received, dispatch_uid="kneadful.newsletters.announce"
        )
