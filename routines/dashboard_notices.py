"""Notices other apps put on the dashboard, without routines importing them.

An app registers a provider in its ``AppConfig.ready()``:
``register_dashboard_notice(fn)``, where ``fn(user, stats)`` returns a list of
``DashboardNotice`` (``stats`` is the ``MemberStats`` the dashboard already read, so a
provider needs no second read of the figures). Providers run on every dashboard view, in
the order they were registered; one that fails is logged and skipped, never the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User
from routines.selectors.stats import MemberStats

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DashboardNotice:
    """One notice: a heading, a sentence and an optional link, all plain text."""

    title: str
    text: str
    url: str = ""
    link_text: str = ""


NoticeProvider = Callable[[User, MemberStats], list[DashboardNotice]]
_providers: list[NoticeProvider] = []


def register_dashboard_notice(provider: NoticeProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def dashboard_notices(*, user: User, stats: MemberStats) -> list[DashboardNotice]:
    notices: list[DashboardNotice] = []
    for provider in _providers:
        try:
            notices.extend(provider(user, stats))
        except Exception:
            logger.exception("Dashboard notice provider %r failed", provider)
    return notices
