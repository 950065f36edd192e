"""The member's own session logs: list, detail, log by hand, edit, delete, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from routines.forms import LOG_ERROR_FIELDS, SessionLogForm, apply_errors
from routines.models import SessionLog
from routines.selectors import (
    member_local_today,
    routines_for_log_edit,
    routines_for_logging,
    session_log_for,
    session_logs_for,
)
from routines.services import session_log_create, session_log_delete, session_log_update

LOGS_PER_PAGE = 20


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(session_logs_for(user=request.user), LOGS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "routines/session_list.html", {"page": page, "logs": page.object_list})


@login_required
@require_GET
def session_detail(request: HttpRequest, log_id: int) -> HttpResponse:
    log = session_log_for(user=request.user, log_id=log_id)
    names = {part.slug: part.name for part in log.routine.series.body_parts.all()}
    tension_rows = [
        {
            "name": names.get(slug, slug),
            "before": values.get("before"),
            "after": values.get("after"),
        }
        for slug, values in (log.tension_map or {}).items()
        if isinstance(values, dict)
    ]
    return render(
        request, "routines/session_detail.html", {"log": log, "tension_rows": tension_rows}
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    routines = routines_for_logging(user=request.user)
    today = member_local_today(user=request.user)
    initial = {"date": today, "sides": "", "routine": request.GET.get("routine")}
    form = SessionLogForm(
        request.POST or None, initial=initial, user=request.user, routines=routines
    )
    if request.method == "POST" and form.is_valid():
        try:
            session_log_create(
                user=request.user, source=SessionLog.Source.MANUAL, **form.log_fields()
            )
        except ValidationError as exc:
            apply_errors(form, exc, LOG_ERROR_FIELDS)
        else:
            messages.success(request, "Session logged.")
            return redirect("routines:sessions")
    return render(
        request,
        "routines/session_form.html",
        {"form": form, "title": "Log a session"},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, log_id: int) -> HttpResponse:
    log = session_log_for(user=request.user, log_id=log_id)
    form = SessionLogForm(
        request.POST or None,
        initial=SessionLogForm.initial_for(log),
        user=request.user,
        routines=routines_for_log_edit(user=request.user, log=log),
    )
    if request.method == "POST" and form.is_valid():
        try:
            session_log_update(user=request.user, log=log, **form.log_fields())
        except ValidationError as exc:
            apply_errors(form, exc, LOG_ERROR_FIELDS)
        else:
            messages.success(request, "Session updated.")
            return redirect("routines:session", log_id=log.pk)
    return render(
        request,
        "routines/session_form.html",
        {"form": form, "log": log, "title": "Edit session"},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request: HttpRequest, log_id: int) -> HttpResponse:
    log = session_log_for(user=request.user, log_id=log_id)
    if request.method == "POST":
        session_log_delete(user=request.user, log=log)
        messages.success(request, "Session deleted.")
        return redirect("routines:sessions")
    return render(request, "routines/session_confirm_delete.html", {"log": log})


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "date",
    "start",
    "end",
    "timezone",
    "duration_minutes",
    "series",
    "routine",
    "steps_completed",
    "steps_total",
    "sides",
    "tension_before",
    "tension_after",
    "rating",
    "notes",
    "source",
]


def _cell(value: object) -> object:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _csv_rows(logs: object) -> Iterator[list[object]]:
    yield CSV_HEADER
    for log in logs:
        zone = _zone(log.timezone)
        yield [
            _cell(x)
            for x in (
                log.local_date.isoformat(),
                log.started_at.astimezone(zone).isoformat(timespec="seconds"),
                log.ended_at.astimezone(zone).isoformat(timespec="seconds"),
                log.timezone,
                round(log.duration_seconds / 60, 1),
                log.routine.series.title,
                log.routine.title,
                log.steps_completed,
                log.steps_total,
                log.sides,
                log.tension_before,
                log.tension_after,
                log.rating,
                log.notes,
                log.source,
            )
        ]


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@login_required
@require_GET
def session_export(request: HttpRequest) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    logs = session_logs_for(user=request.user).iterator(chunk_size=1000)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _csv_rows(logs)), content_type="text/csv; charset=utf-8"
    )
    today = member_local_today(user=request.user)
    response["Content-Disposition"] = f'attachment; filename="kneadful-sessions-{today}.csv"'
    return response
