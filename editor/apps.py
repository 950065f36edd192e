from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorConfig(AppConfig):
    """The staff editor: pages and staff API to write, schedule and publish series.

    It has no models of its own: it works on the library through ``routines.services``
    and ``routines.selectors``, which also hold the audit log (``routines.AuditEntry``).
    """

    name = "editor"
    verbose_name = _("Staff editor")
