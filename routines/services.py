"""Every write to the library and to members' logs."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from routines.models import (
    BodyPart,
    PracticePlan,
    RestDay,
    Routine,
    Series,
    SessionLog,
    Step,
)


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


class RestLimitReached(Exception):
    """The member already used this week's ad-hoc rest days."""


def _local(user: User, instant: dt.datetime) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(user.timezone)).date()


@transaction.atomic
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
) -> tuple[SessionLog, bool]:
    """Log a session; returns (log, created).

    A repeat of the same ``client_id`` for the same member returns the existing log
    unchanged (created=False), even when two requests race: the unique constraint decides.
    The local date is the member's calendar day at ``started_at`` in their current zone.
    Validation of ranges happens in ``SessionLog.clean`` via ``full_clean``.
    """
    if client_id is not None:
        existing = SessionLog.objects.filter(user=user, client_id=client_id).first()
        if existing is not None:
            return existing, False
    steps_total = routine.steps.count()
    log = SessionLog(
        user=user,
        routine=routine,
        client_id=client_id or uuid.uuid4(),
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=max(0, int((ended_at - started_at).total_seconds())),
        steps_completed=steps_total if steps_completed is None else steps_completed,
        steps_total=steps_total,
        sides=sides,
        tension_before=tension_before,
        tension_after=tension_after,
        tension_map=tension_map or {},
        rating=rating,
        notes=notes,
        local_date=_local(user, started_at),
        timezone=user.timezone,
        source=source,
    )
    log.full_clean(exclude=["user", "routine"], validate_unique=False)
    try:
        with transaction.atomic():
            log.save()
    except IntegrityError:
        existing = SessionLog.objects.filter(user=user, client_id=log.client_id).first()
        if existing is None:
            raise
        return existing, False
    return log, True


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
            return RestDay.objects.create(user=user, local_date=local_date), True
    except IntegrityError:
        return RestDay.objects.get(user=user, local_date=local_date), False
