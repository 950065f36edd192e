"""Writes to the library: body parts, series and their routines and steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from routines.models import BodyPart, Routine, Series, Step


@dataclass(frozen=True)
class StepSpec:
    title: str
    instruction: str
    technique: str = ""
    duration_seconds: int = 30
    repetitions: int = 1
    per_finger: bool = False
    area: str = ""  # a region of the body part's outline (routines.pictures.regions_for)


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
            area=step.area,
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
