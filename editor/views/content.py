"""Editor pages for a series' routines and steps: add, edit, remove, move up and down,
and the reorder that the drag-and-drop script posts. Thin: parse, call one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from editor.forms import MoveForm, OrderForm, RoutineForm, StepForm, step_regions
from editor.permissions import editor_required
from routines.forms import apply_errors
from routines.models import Routine, Series
from routines.selectors import routine_for_editing, series_for_editing, step_for_editing
from routines.services import (
    routine_create,
    routine_delete,
    routine_move,
    routine_update,
    routines_reorder,
    step_create,
    step_delete,
    step_move,
    step_update,
    steps_reorder,
)


def _back(series: Series, anchor: str = "") -> str:
    url = reverse("editor:series", kwargs={"slug": series.slug})
    return f"{url}#{anchor}" if anchor else url


def _routine_anchor(routine: Routine) -> str:
    return f"routine-{routine.pk}"


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- Routines --------------------------------------------------------------------------


@editor_required("routines.add_routine")
@require_http_methods(["GET", "POST"])
def routine_new(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    form = RoutineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            routine = routine_create(actor=request.user, series=series, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, _("Routine added. Now add its steps."))
            return redirect(_back(series, _routine_anchor(routine)))
    context = {"form": form, "series": series, "routine": None}
    return render(
        request, "editor/routine_form.html", context, status=400 if form.is_bound else 200
    )


@editor_required("routines.change_routine")
@require_http_methods(["GET", "POST"])
def routine_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    form = RoutineForm(request.POST or None, initial=RoutineForm.initial_for(routine))
    if request.method == "POST" and form.is_valid():
        try:
            routine = routine_update(actor=request.user, routine=routine, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, _("Routine saved."))
            return redirect(_back(series, _routine_anchor(routine)))
    context = {"form": form, "series": series, "routine": routine}
    return render(
        request, "editor/routine_form.html", context, status=400 if form.is_bound else 200
    )


@editor_required("routines.delete_routine")
@require_http_methods(["GET", "POST"])
def routine_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    if request.method == "POST":
        try:
            routine_delete(actor=request.user, routine=routine)
        except ValidationError as exc:
            _refused(request, exc)
            return redirect(_back(series, _routine_anchor(routine)))
        messages.success(request, _("Routine “%(title)s” removed.") % {"title": routine.title})
        return redirect(_back(series, "routines"))
    return render(
        request,
        "editor/confirm_remove.html",
        {
            "series": series,
            "thing": routine,
            "kind": _("routine"),
            "anchor": _routine_anchor(routine),
        },
    )


@editor_required("routines.change_routine")
@require_POST
def routine_reposition(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        routine_move(actor=request.user, routine=routine, offset=form.offset())
    return redirect(_back(series, _routine_anchor(routine)))


@editor_required("routines.change_routine")
@require_POST
def routines_order(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    form = OrderForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.non_field_errors())
        routines_reorder(actor=request.user, series=series, order=form.cleaned_data["order"])
    except ValidationError as exc:
        _refused(request, exc)
    return redirect(_back(series, "routines"))


# --- Steps -----------------------------------------------------------------------------


@editor_required("routines.add_step")
@require_http_methods(["GET", "POST"])
def step_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    form = StepForm(request.POST or None, regions=step_regions(series))
    if request.method == "POST" and form.is_valid():
        try:
            step_create(actor=request.user, routine=routine, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, _("Step added to “%(title)s”.") % {"title": routine.title})
            if "add_another" in request.POST:
                return redirect(
                    reverse("editor:step_new", kwargs={"slug": series.slug, "pk": routine.pk})
                )
            return redirect(_back(series, _routine_anchor(routine)))
    context = {"form": form, "series": series, "routine": routine, "step": None}
    status = 400 if form.is_bound else 200
    return render(request, "editor/step_form.html", context, status=status)


@editor_required("routines.change_step")
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, slug: str, pk: int, step_pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    step = step_for_editing(routine=routine, step_id=step_pk)
    form = StepForm(
        request.POST or None, initial=StepForm.initial_for(step), regions=step_regions(series)
    )
    if request.method == "POST" and form.is_valid():
        try:
            step_update(actor=request.user, step=step, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, _("Step saved."))
            return redirect(_back(series, _routine_anchor(routine)))
    context = {"form": form, "series": series, "routine": routine, "step": step}
    status = 400 if form.is_bound else 200
    return render(request, "editor/step_form.html", context, status=status)


@editor_required("routines.delete_step")
@require_http_methods(["GET", "POST"])
def step_remove(request: HttpRequest, slug: str, pk: int, step_pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    step = step_for_editing(routine=routine, step_id=step_pk)
    if request.method == "POST":
        try:
            step_delete(actor=request.user, step=step)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Step “%(title)s” removed.") % {"title": step.title})
        return redirect(_back(series, _routine_anchor(routine)))
    return render(
        request,
        "editor/confirm_remove.html",
        {"series": series, "thing": step, "kind": _("step"), "anchor": _routine_anchor(routine)},
    )


@editor_required("routines.change_step")
@require_POST
def step_reposition(request: HttpRequest, slug: str, pk: int, step_pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    step = step_for_editing(routine=routine, step_id=step_pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        step_move(actor=request.user, step=step, offset=form.offset())
    return redirect(_back(series, _routine_anchor(routine)))


@editor_required("routines.change_step")
@require_POST
def steps_order(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    form = OrderForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.non_field_errors())
        steps_reorder(actor=request.user, routine=routine, order=form.cleaned_data["order"])
    except ValidationError as exc:
        _refused(request, exc)
    return redirect(_back(series, _routine_anchor(routine)))
