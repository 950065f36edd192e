"""Editors' writes to a series' routines and steps: created, changed, reordered, removed.

As in ``editing``: one transaction per service, the series row locked first, messages
for people, an audit entry. Positions stay dense (1..n) after every write, and a
scheduled or published series never loses its last routine with a step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from accounts.models import User
from routines.models import AuditEntry, Routine, Series, Step
from routines.selectors.editing import series_is_live, series_publication_problems
from routines.services.audit import (
    audit_record,
    changed_fields,
    created_fields,
    routine_snapshot,
    step_snapshot,
)
from routines.services.editing import (
    RoutineFields,
    StepFields,
    fields_known,
    locked_series,
    save_with_unique_slug,
    series_touch,
    slug_from,
)

Action = AuditEntry.Action


# --- Routines --------------------------------------------------------------------------


def _routine_apply(routine: Routine, fields: RoutineFields) -> dict[str, list[str]]:
    fields_known(fields, RoutineFields)
    errors: dict[str, list[str]] = {}
    for name in ("intro", "equipment", "per_side", "rest_after"):
        if name in fields:
            setattr(routine, name, fields[name])  # type: ignore[literal-required]
    if "title" in fields:
        routine.title = fields["title"].strip()
    if not routine.title:
        errors["title"] = [_("Give the routine a title.")]
    siblings = Routine.objects.filter(series_id=routine.series_id).exclude(pk=routine.pk)
    new_slug = (fields.get("slug") or "").strip()
    if new_slug and new_slug != routine.slug:
        if siblings.filter(slug=new_slug).exists():
            errors["slug"] = [_("Another routine of this series already has this slug.")]
        else:
            routine.slug = new_slug
    if not routine.slug:
        routine.slug = slug_from(routine.title, siblings, "routine")
    try:
        routine.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


@transaction.atomic
def routine_create(
    *, actor: User | None, series: Series, **fields: Unpack[RoutineFields]
) -> Routine:
    """A new routine at the end of the series."""
    series = locked_series(series)
    routine = Routine(series=series, position=series.routines.count() + 1)
    errors = _routine_apply(routine, fields)
    if errors:
        raise ValidationError(errors)
    save_with_unique_slug(routine, _("Another routine of this series already has this slug."))
    audit_record(
        series=series,
        actor=actor,
        action=Action.CREATE,
        target=routine,
        changes=created_fields(routine_snapshot(routine)),
    )
    series_touch(series)
    return routine


@transaction.atomic
def routine_update(
    *, actor: User | None, routine: Routine, **fields: Unpack[RoutineFields]
) -> Routine:
    series = locked_series(routine.series)
    routine = Routine.objects.get(pk=routine.pk)
    before = routine_snapshot(routine)
    errors = _routine_apply(routine, fields)
    if errors:
        raise ValidationError(errors)
    save_with_unique_slug(routine, _("Another routine of this series already has this slug."))
    changes = changed_fields(before, routine_snapshot(routine))
    if changes:
        audit_record(
            series=series, actor=actor, action=Action.EDIT, target=routine, changes=changes
        )
        series_touch(series)
    return routine


def _refuse_if_not_publishable_any_more(series: Series) -> None:
    """A scheduled or published series keeps at least one routine with a step."""
    if series_is_live(series) and series_publication_problems(series=series):
        raise ValidationError(
            _(
                "“%(title)s” is %(status)s: it must keep at least one routine with at least "
                "one step. Add another first, or unpublish the series."
            )
            % {"title": series.title, "status": series.get_status_display().lower()}
        )


@transaction.atomic
def routine_delete(*, actor: User | None, routine: Routine) -> None:
    """Remove a routine and its steps; the others close ranks. A routine members have
    logged sessions of stays (their history points to it)."""
    series = locked_series(routine.series)
    routine = Routine.objects.get(pk=routine.pk)
    if routine.session_logs.exists():
        raise ValidationError(
            _(
                "Members have logged sessions of “%(title)s”, so it stays: their history "
                "points to it. Edit it instead of removing it."
            )
            % {"title": routine.title}
        )
    snapshot = {"title": routine.title, "steps": routine.steps.count()}
    target = Routine(pk=routine.pk, title=routine.title)
    routine.delete()
    _refuse_if_not_publishable_any_more(series)
    _routines_renumber(series, list(series.routines.order_by("position", "pk")))
    audit_record(
        series=series,
        actor=actor,
        action=Action.DELETE,
        target=target,
        changes={name: {"old": value, "new": None} for name, value in snapshot.items()},
    )
    series_touch(series)


def _routines_renumber(series: Series, ordered: list[Routine]) -> None:
    for position, routine in enumerate(ordered, start=1):
        routine.position = position
    Routine.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def routines_reorder(*, actor: User | None, series: Series, order: Sequence[int]) -> list[Routine]:
    """Put the series' routines in ``order`` (every routine id once), positions 1..n."""
    series = locked_series(series)
    current = list(series.routines.order_by("position", "pk"))
    by_id = {routine.pk: routine for routine in current}
    if len(order) != len(current) or set(order) != set(by_id):
        raise ValidationError(
            {"order": [_("The new order must list each routine of this series exactly once.")]}
        )
    ordered = [by_id[pk] for pk in order]
    _routines_renumber(series, ordered)
    if ordered != current:
        audit_record(
            series=series,
            actor=actor,
            action=Action.REORDER,
            changes={
                "routines": {
                    "old": [r.title for r in current],
                    "new": [r.title for r in ordered],
                }
            },
        )
        series_touch(series)
    return ordered


@transaction.atomic
def routine_move(*, actor: User | None, routine: Routine, offset: int) -> list[Routine]:
    """Move a routine ``offset`` places (-1: up, 1: down); past either end it stays."""
    series = locked_series(routine.series)
    ids = list(series.routines.order_by("position", "pk").values_list("pk", flat=True))
    return routines_reorder(actor=actor, series=series, order=_moved(ids, routine.pk, offset))


def _moved(ids: list[int], pk: int, offset: int) -> list[int]:
    index = ids.index(pk)
    target = min(max(index + offset, 0), len(ids) - 1)
    ids.insert(target, ids.pop(index))
    return ids


# --- Steps -----------------------------------------------------------------------------


def _step_apply(step: Step, fields: StepFields) -> None:
    fields_known(fields, StepFields)
    for name in ("technique", "duration_seconds", "repetitions", "per_finger", "area"):
        if name in fields:
            setattr(step, name, fields[name])  # type: ignore[literal-required]
    for name in ("title", "instruction"):
        if name in fields:
            setattr(step, name, fields[name].strip())  # type: ignore[literal-required]
    errors: dict[str, list[str]] = {}
    if not step.title:
        errors["title"] = [_("Give the step a title.")]
    if not step.instruction:
        errors["instruction"] = [_("Tell members what to do in this step.")]
    try:
        step.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def step_create(*, actor: User | None, routine: Routine, **fields: Unpack[StepFields]) -> Step:
    """A new step at the end of the routine."""
    series = locked_series(routine.series)
    step = Step(routine=routine, position=routine.steps.count() + 1)
    _step_apply(step, fields)
    step.save()
    audit_record(
        series=series,
        actor=actor,
        action=Action.CREATE,
        target=step,
        changes={"routine": {"old": None, "new": routine.title}}
        | created_fields(step_snapshot(step)),
    )
    series_touch(series)
    return step


@transaction.atomic
def step_update(*, actor: User | None, step: Step, **fields: Unpack[StepFields]) -> Step:
    series = locked_series(step.routine.series)
    step = Step.objects.select_related("routine").get(pk=step.pk)
    before = step_snapshot(step)
    _step_apply(step, fields)
    step.save()
    changes = changed_fields(before, step_snapshot(step))
    if changes:
        audit_record(series=series, actor=actor, action=Action.EDIT, target=step, changes=changes)
        series_touch(series)
    return step


def _steps_renumber(routine: Routine, ordered: list[Step]) -> None:
    """Positions 1..n in this order, in two statements that never break the
    (routine, position) unique constraint: first out of the way, then in place."""
    if not ordered:
        return
    highest = Step.objects.filter(routine=routine).aggregate(top=Max("position"))["top"] or 0
    Step.objects.filter(routine=routine).update(position=F("position") + highest + 1)
    for position, step in enumerate(ordered, start=1):
        step.position = position
    Step.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def step_delete(*, actor: User | None, step: Step) -> None:
    """Remove a step; the routine's other steps close ranks. Members' logs keep the
    number of steps they did and the routine's count at the time."""
    series = locked_series(step.routine.series)
    step = Step.objects.select_related("routine").get(pk=step.pk)
    routine = step.routine
    target = Step(pk=step.pk, title=step.title)
    step.delete()
    _refuse_if_not_publishable_any_more(series)
    _steps_renumber(routine, list(routine.steps.order_by("position", "pk")))
    audit_record(
        series=series,
        actor=actor,
        action=Action.DELETE,
        target=target,
        changes={
            "title": {"old": target.title, "new": None},
            "routine": {"old": routine.title, "new": None},
        },
    )
    series_touch(series)


@transaction.atomic
def steps_reorder(*, actor: User | None, routine: Routine, order: Sequence[int]) -> list[Step]:
    """Put the routine's steps in ``order`` (every step id once), positions 1..n."""
    series = locked_series(routine.series)
    current = list(routine.steps.order_by("position", "pk"))
    by_id = {step.pk: step for step in current}
    if len(order) != len(current) or set(order) != set(by_id):
        raise ValidationError(
            {"order": [_("The new order must list each step of this routine exactly once.")]}
        )
    ordered = [by_id[pk] for pk in order]
    if ordered != current:
        _steps_renumber(routine, ordered)
        audit_record(
            series=series,
            actor=actor,
            action=Action.REORDER,
            target=routine,
            changes={
                "steps": {"old": [s.title for s in current], "new": [s.title for s in ordered]}
            },
        )
        series_touch(series)
    return ordered


@transaction.atomic
def step_move(*, actor: User | None, step: Step, offset: int) -> list[Step]:
    """Move a step ``offset`` places (-1: up, 1: down); past either end it stays."""
    routine = step.routine
    locked_series(routine.series)
    ids = list(routine.steps.order_by("position", "pk").values_list("pk", flat=True))
    return steps_reorder(actor=actor, routine=routine, order=_moved(ids, step.pk, offset))
