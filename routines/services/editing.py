"""Editors' writes to a series' own fields, from the editor's pages, the staff API and the
admin alike (its routines and steps: ``content``; its status: ``publishing``).

Each service is one transaction that locks the series row first, so edits of one series
and its publication run one after the other; it validates with messages written for
people (``ValidationError`` keyed by field) and records what changed in the audit log
(``audit``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from routines.fields import statements_check
from routines.models import AuditEntry, BodyPart, Routine, Series
from routines.roles import EDITOR_PERMISSIONS, EDITORS_GROUP
from routines.services.audit import (
    audit_record,
    changed_fields,
    created_fields,
    series_snapshot,
)
from routines.validators import validate_cover_image

Action = AuditEntry.Action


class SeriesFields(TypedDict, total=False):
    title: str
    slug: str  # empty or absent: made from the title when the series is created
    summary: str
    description: str
    body_parts: Sequence[BodyPart]
    cover: File | None  # None removes the cover
    cover_alt: str
    estimated_minutes: int
    difficulty: str
    safety_notes: str
    contraindications: Sequence[str]
    next_installment: Series | None


class RoutineFields(TypedDict, total=False):
    title: str
    slug: str
    intro: str
    equipment: str
    per_side: bool
    rest_after: str


class StepFields(TypedDict, total=False):
    title: str
    instruction: str
    technique: str
    duration_seconds: int
    repetitions: int
    per_finger: bool
    area: str


_SERIES_PLAIN = (
    "summary",
    "description",
    "cover_alt",
    "estimated_minutes",
    "difficulty",
    "safety_notes",
    "next_installment",
)


def editors_group_ensure() -> Group:
    """The "Editors" group with ``routines.roles.EDITOR_PERMISSIONS`` (added, never removed).

    ``editor/migrations/0001_editors_group`` does the same with a frozen copy of the list;
    this is for code that runs after a database was emptied (tests that flush it).
    """
    group, _created = Group.objects.get_or_create(name=EDITORS_GROUP)
    wanted = Q()
    for name in EDITOR_PERMISSIONS:
        app_label, codename = name.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*Permission.objects.filter(wanted))
    return group


def locked_series(series: Series) -> Series:
    return Series.objects.select_for_update().get(pk=series.pk)


def series_touch(series: Series) -> None:
    """The series changed (through one of its routines or steps): editors' lists show it."""
    Series.objects.filter(pk=series.pk).update(updated_at=timezone.now())


def slug_from(text: str, taken: QuerySet, fallback: str) -> str:
    base = slugify(text)[:44].strip("-") or fallback
    slug, number = base, 2
    while taken.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def save_with_unique_slug(obj: Series | Routine, message: str) -> None:
    """Save; a slug taken meanwhile by a concurrent save is the same message as the check."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        if "slug" in str(exc):
            raise ValidationError({"slug": message}) from None
        raise


# --- Series ----------------------------------------------------------------------------


def _series_apply(series: Series, fields: SeriesFields) -> dict[str, list[str]]:
    """Set the given fields on ``series`` (unsaved); return the errors found so far."""
    fields_known(fields, SeriesFields)
    errors: dict[str, list[str]] = {}
    for name in _SERIES_PLAIN:
        if name in fields:
            setattr(series, name, fields[name])  # type: ignore[literal-required]
    if "title" in fields:
        series.title = fields["title"].strip()
    if "contraindications" in fields:
        statements = [s.strip() for s in fields["contraindications"] if s and s.strip()]
        try:
            statements_check(statements)
        except ValidationError as exc:
            errors["contraindications"] = exc.messages
        series.contraindications = statements
    new_slug = (fields.get("slug") or "").strip()
    if new_slug and new_slug != series.slug:
        if series.published_at is not None:
            errors["slug"] = [
                _(
                    "The address of a series stays the same once it has been published: "
                    "members may have bookmarked or shared it."
                )
            ]
        elif Series.objects.filter(slug=new_slug).exclude(pk=series.pk).exists():
            errors["slug"] = [_("Another series already uses this slug: choose another one.")]
        else:
            series.slug = new_slug
    if not series.slug:
        series.slug = slug_from(series.title, Series.objects.all(), "series")
    if series.pk and series.next_installment_id == series.pk:
        errors["next_installment"] = [_("A series cannot be its own next installment.")]
    if fields.get("cover") is not None:
        upload = fields["cover"]
        try:
            extension = validate_cover_image(upload)
        except ValidationError as exc:
            errors["cover"] = exc.messages
        else:
            upload.name = f"{series.slug}-{secrets.token_hex(4)}.{extension}"
            series.cover = upload
    elif "cover" in fields:
        series.cover = ""
    return errors


def _series_clean_and_save(series: Series, errors: dict[str, list[str]]) -> None:
    try:
        series.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    old_cover = (
        Series.objects.filter(pk=series.pk).values_list("cover", flat=True).first()
        if series.pk
        else None
    )
    save_with_unique_slug(series, _("Another series already uses this slug: choose another one."))
    if old_cover and old_cover != series.cover.name:
        storage = series.cover.storage
        transaction.on_commit(lambda: storage.delete(old_cover))


@transaction.atomic
def series_create(*, actor: User | None, **fields: Unpack[SeriesFields]) -> Series:
    """A new draft series; its slug is made from the title unless one is given."""
    series = Series(status=Series.Status.DRAFT)
    if not (fields.get("title") or "").strip():
        raise ValidationError({"title": [_("Give the series a title.")]})
    errors = _series_apply(series, fields)
    _series_clean_and_save(series, errors)
    if "body_parts" in fields:
        series.body_parts.set(fields["body_parts"])
    audit_record(
        series=series,
        actor=actor,
        action=Action.CREATE,
        changes=created_fields(series_snapshot(series)),
    )
    return series


@transaction.atomic
def series_update(*, actor: User | None, series: Series, **fields: Unpack[SeriesFields]) -> Series:
    """Change the given fields of a series of any status (published ones too: members'
    logs keep pointing to its routines). Its slug no longer changes once published."""
    locked = locked_series(series)
    before = series_snapshot(locked)
    errors = _series_apply(locked, fields)
    _series_clean_and_save(locked, errors)
    if "body_parts" in fields:
        locked.body_parts.set(fields["body_parts"])
    changes = changed_fields(before, series_snapshot(locked))
    if changes:
        audit_record(series=locked, actor=actor, action=Action.EDIT, changes=changes)
    return locked


def fields_known(fields: Mapping[str, Any], allowed: type) -> None:
    """A caller's typo is a bug, not a silently ignored field."""
    unknown = set(fields) - set(allowed.__annotations__)
    if unknown:
        raise TypeError(f"Unknown {allowed.__name__}: {', '.join(sorted(unknown))}")
