"""Who may use the editor: one rule for its pages and its API.

An editor is a signed-in user with ``routines.roles.EDIT_LIBRARY`` (the "Editors" group,
or a superuser), plus the model permission of what they do (adding a step needs
``routines.add_step``...). ``is_staff`` alone opens nothing here. Visitors who are not
signed in are sent to log in (pages) or get 401 (API); members get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request

from routines.roles import EDIT_LIBRARY

View = Callable[..., HttpResponse]


def editor_required(*perms: str) -> Callable[[View], View]:
    """Page decorator: log in first, then 403 unless the user may edit the library and
    holds every permission in ``perms``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perms([EDIT_LIBRARY, *perms]):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorator


class IsEditor(BasePermission):
    """DRF: an authenticated editor holding the view's ``required_perms[method]``.

    Anonymous requests fail it before authentication is known to have failed, so DRF
    answers them 401 (token authentication comes first), members 403.
    """

    message = _("Only editors may change the library.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        extra = getattr(view, "required_perms", {}).get(request.method, ())
        return user.has_perms([EDIT_LIBRARY, *extra])


class ReadOpenWriteEditor(IsEditor):
    """Reading stays as public as it was (the library); writing needs an editor."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return AllowAny().has_permission(request, view)
        return super().has_permission(request, view)
