from django.apps import AppConfig


class WellnessConfig(AppConfig):
    """The project package. It imports no app: the email hooks and the provider webhook
    receiver are installed by accounts (``AccountsConfig.ready()``)."""

    name = "wellness"
    verbose_name = "Kneadful site"
