"""Reads of the library and of members' logs."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from routines.models import Series


def series_visible_to(user: User | AnonymousUser) -> QuerySet[Series]:
    """Published series for everyone; staff also see drafts and scheduled ones."""
    if getattr(user, "is_staff", False):
        return Series.objects.all()
    return Series.objects.published()
