"""The audit log as editors read it: who did what, and each changed field's old and new
value in words (presentation only; the entries are written by ``routines.services``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from routines.models import AuditEntry

FIELD_LABELS = {
    "title": gettext_lazy("Title"),
    "slug": gettext_lazy("Slug"),
    "summary": gettext_lazy("Summary"),
    "description": gettext_lazy("Description"),
    "body_parts": gettext_lazy("Body parts"),
    "cover": gettext_lazy("Cover image"),
    "cover_alt": gettext_lazy("Cover description"),
    "estimated_minutes": gettext_lazy("Estimated minutes"),
    "difficulty": gettext_lazy("Difficulty"),
    "safety_notes": gettext_lazy("Safety notes"),
    "contraindications": gettext_lazy("Contraindications"),
    "next_installment": gettext_lazy("Next installment"),
    "status": gettext_lazy("Status"),
    "publish_at": gettext_lazy("Publication time"),
    "published_at": gettext_lazy("First published"),
    "intro": gettext_lazy("Introduction"),
    "equipment": gettext_lazy("Equipment"),
    "per_side": gettext_lazy("Per side"),
    "rest_after": gettext_lazy("Rest after"),
    "instruction": gettext_lazy("Instruction"),
    "technique": gettext_lazy("Technique"),
    "duration_seconds": gettext_lazy("Duration (seconds)"),
    "repetitions": gettext_lazy("Repetitions"),
    "per_finger": gettext_lazy("Each finger or toe"),
    "area": gettext_lazy("Area"),
    "routine": gettext_lazy("Routine"),
    "routines": gettext_lazy("Routines"),
    "steps": gettext_lazy("Steps"),
    "reason": gettext_lazy("Reason"),
}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    entry: AuditEntry
    who: str
    what: str
    changes: list[Change]


def _words(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return Truncator(" · ".join(str(item) for item in value)).chars(160)
    return Truncator(str(value)).chars(160)


_ORDER = {name: index for index, name in enumerate(FIELD_LABELS)}


def _field_order(item: tuple[str, Any]) -> tuple[int, str]:
    return _ORDER.get(item[0], len(_ORDER)), item[0]


def history_rows(entries: Any) -> list[HistoryRow]:
    rows = []
    for entry in entries:
        who = entry.actor_name or _("Kneadful (automatic)")
        what = _("%(action)s %(target)s “%(label)s”") % {
            "action": entry.get_action_display(),
            "target": entry.get_target_display().lower(),
            "label": entry.target_label,
        }
        changes = [
            Change(
                field=str(FIELD_LABELS.get(name, name.replace("_", " ").capitalize())),
                old=_words(change.get("old") if isinstance(change, dict) else None),
                new=_words(change.get("new") if isinstance(change, dict) else change),
            )
            # jsonb keeps keys in an order of its own: show them in the forms' order
            for name, change in sorted((entry.changes or {}).items(), key=_field_order)
        ]
        rows.append(HistoryRow(entry=entry, who=who, what=what, changes=changes))
    return rows
