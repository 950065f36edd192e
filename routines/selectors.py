"""Reads of the library and of members' logs."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from routines.models import Series, SessionLog


def series_visible_to(user: User | AnonymousUser) -> QuerySet[Series]:
    """Published series for everyone; staff also see drafts and scheduled ones."""
    if getattr(user, "is_staff", False):
        return Series.objects.all()
    return Series.objects.published()


def member_practised_on(*, user: User, local_date: dt.date) -> bool:
    """Did the member log at least one session on this local day?"""
    return SessionLog.objects.filter(user=user, local_date=local_date).exists()


def member_local_today(*, user: User, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(user.timezone)).date()
