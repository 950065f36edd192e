"""A series' status: draft -> scheduled -> published -> unpublished (and back).

- ``series_publish``: live now. Idempotent: publishing a published series changes nothing.
  ``published_at`` is set the first time the series goes live and never again;
  ``routines.events.series_published`` is sent after the commit of that first time only
  (a series published again after being unpublished is not announced twice).
- ``series_schedule``: live at a future instant (aware, stored in UTC), published then by
  ``series_publish_due``, which the ONE periodic task ``routines.tasks.series_publish_due``
  runs every minute (no task per series).
- ``series_unschedule``: back to draft (or to unpublished if it was live before).
- ``series_unpublish``: hidden again; members' logs of its routines stay in their history.

A series goes live (or is scheduled) only with at least one routine with at least one
step (``series_publication_problems`` says what is missing, in words). Every change is
recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from routines.events import series_published
from routines.models import AuditEntry, Series
from routines.selectors.editing import series_publication_problems
from routines.services.audit import audit_record, changed_fields
from routines.services.editing import locked_series

logger = logging.getLogger(__name__)

Action = AuditEntry.Action
Status = Series.Status


def _status_fields(series: Series) -> dict[str, str | None]:
    return {
        "status": series.status,
        "publish_at": series.publish_at.isoformat() if series.publish_at else None,
        "published_at": series.published_at.isoformat() if series.published_at else None,
    }


def _refuse_unless_publishable(series: Series) -> None:
    problems = series_publication_problems(series=series)
    if problems:
        raise ValidationError(problems, code="series_empty")


def _set_status(
    series: Series,
    *,
    actor: User | None,
    action: str,
    status: str,
    publish_at: dt.datetime | None = None,
    extra: dict | None = None,
) -> Series:
    before = _status_fields(series)
    first_time = status == Status.PUBLISHED and series.published_at is None
    series.status = status
    series.publish_at = publish_at
    if status == Status.PUBLISHED:
        series.published_at = series.published_at or timezone.now()
    series.save(update_fields=["status", "publish_at", "published_at", "updated_at"])
    changes = changed_fields(before, _status_fields(series)) | (extra or {})
    audit_record(series=series, actor=actor, action=action, changes=changes)
    if first_time:
        transaction.on_commit(
            functools.partial(series_published.send, sender=Series, series_id=series.pk)
        )
    return series


@transaction.atomic
def series_publish(*, series: Series, actor: User | None = None) -> Series:
    """Make a series visible to members now; publishing a published series changes nothing
    (no audit entry, no event)."""
    locked = locked_series(series)
    if locked.status == Status.PUBLISHED:
        return locked
    _refuse_unless_publishable(locked)
    return _set_status(locked, actor=actor, action=Action.PUBLISH, status=Status.PUBLISHED)


@transaction.atomic
def series_schedule(
    *,
    series: Series,
    publish_at: dt.datetime,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Series:
    """Publish the series at ``publish_at`` (an aware instant in the future). A scheduled
    series may be scheduled again at another time."""
    if timezone.is_naive(publish_at):
        raise ValueError("publish_at must be an aware datetime.")
    if publish_at <= (now or timezone.now()):
        raise ValidationError(
            {"publish_at": [_("Choose a time in the future, or publish the series now.")]}
        )
    locked = locked_series(series)
    if locked.status == Status.PUBLISHED:
        raise ValidationError(
            _("“%(title)s” is already published: unpublish it first to schedule it again.")
            % {"title": locked.title},
            code="already_published",
        )
    _refuse_unless_publishable(locked)
    if locked.status == Status.SCHEDULED and locked.publish_at == publish_at:
        return locked
    return _set_status(
        locked,
        actor=actor,
        action=Action.SCHEDULE,
        status=Status.SCHEDULED,
        publish_at=publish_at.astimezone(dt.UTC),
    )


@transaction.atomic
def series_publish_at(
    *,
    series: Series,
    when: dt.datetime | None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Series:
    """Publish now when ``when`` is absent or past, else schedule it for ``when``."""
    now = now or timezone.now()
    if when is None or when <= now:
        return series_publish(series=series, actor=actor)
    return series_schedule(series=series, publish_at=when, actor=actor, now=now)


def _status_without_schedule(series: Series) -> str:
    return Status.UNPUBLISHED if series.published_at else Status.DRAFT


@transaction.atomic
def series_unschedule(*, series: Series, actor: User | None = None) -> Series:
    """Cancel a series' scheduled publication: back to draft (or unpublished if it was
    live before). A series that is not scheduled is left as it is."""
    locked = locked_series(series)
    if locked.status != Status.SCHEDULED:
        return locked
    return _set_status(
        locked, actor=actor, action=Action.UNSCHEDULE, status=_status_without_schedule(locked)
    )


@transaction.atomic
def series_unpublish(*, series: Series, actor: User | None = None) -> Series:
    """Hide a published series again. Members' session logs of its routines are kept and
    still shown in their history; ``published_at`` keeps the first publication."""
    locked = locked_series(series)
    if locked.status == Status.UNPUBLISHED:
        return locked
    if locked.status != Status.PUBLISHED:
        raise ValidationError(
            _("Only a published series can be unpublished: “%(title)s” is %(status)s.")
            % {"title": locked.title, "status": locked.get_status_display().lower()},
            code="not_published",
        )
    return _set_status(locked, actor=actor, action=Action.UNPUBLISH, status=Status.UNPUBLISHED)


def series_publish_due(*, now: dt.datetime | None = None) -> list[int]:
    """Publish every scheduled series whose time has come; return their ids.

    Each series in its own transaction, so one failure does not hold back the others
    (it is logged and tried again on the next run). A series whose schedule changed
    meanwhile is left alone; one that can no longer be published goes back to draft
    (or unpublished), with the reason in its audit log.
    """
    now = now or timezone.now()
    due = Series.objects.due(now).order_by("publish_at", "pk").values_list("pk", flat=True)
    published = []
    for pk in list(due):
        try:
            if _publish_if_due(pk, now):
                published.append(pk)
        except Exception:
            logger.exception("Scheduled publication of series %s failed; retried next run.", pk)
    return published


@transaction.atomic
def _publish_if_due(pk: int, now: dt.datetime) -> bool:
    locked = Series.objects.select_for_update().filter(pk=pk).first()
    if locked is None or locked.status != Status.SCHEDULED or locked.publish_at > now:
        return False
    problems = series_publication_problems(series=locked)
    if problems:
        logger.warning("Scheduled series %s cannot be published: %s", pk, " ".join(problems))
        _set_status(
            locked,
            actor=None,
            action=Action.UNSCHEDULE,
            status=_status_without_schedule(locked),
            extra={"reason": {"old": None, "new": " ".join(problems)}},
        )
        return False
    _set_status(locked, actor=None, action=Action.PUBLISH, status=Status.PUBLISHED)
    return True
