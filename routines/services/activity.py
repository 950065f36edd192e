"""The per-member aggregates the dashboard reads, kept by the session log services.

``DailyActivity`` (one row per member and local day) and ``BodyPartActivity`` (one row
per member and body part) are moved by relative increments inside the transaction of
the log write, so concurrent writes for the same member add up instead of overwriting
each other. Every change also bumps the member's ``MemberStatsSnapshot.generation``
and clears its stored figures: the generation is the version the dashboard's cached
fragments are keyed by.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Model, Q, QuerySet, Sum

from accounts.models import User
from routines.models import (
    BodyPartActivity,
    DailyActivity,
    MemberStatsSnapshot,
    Series,
    SessionLog,
)


def member_stats_invalidate(*, user_id: int) -> None:
    """Drop the member's stored figures and move their stats version on."""
    MemberStatsSnapshot.objects.filter(user_id=user_id).update(
        generation=F("generation") + 1, data=None
    )


def _relief(log: SessionLog) -> int | None:
    if log.tension_before is None or log.tension_after is None:
        return None
    return log.tension_before - log.tension_after


def _add_or_create(rows: QuerySet, changes: dict[str, int], create: dict[str, object]) -> None:
    """``rows.update(field = field + change)``; create the row when there is none.

    The create runs in a savepoint: when a concurrent first write for the same key wins
    the race, the unique constraint refuses this one and the increment is applied to
    the winner's row instead.
    """
    increments = {name: F(name) + change for name, change in changes.items()}
    if rows.update(**increments):
        return
    model: type[Model] = rows.model
    try:
        with transaction.atomic():
            model.objects.create(**create, **changes)
    except IntegrityError:
        rows.update(**increments)


def activity_apply(*, log: SessionLog, series_id: int, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one log's share of the member's aggregates.

    Call inside the transaction that writes the log.
    """
    relief = _relief(log)
    _add_or_create(
        DailyActivity.objects.filter(user_id=log.user_id, local_date=log.local_date),
        {
            "sessions": sign,
            "seconds": sign * log.duration_seconds,
            "relief_sum": sign * (relief or 0),
            "relief_count": sign * (relief is not None),
        },
        {"user_id": log.user_id, "local_date": log.local_date},
    )
    part_ids = Series.body_parts.through.objects.filter(series_id=series_id).values_list(
        "bodypart_id", flat=True
    )
    for part_id in part_ids:
        _add_or_create(
            BodyPartActivity.objects.filter(user_id=log.user_id, body_part_id=part_id),
            {"sessions": sign, "seconds": sign * log.duration_seconds},
            {"user_id": log.user_id, "body_part_id": part_id},
        )
    member_stats_invalidate(user_id=log.user_id)


def activity_tidy(*, user_id: int) -> None:
    """Remove the member's aggregate rows that no log counts any more."""
    DailyActivity.objects.filter(user_id=user_id, sessions__lte=0).delete()
    BodyPartActivity.objects.filter(user_id=user_id, sessions__lte=0).delete()


@transaction.atomic
def member_activity_rebuild(*, user: User | None = None) -> int:
    """Recompute the activity aggregates from the logs (one member, or everyone).

    For operators (``manage.py rebuild_member_stats``) and bulk imports that bypass
    ``session_log_create``. Returns the number of day rows written.
    """
    logs = SessionLog.objects.all()
    daily = DailyActivity.objects.all()
    parts = BodyPartActivity.objects.all()
    snapshots = MemberStatsSnapshot.objects.all()
    if user is not None:
        logs, daily = logs.filter(user=user), daily.filter(user=user)
        parts, snapshots = parts.filter(user=user), snapshots.filter(user=user)
    daily.delete()
    parts.delete()
    both = Q(tension_before__isnull=False, tension_after__isnull=False)
    day_rows = (
        logs.order_by()
        .values("user_id", "local_date")
        .annotate(
            n=Count("id"),
            secs=Sum("duration_seconds"),
            rsum=Sum(F("tension_before") - F("tension_after"), filter=both),
            rcount=Count("id", filter=both),
        )
    )
    written = 0
    batch: list[DailyActivity] = []
    for row in day_rows.iterator(chunk_size=5000):
        batch.append(
            DailyActivity(
                user_id=row["user_id"],
                local_date=row["local_date"],
                sessions=row["n"],
                seconds=row["secs"] or 0,
                relief_sum=row["rsum"] or 0,
                relief_count=row["rcount"],
            )
        )
        if len(batch) >= 5000:
            DailyActivity.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    DailyActivity.objects.bulk_create(batch)
    written += len(batch)
    part_rows = (
        logs.filter(routine__series__body_parts__isnull=False)
        .order_by()
        .values("user_id", "routine__series__body_parts")
        .annotate(n=Count("id"), secs=Sum("duration_seconds"))
    )
    BodyPartActivity.objects.bulk_create(
        (
            BodyPartActivity(
                user_id=row["user_id"],
                body_part_id=row["routine__series__body_parts"],
                sessions=row["n"],
                seconds=row["secs"] or 0,
            )
            for row in part_rows.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )
    snapshots.update(generation=F("generation") + 1, data=None)
    return written
