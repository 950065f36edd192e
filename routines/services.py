"""Every write to the library and to members' logs."""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.backends import written_ahead
from accounts.models import User
from routines.models import (
    BodyPart,
    BodyPartActivity,
    DailyActivity,
    Favourite,
    MemberStatsSnapshot,
    PracticePlan,
    RestDay,
    Routine,
    SafetyAcknowledgement,
    Series,
    SessionLog,
    Step,
)
from routines.selectors import stats_generation_cache_key
from wellness.cache import cache_forget


@dataclass(frozen=True)
class StepSpec:
    title: str
    instruction: str
    technique: str = ""
    duration_seconds: int = 30
    repetitions: int = 1
    per_finger: bool = False


@dataclass(frozen=True)
class RoutineSpec:
    slug: str
    title: str
    intro: str = ""
    equipment: str = ""
    per_side: bool = False
    rest_after: str = ""
    steps: Sequence[StepSpec] = field(default_factory=tuple)


def body_part_ensure(*, slug: str, name: str, position: int = 0) -> BodyPart:
    part, _ = BodyPart.objects.update_or_create(
        slug=slug, defaults={"name": name, "position": position}
    )
    return part


@transaction.atomic
def routine_save(*, series: Series, position: int, spec: RoutineSpec) -> Routine:
    """Create or update a routine by slug within its series, replacing its steps in order."""
    routine, _ = Routine.objects.update_or_create(
        series=series,
        slug=spec.slug,
        defaults={
            "position": position,
            "title": spec.title,
            "intro": spec.intro,
            "equipment": spec.equipment,
            "per_side": spec.per_side,
            "rest_after": spec.rest_after,
        },
    )
    routine.steps.all().delete()
    Step.objects.bulk_create(
        Step(
            routine=routine,
            position=index,
            title=step.title,
            instruction=step.instruction,
            technique=step.technique,
            duration_seconds=step.duration_seconds,
            repetitions=step.repetitions,
            per_finger=step.per_finger,
        )
        for index, step in enumerate(spec.steps, start=1)
    )
    return routine


@transaction.atomic
def series_save(
    *,
    slug: str,
    title: str,
    summary: str = "",
    description: str = "",
    body_parts: Sequence[BodyPart] = (),
    estimated_minutes: int = 10,
    difficulty: str = Series.Difficulty.GENTLE,
    safety_notes: str = "",
    contraindications: Sequence[str] = (),
    cover_alt: str = "",
    routines: Sequence[RoutineSpec] = (),
    next_installment: Series | None = None,
) -> Series:
    """Create or update a series (by slug) with its routines; status is left as it is."""
    series, _ = Series.objects.update_or_create(
        slug=slug,
        defaults={
            "title": title,
            "summary": summary,
            "description": description,
            "estimated_minutes": estimated_minutes,
            "difficulty": difficulty,
            "safety_notes": safety_notes,
            "contraindications": list(contraindications),
            "cover_alt": cover_alt,
            "next_installment": next_installment,
        },
    )
    series.body_parts.set(body_parts)
    keep = [spec.slug for spec in routines]
    series.routines.exclude(slug__in=keep).filter(session_logs__isnull=True).delete()
    for position, spec in enumerate(routines, start=1):
        routine_save(series=series, position=position, spec=spec)
    return series


def series_publish(*, series: Series) -> Series:
    """Make a series visible to members now."""
    series.status = Series.Status.PUBLISHED
    series.published_at = series.published_at or timezone.now()
    series.publish_at = None
    series.save(update_fields=["status", "published_at", "publish_at", "updated_at"])
    return series


class MemberChanged(Exception):
    """The API token no longer belongs to the member it was checked for, or the member
    changed (``session_log_create(verify_token=...)``): nothing was written."""


class RestLimitReached(Exception):
    """The member already used this week's ad-hoc rest days."""


def _local(user: User, instant: dt.datetime) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(user.timezone)).date()


# --- Activity aggregates (what the dashboard reads) ---------------------------------------


def _relief(log: SessionLog) -> int | None:
    if log.tension_before is None or log.tension_after is None:
        return None
    return log.tension_before - log.tension_after


def _stats_invalidate(*, user_id: int) -> None:
    """Drop the member's cached stats (see MemberStatsSnapshot)."""
    MemberStatsSnapshot.objects.filter(user_id=user_id).update(
        generation=F("generation") + 1, data=None
    )
    _stats_generation_forget(user_ids=[user_id])


def _stats_generation_forget(*, user_ids: list[int]) -> None:
    """Forget the cached snapshot generations (``member_stats_key``) after a bump: now,
    and again once the bump commits, so no reader keeps the old one past the commit
    (a reader that raced the commit keeps it at most ``STATS_GENERATION_CACHE_SECONDS``)."""
    if not settings.CACHE_IS_SHARED:
        return
    cache_forget([stats_generation_cache_key(user_id) for user_id in user_ids])


# A pending mark set less than this long before the write commits is still there then
# (it lasts ``STATS_GENERATION_PENDING_MS``); an older one is not relied on.
STATS_PENDING_TRUSTED_SECONDS = 1.0


def _stats_generation_marked_pending(*, user_id: int) -> bool:
    """Whether this request marked the member's generation pending before writing
    (``routines.authentication.SessionLogTokenAuthentication``), the cache confirmed
    it, and recently enough that the mark outlives the write's commit. Readers then
    neither trust nor store a generation until it expires, so there is nothing to
    forget."""
    at = written_ahead(stats_generation_cache_key(user_id))
    return at is not None and time.monotonic() - at < STATS_PENDING_TRUSTED_SECONDS


def _activity_apply(*, log: SessionLog, series_id: int, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one log's share of the member's aggregates.

    Upserts with relative increments, so concurrent writes for the same member and day
    add up instead of overwriting each other; also drops the cached stats. On
    PostgreSQL the three writes travel as one statement.
    """
    relief = _relief(log)
    daily = DailyActivity._meta.db_table
    parts = BodyPartActivity._meta.db_table
    through = Series.body_parts.through._meta.db_table
    snapshot = MemberStatsSnapshot._meta.db_table
    # Only table names from model metadata are interpolated; values are parameters.
    daily_sql = (
        f"INSERT INTO {daily} (user_id, local_date, sessions, seconds, relief_sum, "  # noqa: S608
        "relief_count) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, local_date) DO UPDATE SET "
        f"sessions = {daily}.sessions + excluded.sessions, "
        f"seconds = {daily}.seconds + excluded.seconds, "
        f"relief_sum = {daily}.relief_sum + excluded.relief_sum, "
        f"relief_count = {daily}.relief_count + excluded.relief_count"
    )
    daily_params = [
        log.user_id,
        log.local_date,
        sign,
        sign * log.duration_seconds,
        sign * (relief or 0),
        sign * (relief is not None),
    ]
    parts_sql = (
        f"INSERT INTO {parts} (user_id, body_part_id, sessions, seconds) "  # noqa: S608
        f"SELECT %s, bodypart_id, %s, %s FROM {through} WHERE series_id = %s "
        "ON CONFLICT (user_id, body_part_id) DO UPDATE SET "
        f"sessions = {parts}.sessions + excluded.sessions, "
        f"seconds = {parts}.seconds + excluded.seconds"
    )
    parts_params = [log.user_id, sign, sign * log.duration_seconds, series_id]
    snapshot_sql = (
        f"UPDATE {snapshot} SET generation = generation + 1, data = NULL "  # noqa: S608
        "WHERE user_id = %s"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH d AS ({daily_sql} RETURNING 1), p AS ({parts_sql} RETURNING 1) "
                f"{snapshot_sql}",
                [*daily_params, *parts_params, log.user_id],
            )
        else:
            cursor.execute(daily_sql, daily_params)
            cursor.execute(parts_sql, parts_params)
            cursor.execute(snapshot_sql, [log.user_id])
    _stats_generation_forget(user_ids=[log.user_id])


def _activity_tidy(*, user_id: int) -> None:
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
    _stats_generation_forget(user_ids=list(snapshots.values_list("user_id", flat=True)))
    return written


# --- Session logs --------------------------------------------------------------------------


def _step_count(routine: Routine) -> int:
    """Steps of the routine; ``routine_for_logging`` annotates it to save a query."""
    count = getattr(routine, "step_count", None)
    return routine.steps.count() if count is None else count


# Fields of a log that ``full_clean`` leaves out: the member and the routine (already
# checked: the member's own, a visible routine) and the values derived here rather than
# given (duration from the times, which ``SessionLog.clean`` bounds; steps_total from
# the routine; local_date and timezone from the member's zone).
_DERIVED = ["user", "routine", "duration_seconds", "steps_total", "local_date", "timezone"]


def _existing_log(*, user: User, client_id: uuid.UUID | None) -> SessionLog | None:
    if client_id is None:
        return None
    return SessionLog.objects.filter(user=user, client_id=client_id).first()


def session_log_create(
    *,
    user: User,
    routine: Routine,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    client_id: uuid.UUID | None = None,
    steps_completed: int | None = None,
    sides: str = "",
    tension_before: int | None = None,
    tension_after: int | None = None,
    tension_map: dict | None = None,
    rating: int | None = None,
    notes: str = "",
    source: str = SessionLog.Source.PLAYER,
    verify_token: str | None = None,
) -> tuple[SessionLog, bool]:
    """Log a session; returns (log, created).

    A repeat of the same ``client_id`` for the same member returns the existing log
    unchanged (created=False), even when two requests race: the unique constraint
    decides, and the loser reads the winner's row. The local date is the member's
    calendar day at ``started_at`` in their current zone. ``SessionLog.clean`` gives
    the field messages (raised as ``ValidationError``). The log and the member's
    activity aggregates are written in one transaction.

    ``verify_token`` (PostgreSQL only): ``user`` is a copy this process remembered for
    that API token, not read for this request. The insert then also checks, in the same
    statement, that the token still belongs to ``user`` and that the member is active
    with the same zone and staff flag (all this function relies on), and raises
    ``MemberChanged`` with nothing written if not; a log that fails validation is
    raised as such, without looking up the member's earlier answer.
    """
    steps_total = _step_count(routine)
    log = SessionLog(
        user=user,
        routine=routine,
        client_id=client_id or uuid.uuid4(),
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=max(0, int((ended_at - started_at).total_seconds())),
        steps_completed=steps_total if steps_completed is None else steps_completed,
        steps_total=steps_total,
        sides=sides or "",
        tension_before=tension_before,
        tension_after=tension_after,
        tension_map=tension_map or {},
        rating=rating,
        notes=notes or "",
        local_date=_local(user, started_at),
        timezone=user.timezone,
        source=source,
    )
    try:
        # Constraints are checked by the database (Django would query once per constraint).
        log.full_clean(exclude=_DERIVED, validate_unique=False, validate_constraints=False)
    except ValidationError:
        if verify_token is not None:  # not the member's for sure: no earlier answer
            raise
        # A retry of a log that was stored may no longer validate (e.g. now "too old"
        # rules); the member's first answer stands.
        existing = _existing_log(user=user, client_id=client_id)
        if existing is not None:
            return existing, False
        raise
    if verify_token is not None and connection.vendor != "postgresql":
        raise MemberChanged("verify_token needs PostgreSQL")
    if connection.vendor == "postgresql":
        if _session_log_insert_counted(
            log=log, series_id=routine.series_id, verify_token=verify_token, user=user
        ):
            return log, True
        existing = _existing_log(user=user, client_id=log.client_id)
        if existing is None:  # pragma: no cover - the conflict was on this very key
            raise IntegrityError("session log conflict without a stored log")
        return existing, False
    try:
        with transaction.atomic():
            log.save(force_insert=True)
            _activity_apply(log=log, series_id=routine.series_id, sign=1)
    except IntegrityError:
        existing = _existing_log(user=user, client_id=log.client_id)
        if existing is None:
            raise
        return existing, False
    return log, True


@functools.cache
def _insert_counted_sql(verified: bool = False) -> tuple[list, str]:
    """The fields and the statement of ``_session_log_insert_counted`` (built once).

    ``verified``: the log's values are selected from a check that the API token still
    belongs to the member, active and unchanged (four more parameters first), and the
    statement answers (inserted id or NULL, whether the check passed).
    """
    fields = [f for f in SessionLog._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = SessionLog._meta.db_table
    daily = DailyActivity._meta.db_table
    parts = BodyPartActivity._meta.db_table
    through = Series.body_parts.through._meta.db_table
    snapshot = MemberStatsSnapshot._meta.db_table
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    check = ""
    values = f"VALUES ({placeholders})"
    answer = "SELECT id FROM ins"
    if verified:
        token, member = quote(Token._meta.db_table), quote(User._meta.db_table)
        check = (
            f"a AS (SELECT 1 FROM {token} t JOIN {member} u ON u.id = t.user_id "  # noqa: S608
            "WHERE t.key = %s AND t.user_id = %s AND u.is_active AND u.is_staff = %s "
            "AND u.timezone = %s), "
        )
        values = f"SELECT {placeholders} FROM a"  # noqa: S608
        answer = "SELECT (SELECT id FROM ins), EXISTS (SELECT 1 FROM a)"
    sql = (
        f"WITH {check}ins AS (INSERT INTO {table} ({columns}) {values} "  # noqa: S608
        "ON CONFLICT (user_id, client_id) DO NOTHING RETURNING id), "
        f"d AS (INSERT INTO {daily} (user_id, local_date, sessions, seconds, relief_sum, "
        "relief_count) SELECT %s, %s, 1, %s, %s, %s FROM ins "
        "ON CONFLICT (user_id, local_date) DO UPDATE SET "
        f"sessions = {daily}.sessions + 1, seconds = {daily}.seconds + excluded.seconds, "
        f"relief_sum = {daily}.relief_sum + excluded.relief_sum, "
        f"relief_count = {daily}.relief_count + excluded.relief_count RETURNING 1), "
        f"p AS (INSERT INTO {parts} (user_id, body_part_id, sessions, seconds) "
        f"SELECT %s, t.bodypart_id, 1, %s FROM {through} t, ins WHERE t.series_id = %s "
        "ON CONFLICT (user_id, body_part_id) DO UPDATE SET "
        f"sessions = {parts}.sessions + 1, seconds = {parts}.seconds + excluded.seconds "
        "RETURNING 1), "
        f"s AS (UPDATE {snapshot} SET generation = generation + 1, data = NULL "
        f"WHERE user_id = %s AND EXISTS (SELECT 1 FROM ins) RETURNING 1) {answer}"
    )
    return fields, sql


@functools.cache
def _passed_as_is() -> list[bool]:
    """Per field of the insert: whether psycopg takes the model value unchanged (numbers,
    text, dates, times, UUIDs, keys on PostgreSQL), so ``get_db_prep_save`` is skipped."""
    plain = (
        models.IntegerField,
        models.CharField,
        models.TextField,
        models.DateField,  # DateTimeField is a DateField
        models.UUIDField,
        models.ForeignKey,
    )
    return [
        isinstance(f, plain) and not isinstance(f, models.JSONField)
        for f in _insert_counted_sql()[0]
    ]


def _session_log_insert_counted(
    *, log: SessionLog, series_id: int, verify_token: str | None = None, user: User | None = None
) -> bool:
    """PostgreSQL: insert the log and add it to the aggregates in one statement.

    ``ON CONFLICT (user_id, client_id) DO NOTHING`` makes a repeated client_id a no-op
    (a racing twin waits for the first insert to commit, then does nothing); the
    aggregate upserts and the stats invalidation read the inserted row, so they happen
    exactly when the log is new. One statement is atomic by itself: no transaction
    round trips. Returns whether the log was inserted (its pk is then set). With
    ``verify_token``, only if the token still belongs to ``user`` as they were read
    (else ``MemberChanged``).
    """
    fields, sql = _insert_counted_sql(verified=verify_token is not None)
    values = [
        f.pre_save(log, True) if passed else f.get_db_prep_save(f.pre_save(log, True), connection)
        for f, passed in zip(fields, _passed_as_is(), strict=True)
    ]
    relief = _relief(log)
    check = []
    if verify_token is not None:
        check = [verify_token, user.pk, user.is_staff, user.timezone]
    params = [
        *check,
        *values,
        log.user_id,
        log.local_date,
        log.duration_seconds,
        relief or 0,
        int(relief is not None),
        log.user_id,
        log.duration_seconds,
        series_id,
        log.user_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if verify_token is not None:
        inserted, verified = row
        if not verified:
            raise MemberChanged("The token or its member changed.")
        row = None if inserted is None else (inserted,)
    if row is None:
        return False
    if not _stats_generation_marked_pending(user_id=log.user_id):
        _stats_generation_forget(user_ids=[log.user_id])
    log.pk = row[0]
    log._state.adding = False
    log._state.db = connection.alias
    return True


SESSION_LOG_EDITABLE = frozenset(
    {
        "routine",
        "started_at",
        "ended_at",
        "steps_completed",
        "sides",
        "tension_before",
        "tension_after",
        "tension_map",
        "rating",
        "notes",
    }
)


@transaction.atomic
def session_log_update(*, user: User, log: SessionLog, **fields: object) -> SessionLog:
    """Change the member's own log; duration and local date follow the times.

    Accepts the fields in ``SESSION_LOG_EDITABLE``. The stored row is re-read under a
    row lock, so the aggregates move by what really changed even if ``log`` was edited
    in memory (e.g. by a ModelForm) before the call.
    """
    unknown = set(fields) - SESSION_LOG_EDITABLE
    if unknown:
        raise TypeError(f"session_log_update() cannot change {', '.join(sorted(unknown))}")
    if log.user_id != user.pk:
        raise PermissionDenied("Not your session.")
    stored = (
        SessionLog.objects.select_for_update().select_related("routine").get(pk=log.pk, user=user)
    )
    old = SessionLog(
        user_id=stored.user_id,
        local_date=stored.local_date,
        duration_seconds=stored.duration_seconds,
        tension_before=stored.tension_before,
        tension_after=stored.tension_after,
    )
    old_series_id = stored.routine.series_id
    for name, value in fields.items():
        if name in {"sides", "notes"} and value is None:
            value = ""
        if name == "tension_map" and value is None:
            value = {}
        setattr(stored, name, value)
    if "routine" in fields:
        stored.steps_total = _step_count(stored.routine)
    if {"started_at", "ended_at"} & set(fields):
        stored.duration_seconds = max(0, int((stored.ended_at - stored.started_at).total_seconds()))
    if "started_at" in fields:
        stored.local_date = _local(user, stored.started_at)
        stored.timezone = user.timezone
    stored.full_clean(exclude=_DERIVED, validate_unique=False, validate_constraints=False)
    stored.save()
    _activity_apply(log=old, series_id=old_series_id, sign=-1)
    _activity_apply(log=stored, series_id=stored.routine.series_id, sign=1)
    _activity_tidy(user_id=user.pk)
    return stored


@transaction.atomic
def session_log_delete(*, user: User, log: SessionLog) -> None:
    """Delete the member's own log and take it out of their aggregates."""
    if log.user_id != user.pk:
        raise PermissionDenied("Not your session.")
    stored = (
        SessionLog.objects.select_for_update()
        .select_related("routine")
        .filter(pk=log.pk, user=user)
        .first()
    )
    if stored is None:
        return
    _activity_apply(log=stored, series_id=stored.routine.series_id, sign=-1)
    stored.delete()
    _activity_tidy(user_id=user.pk)


# --- Plan, favourites, safety -----------------------------------------------------------


@transaction.atomic
def practice_plan_update(
    *, user: User, rest_weekdays: list[int], rest_days_per_week: int
) -> PracticePlan:
    """Set the member's planned rest weekdays (0 = Monday) and weekly 'rest today' marks."""
    errors: dict[str, str] = {}
    days: list[int] = []
    try:
        days = sorted({int(day) for day in rest_weekdays})
    except (TypeError, ValueError):
        errors["rest_weekdays"] = "Days are numbers from 0 (Monday) to 6 (Sunday)."
    if any(isinstance(day, bool) for day in rest_weekdays or []) or any(
        day < 0 or day > 6 for day in days
    ):
        errors["rest_weekdays"] = "Days are numbers from 0 (Monday) to 6 (Sunday)."
    elif len(days) > 6:
        errors["rest_weekdays"] = "Keep at least one practice day a week."
    if (
        isinstance(rest_days_per_week, bool)
        or not isinstance(rest_days_per_week, int)
        or not 0 <= rest_days_per_week <= 7
    ):
        errors["rest_days_per_week"] = "Choose between 0 and 7 rest days a week."
    if errors:
        raise ValidationError(errors)
    plan, _ = PracticePlan.objects.update_or_create(
        user=user, defaults={"rest_weekdays": days, "rest_days_per_week": rest_days_per_week}
    )
    _stats_invalidate(user_id=user.pk)
    return plan


def favourite_toggle(*, user: User, series: Series) -> bool:
    """Add or remove a favourite; returns whether the series is now a favourite."""
    deleted, _ = Favourite.objects.filter(user=user, series=series).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Favourite.objects.create(user=user, series=series)
    except IntegrityError:
        pass  # a concurrent toggle added it: it is a favourite
    return True


def favourite_set(*, user: User, series: Series, favourite: bool) -> bool:
    """Make the series a favourite or not (idempotent, for API clients)."""
    if favourite:
        try:
            with transaction.atomic():
                Favourite.objects.get_or_create(user=user, series=series)
        except IntegrityError:
            pass
    else:
        Favourite.objects.filter(user=user, series=series).delete()
    return favourite


def safety_acknowledge(*, user: User, series: Series) -> SafetyAcknowledgement:
    """Remember that the member confirmed the series' checklist (idempotent)."""
    try:
        with transaction.atomic():
            ack, _ = SafetyAcknowledgement.objects.get_or_create(user=user, series=series)
    except IntegrityError:
        ack = SafetyAcknowledgement.objects.get(user=user, series=series)
    return ack


def rest_day_mark(*, user: User, local_date: dt.date) -> tuple[RestDay, bool]:
    """Mark a local day as rest (keeps the streak); at most the plan's number per week.

    Marking the same day twice is a no-op that returns the existing mark.
    """
    existing = RestDay.objects.filter(user=user, local_date=local_date).first()
    if existing is not None:
        return existing, False
    plan = PracticePlan.objects.filter(user=user).first()
    allowed = (
        plan.rest_days_per_week
        if plan
        else PracticePlan._meta.get_field("rest_days_per_week").default
    )
    week_start = local_date - dt.timedelta(days=local_date.weekday())
    used = RestDay.objects.filter(
        user=user, local_date__gte=week_start, local_date__lt=week_start + dt.timedelta(days=7)
    ).count()
    if used >= allowed:
        raise RestLimitReached(f"You have already used your {allowed} rest day(s) this week.")
    try:
        with transaction.atomic():
            rest = RestDay.objects.create(user=user, local_date=local_date)
            _stats_invalidate(user_id=user.pk)
            return rest, True
    except IntegrityError:
        return RestDay.objects.get(user=user, local_date=local_date), False
