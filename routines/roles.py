"""Who may change the library: the "Editors" group and the permission every staff page and
staff API endpoint checks.

The group and its model permissions are created by ``editor/migrations/0001_editors_group``;
superusers add or remove editors in the admin (Users -> Groups).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User

EDITORS_GROUP = "Editors"
# The permission that opens the editor (pages and staff API) and shows unpublished series.
EDIT_LIBRARY = "routines.change_series"
# What the group holds: the library's model permissions and reading the audit log.
EDITOR_PERMISSIONS = [
    f"routines.{action}_{model}"
    for model in ("series", "routine", "step")
    for action in ("add", "change", "delete", "view")
] + ["routines.view_auditentry"]


def can_edit_library(user: User | AnonymousUser) -> bool:
    """An active editor or superuser (Django's auth backend, cached on the user per request)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(EDIT_LIBRARY))
