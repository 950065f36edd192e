"""The back office for superusers. Every change to the library goes through
``routines.services`` (as from the editor's pages and the API), so the audit log, the
status rules and the publication event are the same whichever door is used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from routines.admin_forms import RoutineInlineForm, SeriesAdminForm, StepInlineForm
from routines.models import (
    AuditEntry,
    BodyPart,
    DailyActivity,
    PracticePlan,
    RestDay,
    Routine,
    Series,
    SessionLog,
    Step,
)
from routines.services import (
    RoutineFields,
    StepFields,
    routine_create,
    routine_delete,
    routine_update,
    routines_reorder,
    series_create,
    series_publish,
    series_schedule,
    series_unpublish,
    series_unschedule,
    series_update,
    step_create,
    step_delete,
    step_update,
    steps_reorder,
)

Status = Series.Status


@admin.register(BodyPart)
class BodyPartAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


# --- Series, routines and steps ----------------------------------------------------------


def _field_label(name: str, field: forms.Field) -> str:
    return str(field.label) if field.label else name.replace("_", " ").capitalize()


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs carry their column's name (``aria-label``): the table
    header alone names no input for a screen reader (axe: "label", critical)."""

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form: forms.Form, index: int | None) -> None:
                super().add_fields(form, index)  # "Delete?" comes with the formset
                for name, field in form.fields.items():  # each form's own copies
                    if not field.widget.is_hidden:
                        field.widget.attrs.setdefault("aria-label", _field_label(name, field))

        return LabelledFormSet


class LabelledDateTimeAdmin(admin.ModelAdmin):
    """Date and time inputs named for screen readers ("Publish at: date"): Django's split
    widget shows "Date:" and "Time:" as bare text, tied to neither input (axe: "label")."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, AdminSplitDateTime):
            label = _field_label(db_field.name, formfield)
            date, time = formfield.widget.widgets
            date.attrs["aria-label"] = _("%(field)s: date") % {"field": label}
            time.attrs["aria-label"] = _("%(field)s: time") % {"field": label}
        return formfield


class RoutineInline(LabelledTabularInline):
    model = Routine
    form = RoutineInlineForm
    extra = 0
    show_change_link = True
    ordering = ["position", "pk"]


class StepInline(LabelledTabularInline):
    model = Step
    form = StepInlineForm
    extra = 0
    ordering = ["position", "pk"]


def _save_children(
    request: HttpRequest,
    formset: Any,
    *,
    fields: type,
    create: Callable[..., Any],
    update: Callable[..., Any],
    delete: Callable[..., Any],
    reorder: Callable[[list[int]], Any],
    current: Callable[[], list[int]],
) -> None:
    """An inline formset's rows through the services, then the order typed in "Order".

    Fills the formset's ``new_objects``, ``changed_objects`` and ``deleted_objects`` as
    ``formset.save()`` would, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    wanted: dict[int, int] = {}
    for child in formset.forms:
        instance = child.instance
        try:
            if child in formset.deleted_forms:
                if instance.pk:
                    delete(instance)
                    formset.deleted_objects.append(instance)
                continue
            if not child.has_changed():
                if instance.pk and child.cleaned_data.get("order"):
                    wanted[instance.pk] = child.cleaned_data["order"]
                continue
            data = {k: v for k, v in child.cleaned_data.items() if k in fields.__annotations__}
            if instance.pk:
                saved = update(instance, data)
                formset.changed_objects.append((saved, child.changed_data))
            else:
                saved = create(data)
                formset.new_objects.append(saved)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            continue
        if child.cleaned_data.get("order"):
            wanted[saved.pk] = child.cleaned_data["order"]
    ids = current()
    order = sorted(ids, key=lambda pk: (wanted.get(pk, ids.index(pk) + 1), ids.index(pk)))
    if order != ids:
        reorder(order)


@admin.register(Series)
class SeriesAdmin(LabelledDateTimeAdmin):
    form = SeriesAdminForm
    # Check boxes for the few body parts: the two-list filter widget (filter_horizontal)
    # puts an aria-label on a bare <span> (axe: "aria-prohibited-attr").
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    list_display = ["title", "status", "publish_at", "published_at", "updated_at"]
    list_filter = ["status", "difficulty", "body_parts"]
    search_fields = ["title", "slug", "summary"]
    ordering = ["-updated_at"]
    readonly_fields = ["published_at", "created_at", "updated_at"]
    inlines = [RoutineInline]
    actions = ["publish_now", "unpublish", "cancel_schedule"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "body_parts", "summary", "description"]}),
        (gettext_lazy("Cover"), {"fields": ["cover", "cover_alt"]}),
        (
            gettext_lazy("Practice"),
            {"fields": ["estimated_minutes", "difficulty", "safety_notes", "contraindications"]},
        ),
        (
            gettext_lazy("Publication"),
            {"fields": ["status", "publish_at", "published_at", "next_installment"]},
        ),
        (gettext_lazy("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Series | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "slug"] if obj is not None and obj.published_at else fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: Series | None = None) -> dict:
        return {} if obj is not None and obj.published_at else {"slug": ["title"]}

    def save_model(self, request: HttpRequest, obj: Series, form: Any, change: bool) -> None:
        fields = form.service_fields()
        if change:
            series = series_update(
                actor=request.user, series=Series.objects.get(pk=obj.pk), **fields
            )
        else:
            series = series_create(actor=request.user, **fields)
        obj.pk = series.pk
        obj.refresh_from_db()  # the status changes once the inlines are saved

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Body parts went through the service in save_model; routines go through theirs.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        self._status_change(request, form.instance, form.cleaned_data)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        series = form.instance
        actor = request.user
        _save_children(
            request,
            formset,
            fields=RoutineFields,
            create=lambda data: routine_create(actor=actor, series=series, **data),
            update=lambda routine, data: routine_update(actor=actor, routine=routine, **data),
            delete=lambda routine: routine_delete(actor=actor, routine=routine),
            reorder=lambda order: routines_reorder(actor=actor, series=series, order=order),
            current=lambda: list(
                series.routines.order_by("position", "pk").values_list("pk", flat=True)
            ),
        )

    def _status_change(self, request: HttpRequest, series: Series, data: dict) -> None:
        status, actor = data.get("status"), request.user
        try:
            if status == Status.PUBLISHED:
                series_publish(series=series, actor=actor)
            elif status == Status.SCHEDULED:
                series_schedule(series=series, publish_at=data["publish_at"], actor=actor)
            elif status == Status.UNPUBLISHED:
                series_unpublish(series=series, actor=actor)
            elif status == Status.DRAFT:
                series_unschedule(series=series, actor=actor)
        except ValidationError as exc:
            messages.error(
                request,
                _("Saved, but the status stays “%(status)s”: %(reason)s")
                % {"status": series.get_status_display(), "reason": " ".join(exc.messages)},
            )

    def _each(self, request: HttpRequest, queryset: QuerySet, service: Callable) -> None:
        done = 0
        for series in queryset.order_by("pk"):
            try:
                service(series=series, actor=request.user)
                done += 1
            except ValidationError as exc:
                messages.error(request, f"{series.title}: {' '.join(exc.messages)}")
        if done:
            messages.success(request, _("%(count)d series updated.") % {"count": done})

    @admin.action(description=gettext_lazy("Publish now"), permissions=["change"])
    def publish_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, series_publish)

    @admin.action(description=gettext_lazy("Unpublish"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset.filter(status=Status.PUBLISHED), series_unpublish)

    @admin.action(description=gettext_lazy("Cancel the schedule"), permissions=["change"])
    def cancel_schedule(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset.filter(status=Status.SCHEDULED), series_unschedule)


@admin.register(Routine)
class RoutineAdmin(admin.ModelAdmin):
    list_display = ["title", "series", "position", "per_side"]
    list_filter = ["series__status", "per_side", "series"]
    search_fields = ["title", "slug", "series__title"]
    list_select_related = ["series"]
    ordering = ["series__title", "position"]
    fields = ["series", "title", "slug", "intro", "equipment", "per_side", "rest_after"]
    inlines = [StepInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Routine | None = None) -> list[str]:
        return ["series"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Routine, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in RoutineFields.__annotations__}
        if change:
            routine = routine_update(
                actor=request.user, routine=Routine.objects.get(pk=obj.pk), **data
            )
        else:
            routine = routine_create(actor=request.user, series=form.cleaned_data["series"], **data)
        obj.pk = routine.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        routine = form.instance
        actor = request.user
        _save_children(
            request,
            formset,
            fields=StepFields,
            create=lambda data: step_create(actor=actor, routine=routine, **data),
            update=lambda step, data: step_update(actor=actor, step=step, **data),
            delete=lambda step: step_delete(actor=actor, step=step),
            reorder=lambda order: steps_reorder(actor=actor, routine=routine, order=order),
            current=lambda: list(
                routine.steps.order_by("position", "pk").values_list("pk", flat=True)
            ),
        )

    def get_actions(self, request: HttpRequest) -> dict:
        # A bulk delete would leave gaps in the positions: one routine at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: Routine) -> None:
        try:
            routine_delete(actor=request.user, routine=obj)
        except ValidationError as exc:
            request._routine_kept = " ".join(exc.messages)  # type: ignore[attr-defined]

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: int) -> Any:
        refused = getattr(request, "_routine_kept", None)
        if refused:
            messages.error(request, refused)
            return HttpResponseRedirect(reverse("admin:routines_routine_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Written by the services only: read-only here, for everyone."""

    list_display = ["created_at", "series_title", "action", "target", "target_label", "actor_name"]
    list_filter = ["action", "target", "created_at"]
    search_fields = ["series_title", "target_label", "actor_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# --- Members' data ---------------------------------------------------------------------------


@admin.register(SessionLog)
class SessionLogAdmin(admin.ModelAdmin):
    list_display = ["user", "routine", "local_date", "duration_seconds"]
    raw_id_fields = ["user"]


@admin.register(RestDay)
class RestDayAdmin(admin.ModelAdmin):
    list_display = ["user", "local_date"]
    raw_id_fields = ["user"]
    date_hierarchy = "local_date"


@admin.register(PracticePlan)
class PracticePlanAdmin(admin.ModelAdmin):
    list_display = ["user", "rest_weekdays", "rest_days_per_week"]
    raw_id_fields = ["user"]


@admin.register(DailyActivity)
class DailyActivityAdmin(admin.ModelAdmin):
    """Derived from the logs (manage.py rebuild_member_stats): read-only here."""

    list_display = ["user", "local_date", "sessions", "seconds"]
    raw_id_fields = ["user"]
    date_hierarchy = "local_date"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
