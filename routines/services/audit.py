"""The editors' audit log: what changed in the library, by whom, when.

Every service of ``editing`` and ``publishing`` records its entry here, inside its own
transaction, so a change and its entry are committed (or rolled back) together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model

from accounts.models import User
from routines.models import AuditEntry, Routine, Series, Step

SERIES_FIELDS = (
    "title",
    "slug",
    "summary",
    "description",
    "body_parts",
    "cover",
    "cover_alt",
    "estimated_minutes",
    "difficulty",
    "safety_notes",
    "contraindications",
    "next_installment",
)
ROUTINE_FIELDS = ("title", "slug", "intro", "equipment", "per_side", "rest_after")
STEP_FIELDS = (
    "title",
    "instruction",
    "technique",
    "duration_seconds",
    "repetitions",
    "per_finger",
    "area",
)


def _plain(value: Any) -> Any:
    """A value as the audit log stores it (JSON)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Model):
        return getattr(value, "slug", None) or str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def series_snapshot(series: Series) -> dict[str, Any]:
    values = {name: _plain(getattr(series, name)) for name in SERIES_FIELDS if name != "body_parts"}
    values["body_parts"] = (
        sorted(series.body_parts.values_list("slug", flat=True)) if series.pk else []
    )
    return values


def routine_snapshot(routine: Routine) -> dict[str, Any]:
    return {name: _plain(getattr(routine, name)) for name in ROUTINE_FIELDS}


def step_snapshot(step: Step) -> dict[str, Any]:
    return {name: _plain(getattr(step, name)) for name in STEP_FIELDS}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"old": ..., "new": ...}}`` for the fields whose value differs."""
    return {
        name: {"old": before.get(name), "new": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def created_fields(after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The values a new object starts with, as changes from nothing (empty ones left out)."""
    return {
        name: {"old": None, "new": value}
        for name, value in after.items()
        if value not in ("", None, [], False)
    }


def audit_record(
    *,
    series: Series,
    actor: User | None,
    action: str,
    target: Series | Routine | Step | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one entry about ``target`` (the series itself by default)."""
    target = target if target is not None else series
    kind = {
        Series: AuditEntry.Target.SERIES,
        Routine: AuditEntry.Target.ROUTINE,
        Step: AuditEntry.Target.STEP,
    }[type(target)]
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        series=series if series.pk else None,
        series_title=series.title[:120],
        actor=actor,
        actor_name=str(actor)[:254] if actor is not None else "",
        action=action,
        target=kind,
        target_id=target.pk,
        target_label=str(target.title)[:200],
        changes=changes or {},
    )
