"""Editor pages about a series as a whole: the list, create and edit, its overview with
publication controls and history, and the member's-eye preview. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from editor.forms import ScheduleForm, SeriesForm
from editor.history import history_rows
from editor.permissions import editor_required
from routines.forms import apply_errors
from routines.models import Series
from routines.selectors import (
    routine_for_editing,
    series_empty_routines,
    series_for_editing,
    series_history,
    series_publication_problems,
    series_search_for_editors,
)
from routines.services import (
    series_create,
    series_publish,
    series_schedule,
    series_unpublish,
    series_unschedule,
    series_update,
)
from routines.views import play, series_detail

HISTORY_ON_PAGE = 10


def _overview(series: Series) -> str:
    return reverse("editor:series", kwargs={"slug": series.slug})


@editor_required()
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in Series.Status.values:
        status = None
    q = (request.GET.get("q") or "").strip()[:100]
    page = Paginator(series_search_for_editors(q=q, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "editor/series_list.html",
        {"page": page, "status": status, "q": q, "statuses": Series.Status.choices},
    )


@editor_required("routines.add_series")
@require_http_methods(["GET", "POST"])
def series_new(request: HttpRequest) -> HttpResponse:
    form = SeriesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            series = series_create(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, _("Draft “%(title)s” created.") % {"title": series.title})
            return redirect(_overview(series))
    return render(
        request,
        "editor/series_form.html",
        {"form": form, "series": None},
        status=400 if form.is_bound else 200,
    )


@editor_required()
@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    form = SeriesForm(request.POST or None, request.FILES or None, series=series)
    if request.method == "POST" and form.is_valid():
        try:
            series = series_update(actor=request.user, series=series, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc, {})
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_overview(series))
    return render(
        request,
        "editor/series_form.html",
        {"form": form, "series": series},
        status=400 if form.is_bound else 200,
    )


def _overview_page(
    request: HttpRequest, series: Series, schedule_form: ScheduleForm | None = None
) -> dict:
    zone = request.user.zone
    return {
        "series": series,
        "problems": series_publication_problems(series=series),
        "empty_routines": series_empty_routines(series=series),
        "schedule_form": schedule_form or ScheduleForm(zone=zone),
        "history": history_rows(series_history(series=series)[:HISTORY_ON_PAGE]),
        "can_read_history": request.user.has_perm("routines.view_auditentry"),
        "zone": zone.key,
    }


@editor_required()
@require_GET
def series_overview(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    return render(request, "editor/series_detail.html", _overview_page(request, series))


@editor_required("routines.view_auditentry")
@require_GET
def series_history_page(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    page = Paginator(series_history(series=series), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "editor/history.html",
        {"series": series, "page": page, "rows": history_rows(page.object_list)},
    )


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@editor_required()
@require_POST
def series_publish_now(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    try:
        series = series_publish(series=series, actor=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("“%(title)s” is published: members see it now.") % {"title": series.title}
        )
    return redirect(_overview(series))


@editor_required()
@require_POST
def series_schedule_at(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    form = ScheduleForm(request.POST, zone=request.user.zone)
    if form.is_valid():
        try:
            series = series_schedule(
                series=series, publish_at=form.cleaned_data["publish_at"], actor=request.user
            )
        except ValidationError as exc:
            apply_errors(form, exc, {"publish_at": "date"})
        else:
            messages.success(request, _("Scheduled. It goes live at the time you chose."))
            return redirect(_overview(series))
    page = _overview_page(request, series, schedule_form=form)
    return render(request, "editor/series_detail.html", page, status=400)


@editor_required()
@require_POST
def series_unschedule_now(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_unschedule(series=series_for_editing(slug=slug), actor=request.user)
    messages.success(request, _("The scheduled publication is cancelled."))
    return redirect(_overview(series))


@editor_required()
@require_POST
def series_unpublish_now(request: HttpRequest, slug: str) -> HttpResponse:
    series = series_for_editing(slug=slug)
    try:
        series = series_unpublish(series=series, actor=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("“%(title)s” is hidden from members again; their session logs are kept.")
            % {"title": series.title},
        )
    return redirect(_overview(series))


# --- Preview: the member's own pages, so it is exactly what members will see ------------


def _preview_notice(request: HttpRequest, series: Series) -> None:
    messages.warning(
        request,
        _("Preview of “%(title)s” (%(status)s): members see this page once it is published.")
        % {"title": series.title, "status": series.get_status_display().lower()},
    )


@editor_required()
@require_GET
def series_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's series page, for a series of any status (editors may see them all)."""
    series = series_for_editing(slug=slug)
    _preview_notice(request, series)
    return series_detail(request, slug=series.slug)


@editor_required()
@require_GET
def routine_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The member's guided player for a routine of the series."""
    series = series_for_editing(slug=slug)
    routine = routine_for_editing(series=series, routine_id=pk)
    _preview_notice(request, series)
    return play(request, pk=routine.pk)
